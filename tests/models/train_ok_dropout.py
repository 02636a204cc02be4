"""A healthy model with dropout (p=0.1) on every residual branch in the training forward, drawn
from the model's own seeded generator: the training losses are noisy, the eval forward is not."""

from types import SimpleNamespace

import _trainable


def make_model(seed: int = 0) -> SimpleNamespace:
    return _trainable.target(_trainable.Encoder(seed=seed, dropout=0.1))
