"""Seeded bug: float division "fixed" by rounding to 6 decimals before ceil — right at the
worked examples, one chunk short whenever the context is a hair over a boundary."""

import math

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "ceil.exact"


class ChunkConfigSampler(_base.ChunkConfigSampler):
    def context_chunks(self, context_sec, chunk_size):
        return math.ceil(round(context_sec / self.timestep_duration_sec / chunk_size, 6))
