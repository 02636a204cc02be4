"""Seeded bug: Token-level causality inside the chunk: k <= q hides the chunk's own future."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "mask.own_chunk"

import torch


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.is_full_context():
        return None
    _base.check_mask_args(config)
    low, high, key = _base.chunk_bounds(seq_len, config)
    idx = torch.arange(seq_len)
    return ((key >= low) & (key <= high) & (idx[None, :] <= idx[:, None]))[None, None].to(device)
