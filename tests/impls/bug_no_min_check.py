"""Seeded bug: chunk_size_min 0 and negative context accepted (clamped later)."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "sampler.rejects_bad_input"


class ChunkConfigSampler(_base.ChunkConfigSampler):
    @staticmethod
    def validate(chunk_range, context_range, ts, p_chunk, p_left):
        _base.ChunkConfigSampler.validate(
            (max(1, chunk_range[0]), chunk_range[1]),
            (max(0.0, context_range[0]), context_range[1]),
            ts,
            p_chunk,
            p_left,
        )

    def draw_chunk(self):
        return max(1, super().draw_chunk())

    def draw_context_sec(self):
        return max(0.0, super().draw_context_sec())
