"""A correct implementation that returns numpy scalars: chunk sizes as numpy ints and context
chunks as integral numpy floats (np.ceil), with a mask built by explicit loops."""

import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import torch


@dataclass
class ChunkConfig:
    chunk_size: int | None
    context_chunks: int | None

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
        args = [
            *chunk_size_range,
            *context_sec_range,
            timestep_duration_sec,
            chunkwise_prob,
            left_constrain_prob,
        ]
        if any(not math.isfinite(a) for a in args):
            raise ValueError("arguments must be finite")
        if chunk_size_range[0] < 1 or chunk_size_range[0] > chunk_size_range[1]:
            raise ValueError("chunk_size_range")
        if context_sec_range[0] < 0 or context_sec_range[0] > context_sec_range[1]:
            raise ValueError("context_sec_range")
        if (
            timestep_duration_sec <= 0
            or not 0 <= chunkwise_prob <= 1
            or not 0 <= left_constrain_prob <= 1
        ):
            raise ValueError("timestep or probability")
        self.args = (
            chunk_size_range,
            context_sec_range,
            timestep_duration_sec,
            chunkwise_prob,
            left_constrain_prob,
        )
        self.rng = np.random.Generator(np.random.PCG64(seed))

    def sample(self):
        (c0, c1), (s0, s1), ts, p, q = self.args
        if not self.rng.random() < p:
            return ChunkConfig(None, None)
        chunk = self.rng.integers(c0, c1 + 1)
        if not self.rng.random() < q:
            return ChunkConfig(chunk, None)
        seconds = self.rng.uniform(s0, s1) if s1 > s0 else s0
        ratio = Decimal(repr(float(seconds))) / Decimal(repr(ts)) / int(chunk)
        return ChunkConfig(
            chunk, np.ceil(np.float64(ratio.to_integral_value(rounding="ROUND_CEILING")))
        )


def create_dynamic_chunk_mask(seq_len, config, device=None):
    c, l = config.chunk_size, config.context_chunks
    if c is None:
        return None
    if c < 1 or (l is not None and l < 0):
        raise ValueError("chunk_size >= 1 and context_chunks >= 0 required")
    rows = [
        [k // c <= q // c and (l is None or k // c >= q // c - l) for k in range(seq_len)]
        for q in range(seq_len)
    ]
    return torch.tensor(rows, dtype=torch.bool, device=device).view(1, 1, seq_len, seq_len)
