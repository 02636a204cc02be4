"""Seeded bug (causal variant): chunk indices from 1-based position ids, ``(pos + 1) // C``:
every chunk boundary moves one token left, so the last token of a chunk opens the next chunk
and no longer sees the keys before it."""

import _base
import torch
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "mask.own_chunk"
WITHIN_CHUNK = "causal"


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.is_full_context():
        return None
    _base.check_mask_args(config)
    position_ids = torch.arange(1, seq_len + 1)
    chunk = position_ids // config.chunk_size
    qc, kc = chunk[:, None], chunk[None, :]
    mask = (kc <= qc) & (position_ids[None, :] <= position_ids[:, None])
    if config.context_chunks is not None:
        mask &= kc >= qc - config.context_chunks
    return mask[None, None].to(device)
