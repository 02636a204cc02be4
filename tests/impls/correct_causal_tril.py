"""A correct ``within_chunk="causal"`` implementation (Llama 4's chunked attention, the
contract's causal variant) in a torch style: a lower-triangular mask cut on the left at the first key of chunk
``qc - L`` (in token units), mask-only, with chunkattn's own ``ChunkConfig``, and caches keyed
by device that hand out clones."""

from functools import lru_cache

import torch

WITHIN_CHUNK = "causal"


@lru_cache(maxsize=64)
def _tril(seq_len, device):
    return torch.ones(seq_len, seq_len, dtype=torch.bool, device=device).tril()


@lru_cache(maxsize=64)
def _mask(seq_len, chunk, context, device):
    rows = torch.arange(seq_len, device=device)[:, None]
    keys = torch.arange(seq_len, device=device)[None, :]
    visible = _tril(seq_len, device).clone()
    if context is not None:
        visible &= keys >= (rows // chunk - context) * chunk
    return visible[None, None]


def create_dynamic_chunk_mask(seq_len, config, device=None):
    chunk, context = config.chunk_size, config.context_chunks
    if chunk is None:
        return None
    if chunk < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk}")
    if context is not None and context < 0:
        raise ValueError(f"context_chunks must be >= 0, got {context}")
    device = torch.device("cpu") if device is None else torch.device(device)
    return _mask(seq_len, chunk, context, device).clone()
