"""A correct conformer (Gulati et al. block order) behind a *causal* subsampling front end: a
strided convolution left-padded so that token ``t`` reads ``lookbehind_frames`` frames before its
own patch and none after it, as NeMo's FastConformer does with ``causal_downsampling=true``
(kernel 3, stride 2, left padding 2 at seed 0). The front end's look back adds
``ceil(lookbehind_frames / (C*S))`` chunks once to the stack's left receptive field; the stream
keeps those frames between chunks and declares them."""

from __future__ import annotations

import random
from types import SimpleNamespace

import _conformer


def config(seed: int = 0) -> _conformer.Config:
    if seed == 0:
        spp, lookbehind, chunk = 2, 2, 2
    else:
        rng = random.Random(seed)
        spp, chunk = rng.choice((1, 2, 3)), rng.choice((1, 2, 3))
        lookbehind = rng.randint(1, 2 * spp * chunk + 1)
    return _conformer.Config(
        samples_per_patch=spp,
        frontend="conv",
        lookbehind_frames=lookbehind,
        chunk_size=chunk,
        kernel=3,
        context_chunks=(1, 1),
        modules=("ff/2", "attn", "conv", "ff/2"),
    )


def make_model(seed: int = 0) -> SimpleNamespace:
    return _conformer.target(_conformer.Encoder(config(seed), seed=seed))
