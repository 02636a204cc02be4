"""Seeded bug: the BatchNorm of the convolution module normalizes with the statistics of the
batch in hand (mean and variance over rows and time) instead of its running statistics: a
``BatchNorm1d(track_running_stats=False)``, or the module exported in training mode. A row's
output then depends on the other rows of its batch, on its padding, and on frames later in the
utterance (pytorch/audio#4205: "Normalization statistics include padded steps ... both
``BatchNorm1d`` (default) and ``GroupNorm`` compute their mean/var over the time axis";
hulianyuyy/CorrNet#61, results that change with the test batch size)."""

from types import SimpleNamespace

import _conformer
import torch

EXPECTED_FAILURE = "model.batch_invariance"
ALSO_BREAKS = (
    "model.padding_invariance",
    "model.chunk_causality",
    "model.receptive_field",
    "stream.equivalence",
)


class Encoder(_conformer.Encoder):
    def conv_norm(self, p, y, token_ok):
        mean = y.mean(dim=(0, 1), keepdim=True)
        var = y.var(dim=(0, 1), unbiased=False, keepdim=True)
        gain, bias = p["conv_norm"]
        return (y - mean) * torch.rsqrt(var + 1e-5) * gain + bias


def make_model(seed: int = 0) -> SimpleNamespace:
    config = _conformer.Config(conv_norm="batch", modules=("ff/2", "attn", "conv", "ff/2"))
    return _conformer.target(Encoder(config, seed=seed))
