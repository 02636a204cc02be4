"""Seeded bug: a hand-written fast path for one common eval geometry (C=5, L=1) that forgets
the partial last chunk: its queries see only their own chunk. Every other geometry is right, so
random examples rarely land on it; the small-scope check tries every small geometry."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "mask.small_scope"


def create_dynamic_chunk_mask(seq_len, config, device=None):
    mask = _base.create_dynamic_chunk_mask(seq_len, config, device)
    if config.chunk_size == 5 and config.context_chunks == 1 and seq_len % 5:
        mask = mask.clone()
        last = seq_len - seq_len % 5
        mask[..., last:, :last] = False  # "the tail chunk has no history yet"
    return mask
