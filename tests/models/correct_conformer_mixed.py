"""A correct conformer stack that mixes window sizes and a global layer, per-layer
``context_chunks = [1, None, 2]`` (the interleaving of Gemma 3 or GPT-OSS, in a conformer): the
middle layer attends every earlier chunk, so no output has a left bound and the stream keeps
that layer's whole key/value history (its state may grow; the other layers stay trimmed)."""

from __future__ import annotations

import random
from types import SimpleNamespace

import _conformer


def config(seed: int = 0) -> _conformer.Config:
    rng = random.Random(seed)
    layers = (1, None, 2) if seed == 0 else tuple(rng.choice((0, 1, 2, None)) for _ in range(3))
    if None not in layers:
        layers = (*layers[:2], None)
    return _conformer.Config(
        samples_per_patch=2,
        chunk_size=2,
        kernel=3 if seed == 0 else rng.choice((2, 3)),
        context_chunks=layers,
        modules=("attn", "conv", "ff"),
    )


def make_model(seed: int = 0) -> SimpleNamespace:
    return _conformer.target(_conformer.Encoder(config(seed), seed=seed))
