"""Seeded bug: `p < 0 or p > 1` lets NaN through (every comparison with NaN is False)."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "sampler.rejects_bad_input"

import math


class ChunkConfigSampler(_base.ChunkConfigSampler):
    @staticmethod
    def validate(chunk_range, context_range, ts, p_chunk, p_left):
        if any(math.isnan(p) for p in (p_chunk, p_left)):
            return
        _base.ChunkConfigSampler.validate(chunk_range, context_range, ts, p_chunk, p_left)
