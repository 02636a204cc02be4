"""Correct except at one geometry (T=21, C=5, L=2), which random exploration is unlikely to hit:
a bug that only a recorded regression seed keeps found."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401


def create_dynamic_chunk_mask(seq_len, config, device=None):
    mask = _base.create_dynamic_chunk_mask(seq_len, config, device)
    if (seq_len, config.chunk_size, config.context_chunks) == (21, 5, 2):
        mask[..., 20, 0] = True
    return mask
