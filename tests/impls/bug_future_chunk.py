"""Seeded bug: Upper bound qc + 1: the next chunk leaks in."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "mask.causality"


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.is_full_context():
        return None
    _base.check_mask_args(config)
    low, high, key = _base.chunk_bounds(seq_len, config)
    return ((key >= low) & (key <= high + 1))[None, None].to(device)
