"""The training-time chunk-config sampler (dynamic chunk training).

Each ``sample()`` flips two seeded coins and draws from two ranges::

    u < chunkwise_prob ?  no -> ChunkConfig(None, None)          (full context)
      chunk_size ~ U{min..max}
    u < left_constrain_prob ?  no -> ChunkConfig(C, None)        (unlimited left context)
      context_sec ~ U[min, max]  -> ChunkConfig(C, ceil(context_sec / ts / C))   (exact)
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

from chunkattn._internal.contract.core import (
    ChunkConfig,
    ConfigError,
    check_sampler_values,
    context_chunks_for,
)

if TYPE_CHECKING:
    from chunkattn._internal.contract.config import ChunkedAttentionSettings

__all__ = ["ChunkConfigSampler"]

_ARGUMENT_FOR_KEY = {
    "chunk_size_min": "chunk_size_range[0] (min)",
    "chunk_size_max": "chunk_size_range[1] (max)",
    "context_sec_min": "context_sec_range[0] (min)",
    "context_sec_max": "context_sec_range[1] (max)",
}


class ChunkConfigSampler:
    """Draws a :class:`ChunkConfig` per training step from its own seeded generator.

    The same ``seed`` gives the same sequence whatever the global ``random``, ``numpy`` or
    ``torch`` generators do; the sampler never reads or changes them.

    >>> s = ChunkConfigSampler(chunk_size_range=(4, 4), context_sec_range=(3.2, 3.2),
    ...                        timestep_duration_sec=0.08, seed=0)
    >>> s.sample()
    ChunkConfig(chunk_size=4, context_chunks=10)
    """

    def __init__(
        self,
        *,
        chunk_size_range: tuple[int, int],
        context_sec_range: tuple[float, float],
        timestep_duration_sec: float,
        chunkwise_prob: float = 1.0,
        left_constrain_prob: float = 1.0,
        seed: int | None = None,
    ) -> None:
        chunk_min, chunk_max = _pair(chunk_size_range, "chunk_size_range")
        context_min, context_max = _pair(context_sec_range, "context_sec_range")
        try:
            check_sampler_values(
                chunk_size_min=chunk_min,
                chunk_size_max=chunk_max,
                context_sec_min=context_min,
                context_sec_max=context_max,
                timestep_duration_sec=timestep_duration_sec,
                chunkwise_prob=chunkwise_prob,
                left_constrain_prob=left_constrain_prob,
            )
        except ConfigError as exc:
            raise ValueError(f"{_ARGUMENT_FOR_KEY.get(exc.key, exc.key)}: {exc.detail}") from None
        self.chunk_size_range = (int(chunk_min), int(chunk_max))
        self.context_sec_range = (context_min, context_max)
        self.timestep_duration_sec = timestep_duration_sec
        self.chunkwise_prob = chunkwise_prob
        self.left_constrain_prob = left_constrain_prob
        self._rng = random.Random(seed)

    @classmethod
    def from_settings(
        cls, settings: ChunkedAttentionSettings, seed: int | None = None
    ) -> ChunkConfigSampler:
        """The sampler a validated ``chunked_attention`` block describes."""
        return cls(
            chunk_size_range=(settings.chunk_size_min, settings.chunk_size_max),
            context_sec_range=(settings.context_sec_min, settings.context_sec_max),
            timestep_duration_sec=settings.timestep_duration_sec,
            chunkwise_prob=settings.chunkwise_prob,
            left_constrain_prob=settings.left_constrain_prob,
            seed=seed,
        )

    def sample(self) -> ChunkConfig:
        rng = self._rng
        if not rng.random() < self.chunkwise_prob:
            return ChunkConfig(None, None)
        chunk_size = rng.randint(*self.chunk_size_range)
        if not rng.random() < self.left_constrain_prob:
            return ChunkConfig(chunk_size, None)
        low, high = self.context_sec_range
        context_sec = min(max(rng.uniform(low, high), low), high)
        return ChunkConfig(
            chunk_size, context_chunks_for(context_sec, self.timestep_duration_sec, chunk_size)
        )


def _pair(value: Sequence, name: str) -> tuple:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) != 2:
        raise ValueError(f"{name}: must be a (min, max) pair, got {value!r}")
    return value[0], value[1]
