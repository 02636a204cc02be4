"""Training bug: a layer freeze that catches every parameter. Fine-tuning was meant to train only
the output head, kept trainable by name; the filter, ``name.startswith("output.")``, was copied
from a model whose head was called ``output``, and here it is ``head``: *everything* is frozen. No parameter requires a gradient, so ``model.grad_flow``
has nothing to flag; the optimizer has nothing to train.

Freezing by name or position that catches the wrong tensors: facebookresearch/fairseq#4702
(freezing by substring of the parameter name), amdegroot/ssd.pytorch#109 (freezing by index in
``parameters()``), pytorch/pytorch#1266 (a model whose frozen parameters reach the optimizer)."""

from types import SimpleNamespace

import _trainable

EXPECTED_FAILURE = "model.overfits"


def make_model(seed: int = 0) -> SimpleNamespace:
    net = _trainable.Encoder(seed=seed)
    for name, p in net.module.named_parameters():
        if not name.startswith("output."):
            p.requires_grad_(False)
    return _trainable.target(net)
