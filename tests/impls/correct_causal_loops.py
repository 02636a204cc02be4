"""A correct ``within_chunk="causal"`` implementation written the way the HF-style mask
functions read: a ``(q, kv) -> bool`` predicate per pair (same or allowed earlier chunk, and
``kv <= q``), evaluated row by row into numpy, then moved to the device; its own plain-class
config."""

import numpy as np
import torch

WITHIN_CHUNK = "causal"


class ChunkConfig:
    def __init__(self, chunk_size=None, context_chunks=None):
        self.chunk_size = chunk_size
        self.context_chunks = context_chunks

    def is_full_context(self):
        return self.chunk_size is None


def chunked_causal(chunk_size, left_chunks):
    def mask_fn(q_idx, kv_idx):
        if kv_idx > q_idx:
            return False
        behind = q_idx // chunk_size - kv_idx // chunk_size
        return left_chunks is None or behind <= left_chunks

    return mask_fn


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.is_full_context():
        return None
    c, l_ = config.chunk_size, config.context_chunks
    if c < 1 or (l_ is not None and l_ < 0):
        raise ValueError(f"need chunk_size >= 1 and context_chunks >= 0, got {c}, {l_}")
    fn = chunked_causal(c, l_)
    grid = np.zeros((seq_len, seq_len), dtype=bool)
    for q in range(seq_len):
        for kv in range(q + 1):
            grid[q, kv] = fn(q, kv)
    return torch.from_numpy(grid).to(device).reshape(1, 1, seq_len, seq_len)
