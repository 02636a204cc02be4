"""Seeded bug: round() instead of ceil: too little context whenever the ratio rounds down."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "ceil.coverage"


class ChunkConfigSampler(_base.ChunkConfigSampler):
    def context_chunks(self, context_sec, chunk_size):
        return round(context_sec / self.timestep_duration_sec / chunk_size)
