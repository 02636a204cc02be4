"""Training bug: the attention's pre-norm computes the root mean square with ``eps`` added *outside*
the square root, ``h / (sqrt(mean(h**2)) + eps)``. Forward is finite everywhere (a padded token
reset to zero gives ``0 / eps = 0``), but the derivative of ``sqrt`` at 0 is infinite: the
backward pass through any padded token is ``0 * inf = NaN``, and the reset by multiplication
hands it on to every parameter upstream.

Reported many times: pytorch/pytorch#2421 ("Gradient of zero norm is nan"),
richzhang/PerceptualSimilarity#69 (``SqrtBackward`` returned NaN, eps outside the sqrt),
mpariente/pytorch_stoi#7 and #14 (NaN in training; the fix moves eps under the sqrt)."""

from types import SimpleNamespace

import _trainable

EXPECTED_FAILURE = "model.grad_finite"


class Encoder(_trainable.Encoder):
    def norm1(self, i, h):
        return h / (h.pow(2).mean(-1, keepdim=True).sqrt() + 1e-6) * self.layers[i]["norm1"]


def make_model(seed: int = 0) -> SimpleNamespace:
    return _trainable.target(Encoder(seed=seed))
