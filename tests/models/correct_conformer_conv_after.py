"""A correct causal conformer in WeNet's U2++ layout: each block is attention, then the
convolution module (causal depthwise, kernel ``K``, LayerNorm as WeNet's ``cnn_module_norm:
layer_norm``), then a feed-forward; a linear patch front end (no right context). The seed picks
the chunk size, the kernel and the per-layer left context, so the checks meet several
geometries; every attribute is declared from the config (``left_reach = K - 1``)."""

from __future__ import annotations

import random
from types import SimpleNamespace

import _conformer


def config(seed: int = 0) -> _conformer.Config:
    rng = random.Random(seed)
    chunk = 2 if seed == 0 else rng.choice((1, 2, 3))
    kernel = 3 if seed == 0 else rng.choice((2, 3, 4, 5))
    left = (1, 1) if seed == 0 else (rng.choice((0, 1, 2)), rng.choice((1, 2)))
    return _conformer.Config(
        samples_per_patch=2,
        chunk_size=chunk,
        kernel=kernel,
        context_chunks=left,
        modules=("attn", "conv", "ff"),
    )


def make_model(seed: int = 0) -> SimpleNamespace:
    return _conformer.target(_conformer.Encoder(config(seed), seed=seed))
