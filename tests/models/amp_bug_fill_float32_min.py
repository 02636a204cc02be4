"""Mixed-precision bug: hidden scores filled with ``torch.finfo(torch.float32).min`` (the dtype
written out instead of the scores' own). -3.4028e38 is below bfloat16's most negative number
(-3.3895e38), so under bfloat16 autocast the forward raises ``RuntimeError: value cannot be
converted to type at::BFloat16 without overflow`` (float16 too); float32 is fine.

Reported as espnet/espnet#4584 (``masked_fill(mask, min_value)`` with float32's min under
bfloat16; the fix takes ``torch.finfo(scores.dtype)``), dotnet/TorchSharp#1135 (float32's max
into a Half tensor) and huggingface/lerobot#710."""

import math
from types import SimpleNamespace

import _amp
import torch

EXPECTED_FAILURE = "model.finite"
EXPECTED_PRECISION = "bf16-mixed"


class Encoder(_amp.Encoder):
    def attend(self, q, k, v, mask, bias):
        live = mask.any(-1, keepdim=True)
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
        hidden = torch.finfo(torch.float32).min
        weights = scores.masked_fill(~(mask | ~live), hidden).softmax(-1)
        return (weights @ v) * live


def make_model(seed: int = 0) -> SimpleNamespace:
    return _amp.target(Encoder(seed=seed))
