"""A correct implementation in a fifth style: bounds in token units (``(qc - L) * C <= k <
(qc + 1) * C``), an ``lru_cache`` keyed by device that hands out clones, a frozen slotted config,
both coins drawn before either is read, and the ceil by integer arithmetic."""

import math
import random
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Optional

import torch


@dataclass(frozen=True, slots=True)
class ChunkConfig:
    chunk_size: Optional[int]  # noqa: UP045 (the seed API's own spelling)
    context_chunks: Optional[int]  # noqa: UP045

    def is_full_context(self) -> bool:
        return self.chunk_size is None


def ceil_chunks(seconds, timestep, chunk):
    ns, ds = Decimal(repr(seconds)).as_integer_ratio()
    nt, dt = Decimal(repr(timestep)).as_integer_ratio()
    return -((-ns * dt) // (ds * nt * chunk))


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
        (cmin, cmax), (smin, smax) = chunk_size_range, context_sec_range
        ts, p, q = timestep_duration_sec, chunkwise_prob, left_constrain_prob
        for value in (cmin, cmax, smin, smax, ts, p, q):
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"sampler arguments must be finite, got {value}")
        if cmin < 1 or cmax < cmin or smin < 0 or smax < smin or ts <= 0:
            raise ValueError("need 1 <= chunk min <= max, 0 <= context min <= max, timestep > 0")
        if not (0.0 <= p <= 1.0 and 0.0 <= q <= 1.0):
            raise ValueError("probabilities must lie in [0, 1]")
        self.cmin, self.cmax, self.smin, self.smax = int(cmin), int(cmax), smin, smax
        self.ts, self.p, self.q = ts, p, q
        self.rng = random.Random(seed)

    def sample(self):
        chunked = self.rng.random() < self.p
        limited = self.rng.random() < self.q
        chunk = self.rng.randint(self.cmin, self.cmax)
        seconds = min(max(self.rng.uniform(self.smin, self.smax), self.smin), self.smax)
        if not chunked:
            return ChunkConfig(None, None)
        if not limited:
            return ChunkConfig(chunk, None)
        return ChunkConfig(chunk, ceil_chunks(seconds, self.ts, chunk))


@lru_cache(maxsize=32)
def _mask(seq_len, chunk, context, device):
    pos = torch.arange(seq_len, device=device)
    first = (pos // chunk) * chunk
    low = first - (seq_len if context is None else context * chunk)
    key = pos[None, :]
    return ((key >= low[:, None]) & (key < (first + chunk)[:, None]))[None, None]


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.is_full_context():
        return None
    if config.chunk_size < 1 or (config.context_chunks is not None and config.context_chunks < 0):
        raise ValueError("chunk_size must be >= 1 and context_chunks >= 0")
    device = torch.device("cpu") if device is None else torch.device(device)
    return _mask(seq_len, config.chunk_size, config.context_chunks, device).clone()
