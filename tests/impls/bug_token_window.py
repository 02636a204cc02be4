"""Seeded bug: a token-level sliding window (q - k <= L*C) instead of whole left chunks."""

import _base
import torch
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "mask.left_span"


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.is_full_context():
        return None
    _base.check_mask_args(config)
    c, l_ = config.chunk_size, config.context_chunks
    q, k = torch.arange(seq_len)[:, None], torch.arange(seq_len)[None, :]
    mask = k // c <= q // c
    if l_ is not None:
        mask &= q - k <= l_ * c
    return mask[None, None].to(device)
