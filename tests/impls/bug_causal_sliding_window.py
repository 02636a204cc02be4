"""Seeded bug (causal variant): chunked attention taken for sliding-window attention: a causal
window of the last ``(L+1)*C`` tokens, so a query early in its chunk reaches back into chunk
``qc - L - 1``, while ``L=None`` (plain causal) still looks right."""

import _base
import torch
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "mask.left_span"
WITHIN_CHUNK = "causal"


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.is_full_context():
        return None
    _base.check_mask_args(config)
    q, k = torch.arange(seq_len)[:, None], torch.arange(seq_len)[None, :]
    mask = k <= q
    if config.context_chunks is not None:
        mask &= q - k < (config.context_chunks + 1) * config.chunk_size
    return mask[None, None].to(device)
