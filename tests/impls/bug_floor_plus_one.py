"""Seeded bug: ceil written as floor + 1 (exact arithmetic, so no float drift) — one chunk too
many whenever the context is an exact multiple of the chunk duration, 0 s included."""

import math
from fractions import Fraction

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "ceil.coverage"


class ChunkConfigSampler(_base.ChunkConfigSampler):
    def context_chunks(self, context_sec, chunk_size):
        ratio = (
            Fraction(repr(context_sec)) / Fraction(repr(self.timestep_duration_sec)) / chunk_size
        )
        return math.floor(ratio) + 1
