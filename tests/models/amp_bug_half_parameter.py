"""Mixed-precision bug: one parameter is stored in float16 (the final norm's gain converted by
hand, as a layer switched to half or a sub-model loaded with ``torch_dtype=float16``). In float32
its product with the float32 activations is float32 and everything trains; under ``16-mixed``
the GradScaler refuses its float16 gradient at the first step: ``ValueError: Attempting to
unscale FP16 gradients.``

Reported as mk-minchul/AdaFace#127 (a PReLU changed to float16 by hand), yk7333/d3po#6 (a UNet
kept in fp16 and trained with fp16 AMP), haotian-liu/LLaVA#363 and Facico/Chinese-Vicuna#168
(fine-tuning an fp16-loaded model with ``--fp16``)."""

from types import SimpleNamespace

import _amp
import torch

EXPECTED_FAILURE = "model.overfits"
EXPECTED_PRECISION = "16-mixed"


class Encoder(_amp.Encoder):
    def build_module(self):
        module = super().build_module()
        module.final_gain.data = module.final_gain.data.to(torch.float16)
        return module


def make_model(seed: int = 0) -> SimpleNamespace:
    return _amp.target(Encoder(seed=seed))
