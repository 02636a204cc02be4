"""Seeded bug: `if not config.context_chunks` treats L=0 as unlimited."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "mask.left_span"


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.is_full_context():
        return None
    _base.check_mask_args(config)
    if not config.context_chunks:
        config = _base.ChunkConfig(config.chunk_size, None)
    low, high, key = _base.chunk_bounds(seq_len, config)
    return ((key >= low) & (key <= high))[None, None].to(device)
