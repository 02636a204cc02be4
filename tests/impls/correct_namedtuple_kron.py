"""A correct implementation in a fourth style: a NamedTuple config, a ``torch.Generator`` drawing
float64 numbers up front (both coins and the context every time), ``u < p`` coins, chunk sizes
returned as 0-d integer tensors, and the mask as a Kronecker product of a chunk-level band with
``C x C`` blocks."""

import math
from fractions import Fraction
from typing import NamedTuple, Optional

import torch


class ChunkConfig(NamedTuple):
    chunk_size: Optional[int]  # noqa: UP045 (the seed API's own spelling)
    context_chunks: Optional[int]  # noqa: UP045

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
        named = {
            "chunk_size_min": chunk_size_range[0],
            "chunk_size_max": chunk_size_range[1],
            "context_sec_min": context_sec_range[0],
            "context_sec_max": context_sec_range[1],
            "timestep_duration_sec": timestep_duration_sec,
            "chunkwise_prob": chunkwise_prob,
            "left_constrain_prob": left_constrain_prob,
        }
        for name, value in named.items():
            if not math.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value}")
        if not 1 <= chunk_size_range[0] <= chunk_size_range[1]:
            raise ValueError("chunk_size_range must satisfy 1 <= min <= max")
        if not 0 <= context_sec_range[0] <= context_sec_range[1]:
            raise ValueError("context_sec_range must satisfy 0 <= min <= max")
        if not timestep_duration_sec > 0:
            raise ValueError("timestep_duration_sec must be > 0")
        if not (0 <= chunkwise_prob <= 1 and 0 <= left_constrain_prob <= 1):
            raise ValueError("probabilities must lie in [0, 1]")
        self.chunk_range, self.context_range = chunk_size_range, context_sec_range
        self.ts, self.p, self.q = timestep_duration_sec, chunkwise_prob, left_constrain_prob
        self.generator = torch.Generator()
        if seed is None:
            self.generator.seed()
        else:
            self.generator.manual_seed(seed)

    def sample(self):
        (lo, hi), (a, b) = self.chunk_range, self.context_range
        u = torch.rand(4, generator=self.generator, dtype=torch.float64).tolist()
        if not u[0] < self.p:
            return ChunkConfig(None, None)
        chunk = torch.randint(int(lo), int(hi) + 1, (), generator=self.generator)  # a 0-d tensor
        if not u[2] < self.q:
            return ChunkConfig(chunk, None)
        seconds = min(max(a + (b - a) * u[3], a), b)
        ratio = Fraction(repr(float(seconds))) / Fraction(repr(float(self.ts))) / int(chunk)
        return ChunkConfig(chunk, math.ceil(ratio))


def create_dynamic_chunk_mask(seq_len, config, device=None):
    c, l_ = config.chunk_size, config.context_chunks
    if c is None:
        return None
    if c < 1:
        raise ValueError(f"chunk_size must be >= 1, got {c}")
    if l_ is not None and l_ < 0:
        raise ValueError(f"context_chunks must be >= 0, got {l_}")
    n = -(-seq_len // c)
    band = torch.ones(n, n, dtype=torch.bool).tril()
    if l_ is not None:
        band &= ~torch.ones(n, n, dtype=torch.bool).tril(-(l_ + 1))
    blocks = torch.kron(band.int(), torch.ones(c, c, dtype=torch.int)).bool()
    return blocks[:seq_len, :seq_len].reshape(1, 1, seq_len, seq_len).to(device)
