"""Seeded bug: Probabilities clamped to [0, 1]: a typo'd 1.5 is silently accepted."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "sampler.rejects_bad_input"


class ChunkConfigSampler(_base.ChunkConfigSampler):
    def __init__(self, *, chunkwise_prob=1.0, left_constrain_prob=1.0, **kwargs):
        super().__init__(
            chunkwise_prob=min(1.0, max(0.0, chunkwise_prob)),
            left_constrain_prob=min(1.0, max(0.0, left_constrain_prob)),
            **kwargs,
        )
