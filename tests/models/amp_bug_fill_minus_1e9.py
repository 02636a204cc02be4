"""Mixed-precision bug: hidden scores filled with ``-1e9``. Fine in float32 and bfloat16 (whose
range is float32's); under float16 autocast the scores are float16, whose most negative number
is -65504, and the forward raises ``RuntimeError: value cannot be converted to type at::Half
without overflow``.

Reported as facebookresearch/fairseq#3575 (encoder ``attn_mask`` in fp16, ``-1e+08``),
NVIDIA/apex#1052 and NVIDIA/apex#1105 (``masked_fill(..., -1e9)`` / ``-1e10`` under AMP),
bentrevett/pytorch-seq2seq#191 (``-1e10`` on 16-bit precision)."""

import math
from types import SimpleNamespace

import _amp

EXPECTED_FAILURE = "model.finite"
EXPECTED_PRECISION = "16-mixed"


class Encoder(_amp.Encoder):
    def attend(self, q, k, v, mask, bias):
        live = mask.any(-1, keepdim=True)
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
        weights = scores.masked_fill(~(mask | ~live), -1e9).softmax(-1)
        return (weights @ v) * live


def make_model(seed: int = 0) -> SimpleNamespace:
    return _amp.target(Encoder(seed=seed))
