"""A correct macaron conformer with the convolution before the attention (half-step
feed-forward, convolution module, attention, half-step feed-forward), one frame per token, an
eval-mode BatchNorm in the convolution module (running statistics: a fixed per-channel map, as
ESPnet's and NeMo's default ``batch_norm`` at inference), and three layers with ``L = 0`` in the
outer ones (block-diagonal attention: all reach across chunks comes from the convolution). The
seed picks chunk size and kernel."""

from __future__ import annotations

import random
from types import SimpleNamespace

import _conformer


def config(seed: int = 0) -> _conformer.Config:
    rng = random.Random(seed)
    chunk = 3 if seed == 0 else rng.choice((2, 3, 4))
    kernel = 4 if seed == 0 else rng.choice((2, 3, 4, 6))
    return _conformer.Config(
        features=3,
        samples_per_patch=1,
        chunk_size=chunk,
        kernel=kernel,
        context_chunks=(0, 1, 0),
        modules=("ff/2", "conv", "attn", "ff/2"),
        conv_norm="batch",
        width=8,
    )


def make_model(seed: int = 0) -> SimpleNamespace:
    return _conformer.target(_conformer.Encoder(config(seed), seed=seed))
