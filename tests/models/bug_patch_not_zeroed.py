"""Seeded bug: padding is zeroed patch by patch (the token mask repeated over the patch's
frames), so the frames past the length inside a partly filled last patch keep their garbage;
cut to its length, the same row zero-pads that patch. Real code reuses the token mask it already
has for attention instead of building a frame mask."""

from types import SimpleNamespace

import _common
import torch

EXPECTED_FAILURE = "model.padding_invariance"


class Encoder(_common.Encoder):
    def mask_frames(self, x, lengths):
        patch = torch.arange(x.shape[1]) // self.samples_per_patch
        padded = patch[None, :] >= self.valid_patches(lengths)[:, None]
        return x.masked_fill(padded[..., None], 0.0)


def make_model(seed: int = 0) -> SimpleNamespace:
    return _common.target(Encoder(seed=seed))
