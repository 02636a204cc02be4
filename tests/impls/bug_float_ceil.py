"""Seeded bug: Context chunks by plain float division: 0.56/0.08/1 gives 8, not 7."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "ceil.exact"

import math


class ChunkConfigSampler(_base.ChunkConfigSampler):
    def context_chunks(self, context_sec, chunk_size):
        return math.ceil(context_sec / self.timestep_duration_sec / chunk_size)
