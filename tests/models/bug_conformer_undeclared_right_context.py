"""Seeded bug: the model reads frames past each token's patch (WeNet's ``Conv2dSubsampling4``:
token ``t`` reads frames ``4t .. 4t+6``) but declares no look-ahead (``lookahead_frames = 0``):
the latency is stated from the chunk size alone, as in wenet-e2e/wenet#17 ("The latency is
only related to chunk size and sampling rate"), where the U2 paper's own formula adds "6 ... the
lookahead introduced by the first two CNN layers" (wenet-e2e/wenet#1040). Output chunk ``c``
then depends on input chunk ``c + 1`` although the declaration says it may not; the stream,
which does wait for the frames the model needs, emits later than the declaration promises."""

from types import SimpleNamespace

import _conformer

EXPECTED_FAILURE = "model.chunk_causality"
ALSO_BREAKS = ("model.receptive_field", "stream.latency")


def make_model(seed: int = 0) -> SimpleNamespace:
    config = _conformer.Config(
        samples_per_patch=4, frontend="conv2x", lookahead_frames=3, modules=("attn", "conv", "ff")
    )
    return _conformer.target(_conformer.Encoder(config, seed=seed), lookahead_frames=0)
