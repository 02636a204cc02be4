"""Seeded bug: round(uniform(min, max)): both ends reachable, but drawn half as often."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "sampler.reachable"


class ChunkConfigSampler(_base.ChunkConfigSampler):
    def draw_chunk(self):
        return round(self._rng.uniform(*self.chunk_size_range))
