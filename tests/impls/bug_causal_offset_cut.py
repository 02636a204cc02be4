"""Seeded bug (causal variant): the causal cut computed on offsets inside the chunk,
``k % C <= q % C``, and broadcast over every visible chunk: the earlier chunks, which a query
sees whole, are cut as if they were its own."""

import _base
import torch
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "mask.left_span"
WITHIN_CHUNK = "causal"


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.is_full_context():
        return None
    _base.check_mask_args(config)
    low, high, key = _base.chunk_bounds(seq_len, config)
    offset = torch.arange(seq_len) % config.chunk_size
    cut = offset[None, :] <= offset[:, None]
    return ((key >= low) & (key <= high) & cut)[None, None].to(device)
