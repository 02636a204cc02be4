"""Seeded bug: the convolution cache is computed but never carried to the next chunk: each
chunk's depthwise convolution starts from zero padding, as if every chunk were the start of the
utterance. This is the decoding loop that passes the initial (all-zero) ``cnn_cache`` /
``cache_last_time`` on every call instead of the one the previous call returned: the
"causal conv: last ``kernel-1`` frames prepended instead of zero-padding" that had to be added
when NeMo's FastConformer was ported to streaming (Blaizzy/mlx-audio#773). The attention cache
is right, so the error is small, and only at each chunk's first ``K - 1`` tokens."""

from types import SimpleNamespace

import _conformer

EXPECTED_FAILURE = "stream.equivalence"


class Stream(_conformer.Stream):
    def trim(self, i):
        super().trim(i)
        self.state[i]["conv"] = self.model.empty_conv_cache(1)  # a fresh cache every chunk


class Encoder(_conformer.Encoder):
    stream_class = Stream


def make_model(seed: int = 0) -> SimpleNamespace:
    config = _conformer.Config(kernel=3, modules=("attn", "conv", "ff"))
    return _conformer.target(Encoder(config, seed=seed))
