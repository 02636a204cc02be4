"""Seeded bug: max(1, C) and max(0, L) silently repair bad input."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "mask.rejects_bad_input"


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.is_full_context():
        return None
    context = None if config.context_chunks is None else max(0, config.context_chunks)
    fixed = _base.ChunkConfig(max(1, config.chunk_size), context)
    return _base.create_dynamic_chunk_mask(seq_len, fixed, device)
