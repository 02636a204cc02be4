"""Seeded bug (causal variant): the fast path kept from the "full" variant, "a chunk as long as
the sequence means no mask": all True for ``C >= T``, where the causal variant is plain causal
(the prompt shorter than ``attention_chunk_size`` attends to its future)."""

import _base
import torch
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "mask.unlimited"
WITHIN_CHUNK = "causal"


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.is_full_context():
        return None
    _base.check_mask_args(config)
    if config.chunk_size >= seq_len:
        return torch.ones(1, 1, seq_len, seq_len, dtype=torch.bool, device=device)
    low, high, key = _base.chunk_bounds(seq_len, config)
    q = torch.arange(seq_len)
    return ((key >= low) & (key <= high) & (q[None, :] <= q[:, None]))[None, None].to(device)
