"""A correct implementation of exactly Llama 4's chunked attention: causal inside the chunk
(``within_chunk="causal"``) and no earlier chunk at all (``FIXED_GEOMETRY``: ``L = 0``), built
as Hugging Face transformers writes it, ``(q // C == kv // C) & (kv <= q)``. It builds nothing
else (any other ``context_chunks`` is a ValueError), so the suite asks it only for ``L = 0``."""

import torch

WITHIN_CHUNK = "causal"
FIXED_GEOMETRY = {"context_chunks": 0}


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.chunk_size is None:
        return None
    if config.chunk_size < 1:
        raise ValueError(f"attention_chunk_size must be >= 1, got {config.chunk_size}")
    if config.context_chunks != 0:
        raise ValueError(f"chunked attention has no left context, got {config.context_chunks}")
    pos = torch.arange(seq_len, device=device)
    q_idx, kv_idx = pos[:, None], pos[None, :]
    same_chunk = q_idx // config.chunk_size == kv_idx // config.chunk_size
    return (same_chunk & (kv_idx <= q_idx))[None, None]
