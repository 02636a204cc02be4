"""Seeded bug: the masked softmax has no guard for a query without any visible key: ``-inf``
everywhere gives NaN. Valid tokens always see their own chunk, so only rows of length 0 and
padded tokens past the window go NaN (the per-layer padding reset keeps it out of valid tokens)."""

import math
from types import SimpleNamespace

import _common

EXPECTED_FAILURE = "model.finite"


class Encoder(_common.Encoder):
    def attend(self, q, k, v, mask, bias):
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + bias
        return scores.masked_fill(~mask, float("-inf")).softmax(-1) @ v


def make_model(seed: int = 0) -> SimpleNamespace:
    return _common.target(Encoder(seed=seed))
