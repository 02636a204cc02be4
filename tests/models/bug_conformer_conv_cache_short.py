"""Seeded bug: the stream keeps ``K - 2`` depthwise inputs as its convolution cache instead of
``K - 1``: the causal padding is sized as if the current token were not one of the kernel's
taps (the off-by-one of lucidrains/audiolm-pytorch#166, where the causal padding of a
``CausalConv1d`` was the wrong length; NeMo's ``cache_last_time`` and WeNet's ``cnn_cache``
are ``K - 1`` long). The forward is right; every streamed chunk's first token reads a zero
where the oldest tap should be, so the stream drifts from the model."""

from types import SimpleNamespace

import _conformer

EXPECTED_FAILURE = "stream.equivalence"


class Stream(_conformer.Stream):
    def conv_keep(self):
        return self.model.config.kernel - 2


class Encoder(_conformer.Encoder):
    stream_class = Stream


def make_model(seed: int = 0) -> SimpleNamespace:
    config = _conformer.Config(kernel=3, modules=("attn", "conv", "ff"))
    return _conformer.target(Encoder(config, seed=seed))
