"""Seeded bug: The left-context coin uses chunkwise_prob."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "sampler.probabilities"


class ChunkConfigSampler(_base.ChunkConfigSampler):
    def left_constrained(self):
        return self._rng.random() < self.chunkwise_prob
