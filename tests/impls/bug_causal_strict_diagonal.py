"""Seeded bug (causal variant): the causal cut off by one, ``k < q`` (``tril(diagonal=-1)``):
a query never sees itself, and the first query of the sequence sees nothing at all."""

import _base
import torch
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "mask.own_chunk"
WITHIN_CHUNK = "causal"


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.is_full_context():
        return None
    _base.check_mask_args(config)
    low, high, key = _base.chunk_bounds(seq_len, config)
    cut = torch.ones(seq_len, seq_len, dtype=torch.bool).tril(diagonal=-1)
    return ((key >= low) & (key <= high) & cut)[None, None].to(device)
