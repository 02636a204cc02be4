"""A healthy model whose training forward draws from torch's global generator, as most real
code does: ``nn.functional.dropout`` on every residual branch, and wav2vec2/HuBERT-style
masking (``masked_spec_embed``) that replaces a row's first token by a learned mask embedding
with probability one half. The mask embedding gets no gradient from a batch whose rows were
all left unmasked: ``model.grad_flow`` must give it the next batch rather than name it, and the
checks must give the same verdict every run (they seed the global generator for the module and
put it back)."""

from types import SimpleNamespace

import _trainable
import torch
from torch import nn


class MaskingEncoder(_trainable.Encoder):
    def build_module(self) -> nn.Module:
        module = super().build_module()
        module.mask_emb = nn.Parameter(0.5 * torch.ones(self.width))
        return module

    def drop(self, h: torch.Tensor) -> torch.Tensor:
        return nn.functional.dropout(h, 0.1, training=self.dropping)

    def front_end(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        h = super().front_end(x, lengths)
        if not self.dropping:
            return h
        masked = torch.rand(h.shape[0]) < 0.5
        if not masked.any():
            return h  # as real masking code does: nothing to mask, the embedding is not used
        first = torch.zeros(h.shape[:2], dtype=torch.bool)
        first[:, 0] = masked
        return torch.where(first[..., None], self.module.mask_emb, h)


def make_model(seed: int = 0) -> SimpleNamespace:
    return _trainable.target(MaskingEncoder(seed=seed))
