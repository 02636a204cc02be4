"""Seeded bug: the final RMS norm reduces over ``dim=(0, -1)``, batch and features: it was written
and tested with one utterance at a time, where it equals the per-token norm. In a batch each
token's scale depends on the other rows (padded rows too); the stream (one row) stays exact. ``padding_invariance`` necessarily breaks
too: it compares a row in a batch with the row alone, which is what any batch mixing changes."""

from types import SimpleNamespace

import _common
import torch

EXPECTED_FAILURE = "model.batch_invariance"
ALSO_BREAKS = ("model.padding_invariance",)  # unavoidable, see above


class Encoder(_common.Encoder):
    def final_norm(self, h):
        return h * torch.rsqrt(h.pow(2).mean(dim=(0, -1), keepdim=True) + 1e-6) * self.final_gain


def make_model(seed: int = 0) -> SimpleNamespace:
    return _common.target(Encoder(seed=seed))
