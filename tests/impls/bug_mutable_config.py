"""Seeded bug: sample() reuses one ChunkConfig object to save allocations, so a config a caller
kept (the model's last_chunk_config, a log entry) changes under it at the next draw."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig

EXPECTED_FAILURE = "sampler.isolation"


class ChunkConfigSampler(_base.ChunkConfigSampler):
    def sample(self):
        drawn = super().sample()
        if not hasattr(self, "_config"):
            self._config = ChunkConfig(None, None)
        self._config.chunk_size, self._config.context_chunks = (
            drawn.chunk_size,
            drawn.context_chunks,
        )
        return self._config
