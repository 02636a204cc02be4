"""Seeded bug: context_sec always the range minimum."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "sampler.reachable"


class ChunkConfigSampler(_base.ChunkConfigSampler):
    def draw_context_sec(self):
        return self.context_sec_range[0]
