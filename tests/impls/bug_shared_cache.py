"""Seeded bug: Masks cached and returned as-is: `mask &= padding` corrupts later calls."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "mask.caller_owns"

_cache = {}


def create_dynamic_chunk_mask(seq_len, config, device=None):
    key = (seq_len, config.chunk_size, config.context_chunks)
    if key not in _cache:
        _cache[key] = _base.create_dynamic_chunk_mask(seq_len, config, device)
    return _cache[key]
