"""Seeded bug: the seed folded into 0..999, so seeds 7 and 1007 give the same run."""

import random

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "sampler.determinism"


class ChunkConfigSampler(_base.ChunkConfigSampler):
    def make_rng(self, seed):
        return random.Random(None if seed is None else seed % 1000)
