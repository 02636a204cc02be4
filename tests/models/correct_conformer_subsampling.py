"""A correct conformer (Gulati et al. block order: half-step feed-forward, attention,
convolution, half-step feed-forward) behind a convolutional subsampling front end that reads
frames past its own patch. Seed 0 is the time axis of WeNet's ``Conv2dSubsampling4``: two
kernel-3 stride-2 convolutions, 4 frames a token, token ``t`` reading frames ``4t .. 4t+6``, so
``lookahead_frames = 3``; other seeds use one strided convolution of kernel ``S + R`` with a
right context ``R`` of up to two chunks. The stream waits for those frames before it emits a
chunk, and declares them."""

from __future__ import annotations

import random
from types import SimpleNamespace

import _conformer


def config(seed: int = 0) -> _conformer.Config:
    if seed == 0:
        spp, frontend, lookahead, chunk = 4, "conv2x", 3, 2
    else:
        rng = random.Random(seed)
        spp, chunk = rng.choice((1, 2, 3)), rng.choice((1, 2, 3))
        frontend, lookahead = "conv", rng.randint(1, 2 * spp * chunk)
    return _conformer.Config(
        samples_per_patch=spp,
        frontend=frontend,
        lookahead_frames=lookahead,
        chunk_size=chunk,
        kernel=3,
        context_chunks=(1, 1),
        modules=("ff/2", "attn", "conv", "ff/2"),
    )


def make_model(seed: int = 0) -> SimpleNamespace:
    return _conformer.target(_conformer.Encoder(config(seed), seed=seed))
