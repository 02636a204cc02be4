"""Seeded bug: An infinite chunk_size_max is accepted and silently disables chunking."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "sampler.rejects_bad_input"

import math


class ChunkConfigSampler(_base.ChunkConfigSampler):
    @staticmethod
    def validate(chunk_range, context_range, ts, p_chunk, p_left):
        if math.isinf(chunk_range[1]):
            return
        _base.ChunkConfigSampler.validate(chunk_range, context_range, ts, p_chunk, p_left)

    def sample(self):
        if math.isinf(self.chunk_size_range[1]):
            return ChunkConfig(None, None)
        return super().sample()
