"""A correct implementation in another style: numpy Generator, Decimal ceil, cached masks
(returned as copies), chunk size clamped to T (harmless: C >= T is one chunk either way)."""

import math
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

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
        numbers = [
            *chunk_size_range,
            *context_sec_range,
            timestep_duration_sec,
            chunkwise_prob,
            left_constrain_prob,
        ]
        if not all(math.isfinite(x) for x in numbers):
            raise ValueError("all sampler arguments must be finite numbers")
        (c0, c1), (s0, s1) = chunk_size_range, context_sec_range
        if not (1 <= c0 <= c1 and 0 <= s0 <= s1 and timestep_duration_sec > 0):
            raise ValueError("need 1 <= chunk min <= max, 0 <= context min <= max, timestep > 0")
        if not (0 <= chunkwise_prob <= 1 and 0 <= left_constrain_prob <= 1):
            raise ValueError("probabilities must lie in [0, 1]")
        self.c0, self.c1, self.s0, self.s1 = int(c0), int(c1), s0, s1
        self.ts = Decimal(repr(timestep_duration_sec))
        self.p_chunk, self.p_left = chunkwise_prob, left_constrain_prob
        self.rng = np.random.default_rng(seed)

    def sample(self):
        if self.rng.random() >= self.p_chunk:
            return ChunkConfig(None, None)
        chunk = int(self.rng.integers(self.c0, self.c1, endpoint=True))
        if self.rng.random() >= self.p_left:
            return ChunkConfig(chunk, None)
        seconds = float(self.s0 + (self.s1 - self.s0) * self.rng.random())
        ratio = Decimal(repr(seconds)) / self.ts / chunk
        return ChunkConfig(chunk, int(ratio.to_integral_value(rounding="ROUND_CEILING")))


@lru_cache(maxsize=32)
def _mask(seq_len, chunk, context):
    chunk = min(chunk, seq_len)
    q = np.arange(seq_len)[:, None] // chunk
    k = np.arange(seq_len)[None, :] // chunk
    ok = k <= q
    if context is not None:
        ok &= k >= q - context
    return torch.from_numpy(ok)[None, None]


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.chunk_size is None:
        return None
    if config.chunk_size < 1 or (config.context_chunks is not None and config.context_chunks < 0):
        raise ValueError(f"bad chunk config {config}")
    return _mask(seq_len, config.chunk_size, config.context_chunks).clone().to(device)
