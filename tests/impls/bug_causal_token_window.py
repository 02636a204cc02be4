"""Seeded bug (causal variant): the left context applied as a token window, ``q - k <= L*C``,
from the query rather than from its chunk's start: the earliest visible chunk loses as many keys
as the query stands into its own chunk."""

import _base
import torch
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "mask.left_span"
WITHIN_CHUNK = "causal"


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.is_full_context():
        return None
    _base.check_mask_args(config)
    c, l_ = config.chunk_size, config.context_chunks
    q, k = torch.arange(seq_len)[:, None], torch.arange(seq_len)[None, :]
    mask = (k // c <= q // c) & (k <= q)
    if l_ is not None:
        mask &= q - k <= l_ * c
    return mask[None, None].to(device)
