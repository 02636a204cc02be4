"""Mixed-precision bug: the RMS norms compute in the activations' dtype instead of upcasting to
float32 first. A padded token is reset to zero, its variance is 0 and ``rsqrt(0 + 1e-6)`` is
1000: finite forward. The backward of ``rsqrt`` multiplies by its result cubed, 1e9, which is
``inf`` in float16, and by the zero the padded token passes back: ``0 * inf = NaN`` in every
parameter. Right in float32 and bfloat16 (whose range is float32's); NaN gradients in
``16-true`` (the module cast to float16), the way a model loaded with ``torch_dtype=float16``
trains.

Reported as pytorch/pytorch#133085 and #134106 (``nn.RMSNorm`` in float16 overflows where
``LlamaRMSNorm`` upcasts), meta-llama/llama#1048 (RMSNorm must run in fp32),
huggingface/diffusers#13316 (RMS normalisation in fp16 gives NaN on zero-norm slices)."""

from types import SimpleNamespace

import _amp
import _common

EXPECTED_FAILURE = "model.grad_finite"
EXPECTED_PRECISION = "16-true"


class Encoder(_amp.Encoder):
    def norm1(self, i, h):
        return _common.rms_norm(h, self.layers[i]["norm1"])

    def norm2(self, i, h):
        return _common.rms_norm(h, self.layers[i]["norm2"])

    def final_norm(self, h):
        return _common.rms_norm(h, self.final_gain)


def make_model(seed: int = 0) -> SimpleNamespace:
    return _amp.target(Encoder(seed=seed))
