"""Seeded bug: `random() > p` chunks with probability 1 - p."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "sampler.probabilities"


class ChunkConfigSampler(_base.ChunkConfigSampler):
    def chunkwise(self):
        return self._rng.random() > self.chunkwise_prob
