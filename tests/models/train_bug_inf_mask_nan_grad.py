"""Training bug: an additive ``-inf`` mask with the fully masked rows zeroed *after* the softmax.
Forward is finite (``model.finite`` passes: a padded token or a row of length 0 gets zeros), but
``softmax`` of an all ``-inf`` row is NaN, and its backward multiplies that NaN by the zero
gradient the guard lets through: one padded batch puts NaN into every parameter upstream.

Reported against PyTorch's own ``nn.MultiheadAttention``: pytorch/pytorch#41508 ("causes
gradients to become NaN", limited-context ``attn_mask`` plus ``key_padding_mask``, masked steps
not in the loss), pytorch/pytorch#40932 (a fully padded input gives NaN parameters); the fix
masks before the softmax (#42323, ``torch._safe_softmax``)."""

import math
from types import SimpleNamespace

import _trainable
import torch

EXPECTED_FAILURE = "model.grad_finite"


class Encoder(_trainable.Encoder):
    def attend(self, q, k, v, mask, bias):
        additive = torch.zeros(mask.shape).masked_fill(~mask, float("-inf"))
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + bias + additive
        weights = scores.softmax(-1)
        weights = weights.masked_fill(~mask.any(-1, keepdim=True), 0.0)
        return weights @ v


def make_model(seed: int = 0) -> SimpleNamespace:
    return _trainable.target(Encoder(seed=seed))
