"""A healthy trainable model: the shared encoder with its weights as the parameters of an
``nn.Module`` and a NaN-safe masked softmax; the default training forward
(``module.train()``, then ``module(x, lengths)``)."""

from types import SimpleNamespace

import _trainable


def make_model(seed: int = 0) -> SimpleNamespace:
    return _trainable.target(_trainable.Encoder(seed=seed))
