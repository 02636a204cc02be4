"""Seeded bug: masks cached by (T, C, L) but not by device: asked for another device, it serves the first."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "mask.shape_dtype"

_cache = {}


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.is_full_context():
        return None
    key = (seq_len, config.chunk_size, config.context_chunks)
    if key not in _cache:
        _cache[key] = _base.create_dynamic_chunk_mask(seq_len, config, device)
    return _cache[key].clone()
