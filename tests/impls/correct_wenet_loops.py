"""A correct implementation in WeNet's style: a plain-class config, a numpy Generator, a ceil by
``Decimal(str(x))``, and a mask filled row by row with data-dependent ``.item()`` calls (which
cannot run on the ``meta`` device: that is no breach of the contract)."""

import math
from decimal import ROUND_CEILING, Decimal

import numpy as np
import torch


class ChunkConfig:
    def __init__(self, chunk_size=None, context_chunks=None):
        self.chunk_size, self.context_chunks = chunk_size, context_chunks

    def is_full_context(self):
        return self.chunk_size is None


class ChunkConfigSampler:
    def __init__(
        self,
        *,
        chunk_size_range,
        context_sec_range,
        timestep_duration_sec,
        chunkwise_prob=1.0,
        left_constrain_prob=1.0,
        seed=None,
    ):
        def bound(name, value, low, high=math.inf):
            if not (math.isfinite(value) and low <= value <= high):
                raise ValueError(f"{name} must be finite and in [{low}, {high}], got {value}")
            return value

        c0 = bound("chunk_size_range[0]", chunk_size_range[0], 1)
        c1 = bound("chunk_size_range[1]", chunk_size_range[1], c0)
        s0 = bound("context_sec_range[0]", context_sec_range[0], 0)
        s1 = bound("context_sec_range[1]", context_sec_range[1], s0)
        bound("chunkwise_prob", chunkwise_prob, 0, 1)
        bound("left_constrain_prob", left_constrain_prob, 0, 1)
        if not (math.isfinite(timestep_duration_sec) and timestep_duration_sec > 0):
            raise ValueError(f"timestep_duration_sec must be > 0, got {timestep_duration_sec}")
        self.c0, self.c1, self.s0, self.s1 = int(c0), int(c1), s0, s1
        self.ts, self.p, self.q = timestep_duration_sec, chunkwise_prob, left_constrain_prob
        self.rng = np.random.default_rng(seed)

    def sample(self):
        if self.rng.random() < 1 - self.p:
            return ChunkConfig(None, None)
        chunk = int(self.rng.integers(self.c0, self.c1, endpoint=True))
        if self.rng.random() < 1 - self.q:
            return ChunkConfig(chunk, None)
        seconds = float(self.rng.uniform(self.s0, self.s1))
        ratio = Decimal(str(seconds)) / Decimal(str(self.ts)) / chunk
        return ChunkConfig(chunk, int(ratio.to_integral_value(rounding=ROUND_CEILING)))


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.is_full_context():
        return None
    c, l_ = config.chunk_size, config.context_chunks
    if c < 1 or (l_ is not None and l_ < 0):
        raise ValueError(f"need chunk_size >= 1 and context_chunks >= 0, got {c}, {l_}")
    ret = torch.zeros(seq_len, seq_len, device=device, dtype=torch.bool)
    chunk_ids = torch.arange(seq_len, device=device) // c
    for i in range(seq_len):
        qc = int(chunk_ids[i].item())
        start = 0 if l_ is None else max((qc - l_) * c, 0)
        ret[i, start : min((qc + 1) * c, seq_len)] = True
    return ret.unsqueeze(0).unsqueeze(0)
