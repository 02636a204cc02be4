"""A plain, correct implementation of the seed API, written independently of chunkattn.

The seeded-bug modules beside it import this and break exactly one thing each, the way real
code goes wrong; each declares ``EXPECTED_FAILURE``, the check that must catch it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional

import torch


@dataclass
class ChunkConfig:
    chunk_size: Optional[int]  # noqa: UP045 (the seed API's own spelling)
    context_chunks: Optional[int]  # noqa: UP045

    def is_full_context(self) -> bool:
        return self.chunk_size is None


def exact_ceil(context_sec, timestep_duration_sec, chunk_size) -> int:
    return math.ceil(
        Fraction(repr(context_sec)) / Fraction(repr(timestep_duration_sec)) / chunk_size
    )


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
        self.validate(
            chunk_size_range,
            context_sec_range,
            timestep_duration_sec,
            chunkwise_prob,
            left_constrain_prob,
        )
        self.chunk_size_range = chunk_size_range
        self.context_sec_range = context_sec_range
        self.timestep_duration_sec = timestep_duration_sec
        self.chunkwise_prob = chunkwise_prob
        self.left_constrain_prob = left_constrain_prob
        self._rng = self.make_rng(seed)

    @staticmethod
    def validate(chunk_range, context_range, ts, p_chunk, p_left):
        values = [*chunk_range, *context_range, ts, p_chunk, p_left]
        if any(not math.isfinite(v) for v in values):
            raise ValueError("every bound must be finite")
        if chunk_range[0] < 1 or chunk_range[0] > chunk_range[1]:
            raise ValueError("chunk_size_range must satisfy 1 <= min <= max")
        if context_range[0] < 0 or context_range[0] > context_range[1]:
            raise ValueError("context_sec_range must satisfy 0 <= min <= max")
        if ts <= 0:
            raise ValueError("timestep_duration_sec must be > 0")
        for p in (p_chunk, p_left):
            if not 0 <= p <= 1:
                raise ValueError("probabilities must be in [0, 1]")

    def make_rng(self, seed):
        return random.Random(seed)

    def chunkwise(self) -> bool:
        return self._rng.random() < self.chunkwise_prob

    def left_constrained(self) -> bool:
        return self._rng.random() < self.left_constrain_prob

    def draw_chunk(self) -> int:
        return self._rng.randint(*self.chunk_size_range)

    def draw_context_sec(self) -> float:
        return self._rng.uniform(*self.context_sec_range)

    def context_chunks(self, context_sec, chunk_size) -> int:
        return exact_ceil(context_sec, self.timestep_duration_sec, chunk_size)

    def sample(self) -> ChunkConfig:
        if not self.chunkwise():
            return ChunkConfig(None, None)
        chunk = self.draw_chunk()
        if not self.left_constrained():
            return ChunkConfig(chunk, None)
        return ChunkConfig(chunk, self.context_chunks(self.draw_context_sec(), chunk))


def check_mask_args(config):
    if config.chunk_size is not None and config.chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    if config.context_chunks is not None and config.context_chunks < 0:
        raise ValueError("context_chunks must be >= 0")


def chunk_bounds(seq_len, config):
    """Per-query lowest and highest visible key chunk, and each key's chunk."""
    chunk = torch.arange(seq_len) // config.chunk_size
    low = (
        torch.zeros_like(chunk) if config.context_chunks is None else chunk - config.context_chunks
    )
    return low[:, None], chunk[:, None], chunk[None, :]


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.is_full_context():
        return None
    check_mask_args(config)
    low, high, key = chunk_bounds(seq_len, config)
    return ((key >= low) & (key <= high))[None, None].to(device)
