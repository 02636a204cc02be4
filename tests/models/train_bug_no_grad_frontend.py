"""Training bug: the front end (frames to patch embeddings) runs under ``torch.no_grad()``,
copied from the inference path where a pretrained feature extractor was frozen that way. Its
parameters still have ``requires_grad=True`` and sit in the optimizer; they never get a gradient.

hushell/sib_meta_learn#3 ("the feature extractor is actually executed in the torch.no_grad
context": training from scratch silently leaves it untrained), pranoyr/cnn-lstm#6 (a
``torch.no_grad()`` around the CNN: its weights are never updated)."""

from types import SimpleNamespace

import _trainable
import torch

EXPECTED_FAILURE = "model.grad_flow"


class Encoder(_trainable.Encoder):
    def front_end(self, x, lengths):
        with torch.no_grad():
            return super().front_end(x, lengths)


def make_model(seed: int = 0) -> SimpleNamespace:
    return _trainable.target(Encoder(seed=seed))
