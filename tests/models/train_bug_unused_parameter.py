"""Training bug: a parameter created and never used. The model builds an auxiliary output head
(for an intermediate CTC loss that the forward no longer computes); it is in ``parameters()``,
so the optimizer and DDP expect a gradient for it that never comes.

The field's most reported DDP error, "Expected to have finished reduction in the prior iteration
before starting a new one ... your module has parameters that were not used in producing loss"
(pytorch/pytorch#43259: an FPN with 5 output levels defined, 4 used; ImprintLab/MedSegDiff#27;
Megvii-BaseDetection/YOLOX#885). On one GPU nothing complains at all."""

from types import SimpleNamespace

import _trainable
import torch
from torch import nn

EXPECTED_FAILURE = "model.grad_flow"


class Net(_trainable.Net):
    def __init__(self, encoder):
        super().__init__(encoder)
        g = torch.Generator().manual_seed(99)
        self.aux_head_weight = nn.Parameter(
            0.1 * torch.randn(encoder.width, encoder.n_out, generator=g)
        )
        self.aux_head_bias = nn.Parameter(torch.zeros(encoder.n_out))


class Encoder(_trainable.Encoder):
    def build_module(self):
        return Net(self)


def make_model(seed: int = 0) -> SimpleNamespace:
    return _trainable.target(Encoder(seed=seed))
