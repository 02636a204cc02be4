"""Seeded bug: randrange(min, max): the largest chunk size is never drawn."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "sampler.reachable"


class ChunkConfigSampler(_base.ChunkConfigSampler):
    def draw_chunk(self):
        low, high = self.chunk_size_range
        return low if low == high else self._rng.randrange(low, high)
