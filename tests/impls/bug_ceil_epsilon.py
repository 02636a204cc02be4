"""Seeded bug: float drift "fixed" with ceil(x - 1e-9): one chunk short a hair past a boundary."""

import math

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "ceil.exact"


class ChunkConfigSampler(_base.ChunkConfigSampler):
    def context_chunks(self, context_sec, chunk_size):
        return math.ceil(context_sec / self.timestep_duration_sec / chunk_size - 1e-9)
