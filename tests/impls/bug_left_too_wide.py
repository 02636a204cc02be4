"""Seeded bug: Lower bound qc - L - 1: one left chunk too many."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "mask.left_span"


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.is_full_context():
        return None
    _base.check_mask_args(config)
    low, high, key = _base.chunk_bounds(seq_len, config)
    return ((key >= low - 1) & (key <= high))[None, None].to(device)
