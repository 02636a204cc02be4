"""Seeded bug: the generator seeded from hash() of a string, which Python salts per process:
the same seed is reproducible within one run and different in the next (or on another worker)."""

import random

import _base
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "sampler.isolation"


class ChunkConfigSampler(_base.ChunkConfigSampler):
    def make_rng(self, seed):
        return random.Random(None if seed is None else hash(f"chunk-sampler-{seed}"))
