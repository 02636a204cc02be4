"""Seeded bug: one uniform number decides both coins, so they are correlated: P(limited | chunked)
is min(p, q) / p, not q."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "sampler.probabilities"


class ChunkConfigSampler(_base.ChunkConfigSampler):
    def chunkwise(self):
        self._u = self._rng.random()
        return self._u < self.chunkwise_prob

    def left_constrained(self):
        return self._u < self.left_constrain_prob
