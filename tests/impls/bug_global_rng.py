"""Seeded bug: random.seed(seed) on the global generator: any other user of random shifts the stream."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "sampler.determinism"

import random


class ChunkConfigSampler(_base.ChunkConfigSampler):
    def make_rng(self, seed):
        random.seed(seed)
        return random
