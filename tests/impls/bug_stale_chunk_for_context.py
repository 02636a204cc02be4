"""Seeded bug: Context chunks computed with chunk_size_max instead of this draw's chunk size."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "sampler.ranges"


class ChunkConfigSampler(_base.ChunkConfigSampler):
    def context_chunks(self, context_sec, chunk_size):
        return super().context_chunks(context_sec, self.chunk_size_range[1])
