"""Mixed-precision bug: the additive mask is built in float32 (``-1e30`` where hidden) and cast
to the scores' dtype. In float32 and bfloat16 -1e30 is a number; cast to float16 it is ``-inf``,
so a query that sees no key (a padded token, every token of a row of length 0) has a row of
``-inf`` and its softmax is NaN. The forward guards the rows after the softmax
(``torch.where(live, weights, 0)``), so the outputs are finite and ``model.finite`` passes; the
backward multiplies the NaN by the guard's zero gradient, and the first float16 step puts NaN
into every parameter.

Reported as NVIDIA/apex#93 (``-1e15`` is ``-inf`` in half; under AMP every gradient is NaN),
GreatV/oar-ocr#178 (``-1e9`` cast to F16 is ``-inf``: a padded query's row is all ``-inf`` and
its softmax NaN), google/flax#982 (float16 attention with a mask gives NaN)."""

import math
from types import SimpleNamespace

import _amp
import torch

EXPECTED_FAILURE = "model.grad_finite"
EXPECTED_PRECISION = "16-mixed"


class Encoder(_amp.Encoder):
    def attend(self, q, k, v, mask, bias):
        live = mask.any(-1, keepdim=True)
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
        additive = torch.zeros(mask.shape, device=scores.device).masked_fill(~mask, -1e30)
        weights = (scores + additive.to(scores.dtype)).softmax(-1)
        weights = torch.where(live, weights, 0.0)
        return weights @ v


def make_model(seed: int = 0) -> SimpleNamespace:
    return _amp.target(Encoder(seed=seed))
