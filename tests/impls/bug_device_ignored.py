"""Seeded bug: the device argument is ignored; the mask is always built on the CPU."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "mask.shape_dtype"


def create_dynamic_chunk_mask(seq_len, config, device=None):
    return _base.create_dynamic_chunk_mask(seq_len, config, device=None)
