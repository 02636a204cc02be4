"""Seeded bug: A float 0/1 mask where a bool one is expected."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "mask.shape_dtype"


def create_dynamic_chunk_mask(seq_len, config, device=None):
    mask = _base.create_dynamic_chunk_mask(seq_len, config, device)
    return None if mask is None else mask.float()
