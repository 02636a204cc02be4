"""A healthy model with layers frozen on purpose: the front end (patch embedding) and the first
block are pretrained and fine-tuning trains the rest, so their parameters are created with
``requires_grad=False``. ``model.grad_flow`` must not name them: they are meant not to learn."""

from types import SimpleNamespace

import _trainable


def make_model(seed: int = 0) -> SimpleNamespace:
    net = _trainable.Encoder(seed=seed)
    for p in (*net.module.embedding.parameters(), *net.module.layers[0].parameters()):
        p.requires_grad_(False)
    return _trainable.target(net)
