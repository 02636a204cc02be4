"""Seeded bug: one generator for the whole class, reseeded by each new sampler: two samplers
(a train and a validation one, say) built with the same seed and drawn in turn eat each other's
draws, although each sampler alone is deterministic."""

import random

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "sampler.isolation"


class ChunkConfigSampler(_base.ChunkConfigSampler):
    _shared = random.Random()

    def make_rng(self, seed):
        ChunkConfigSampler._shared.seed(seed)
        return ChunkConfigSampler._shared
