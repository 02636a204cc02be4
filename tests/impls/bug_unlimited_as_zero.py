"""Seeded bug: not left-constrained returns context_chunks=0 (block-diagonal) instead of None."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "sampler.probabilities"


class ChunkConfigSampler(_base.ChunkConfigSampler):
    def sample(self):
        config = super().sample()
        if config.chunk_size is not None and config.context_chunks is None:
            return ChunkConfig(config.chunk_size, 0)
        return config
