"""A correct implementation in a third style: a frozen, validating ChunkConfig (bad values
raise at construction), a torch.Generator for sampling, and the mask by chunk-level blocks."""

import math
from dataclasses import dataclass
from fractions import Fraction

import torch


@dataclass(frozen=True, slots=True)
class ChunkConfig:
    chunk_size: int | None
    context_chunks: int | None

    def __post_init__(self):
        if self.chunk_size is not None and self.chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        if self.context_chunks is not None and self.context_chunks < 0:
            raise ValueError("context_chunks must be >= 0")

    def is_full_context(self):
        return self.chunk_size is None


def _finite(name, x):
    if not isinstance(x, (int, float)) or not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x!r}")


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
        for name, x in [
            ("chunk min", chunk_size_range[0]),
            ("chunk max", chunk_size_range[1]),
            ("context min", context_sec_range[0]),
            ("context max", context_sec_range[1]),
            ("timestep", timestep_duration_sec),
            ("chunkwise_prob", chunkwise_prob),
            ("left_constrain_prob", left_constrain_prob),
        ]:
            _finite(name, x)
        if chunk_size_range[0] < 1 or chunk_size_range[0] > chunk_size_range[1]:
            raise ValueError("bad chunk_size_range")
        if context_sec_range[0] < 0 or context_sec_range[0] > context_sec_range[1]:
            raise ValueError("bad context_sec_range")
        if timestep_duration_sec <= 0:
            raise ValueError("bad timestep")
        if not (0 <= chunkwise_prob <= 1) or not (0 <= left_constrain_prob <= 1):
            raise ValueError("bad probability")
        self.args = (chunk_size_range, context_sec_range, timestep_duration_sec)
        self.p = (chunkwise_prob, left_constrain_prob)
        self.gen = torch.Generator()
        self.gen.manual_seed(seed if seed is not None else int(torch.randint(2**62, (1,))))

    def _u(self):
        return torch.rand((), generator=self.gen, dtype=torch.float64).item()

    def sample(self):
        (c0, c1), (s0, s1), ts = self.args
        if not self._u() < self.p[0]:
            return ChunkConfig(None, None)
        chunk = int(torch.randint(c0, c1 + 1, (), generator=self.gen))
        if not self._u() < self.p[1]:
            return ChunkConfig(chunk, None)
        seconds = s0 + (s1 - s0) * self._u()
        n = Fraction(repr(float(seconds))) / Fraction(repr(ts)) / chunk
        return ChunkConfig(chunk, math.ceil(n))


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.chunk_size is None:
        return None
    c, l = config.chunk_size, config.context_chunks
    if c < 1 or (l is not None and l < 0):
        raise ValueError("bad config")
    n = -(-seq_len // c)
    i = torch.arange(n, device=device)
    diff = i[:, None] - i[None, :]
    blocks = (diff >= 0) & (diff <= (n if l is None else l))
    full = blocks.repeat_interleave(c, 0).repeat_interleave(c, 1)
    return full[:seq_len, :seq_len].contiguous()[None, None]
