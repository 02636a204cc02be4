"""Seeded bug: The seed is never used: random.Random() seeds from the clock."""

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "sampler.determinism"

import random


class ChunkConfigSampler(_base.ChunkConfigSampler):
    def make_rng(self, seed):
        return random.Random()
