"""The shared encoder (:mod:`_common`) as a model that trains: its weights are the parameters of
an ``nn.Module`` (``Encoder.module``), which the eval ``forward`` and the stream use too.

``module(x, lengths)`` is the training forward: the same computation with autograd on, and
dropout (``dropout=p``, from the module's own seeded generator) on the embedded tokens and the
residual branches. Two
things differ from :class:`_common.Encoder`, both needed for training and invisible to forward-
only checks: a query with no visible key (a padded token, a row of length 0) is given every key
and its output zeroed *before* the softmax can produce a NaN (the guard after it, as in
``_common``, is NaN in the backward pass), and padded tokens are reset by multiplying by the
validity mask (a common style, and one that passes a NaN gradient on, as real code does).

The training-bug modules beside it (``train_bug_*.py``) subclass :class:`Encoder` and change one
small thing each, the way real code goes wrong; each passes every forward and streaming check.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import _common
import torch
from torch import nn


class Net(nn.Module):
    """The encoder's weights as parameters; ``forward`` is the training forward."""

    def __init__(self, encoder: Encoder) -> None:
        super().__init__()
        self.__dict__["encoder"] = encoder  # not a submodule: the encoder owns the computation
        self.embedding = self.pair(encoder.embedding)
        self.layers = nn.ModuleList()
        for layer in encoder.layers:
            params = nn.ParameterDict()
            for key, value in layer.items():
                if isinstance(value, tuple):
                    params[f"{key}_weight"], params[f"{key}_bias"] = self.pair(value)
                    layer[key] = (params[f"{key}_weight"], params[f"{key}_bias"])
                else:
                    params[key] = layer[key] = nn.Parameter(value)
            self.layers.append(params)
        self.final_gain = nn.Parameter(encoder.final_gain)
        self.head = self.pair(encoder.head)
        encoder.embedding, encoder.head = tuple(self.embedding), tuple(self.head)
        encoder.final_gain = self.final_gain

    @staticmethod
    def pair(weights: tuple[torch.Tensor, ...]) -> nn.ParameterList:
        return nn.ParameterList(nn.Parameter(w) for w in weights)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.encoder.encode(x, lengths, dropout=self.training)


class Encoder(_common.Encoder):
    """:class:`_common.Encoder` with trainable weights (``self.module``) and optional dropout."""

    def __init__(self, *, seed: int = 0, dropout: float = 0.0, **kwargs) -> None:
        super().__init__(seed=seed, **kwargs)
        self.dropout = dropout
        self.dropping = False
        self.generator = torch.Generator().manual_seed(seed + 1)
        self.module = self.build_module()

    def build_module(self) -> nn.Module:
        return Net(self)

    def drop(self, h: torch.Tensor) -> torch.Tensor:
        """Dropout on a residual branch, in the training forward only."""
        if not self.dropping or self.dropout == 0.0:
            return h
        keep = torch.rand(h.shape, generator=self.generator) >= self.dropout
        return h * keep / (1.0 - self.dropout)

    def attend(self, q, k, v, mask: torch.Tensor, bias) -> torch.Tensor:
        live = mask.any(-1, keepdim=True)
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + bias
        # a query that sees no key sees every key, and its output is zeroed: never -inf only
        weights = scores.masked_fill(~(mask | ~live), float("-inf")).softmax(-1)
        return (weights @ v) * live

    def block(self, i: int, h: torch.Tensor, mask, q_pos, k_pos, past=None):
        p = self.layers[i]
        w, b = p["qkv"]
        q, k, v = (self.split_heads(t) for t in (self.norm1(i, h) @ w + b).chunk(3, -1))
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        a = self.attend(q, k, v, mask, self.position_bias(i, q_pos, k_pos))
        a = a.transpose(1, 2).reshape(h.shape)
        w, b = p["out"]
        h = h + self.drop(a @ w + b)
        (wu, bu), (wd, bd) = p["up"], p["down"]
        h = h + self.drop(self.mlp(i, h, wu, bu, wd, bd))
        return h, (k, v)

    def mlp(self, i: int, h: torch.Tensor, wu, bu, wd, bd) -> torch.Tensor:
        return torch.nn.functional.gelu(self.norm2(i, h) @ wu + bu) @ wd + bd

    def norm1(self, i: int, h: torch.Tensor) -> torch.Tensor:
        return _common.rms_norm(h, self.layers[i]["norm1"])

    def norm2(self, i: int, h: torch.Tensor) -> torch.Tensor:
        return _common.rms_norm(h, self.layers[i]["norm2"])

    def front_end(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Frames to embedded patch tokens (frames past the length zeroed first)."""
        return self.embed(self.patchify(self.mask_frames(x, lengths)))

    def encode(self, x: torch.Tensor, lengths: torch.Tensor, dropout: bool = False):
        """The forward's computation; ``dropout`` in the training forward."""
        self.dropping = dropout
        try:
            h = self.drop(self.front_end(x, lengths))
            pos = torch.arange(h.shape[1])
            valid = pos[None, :] < self.valid_patches(lengths)[:, None]
            mask = self.attention_mask(pos, valid)
            for i in range(self.depth):
                h = h * valid[..., None]  # padded tokens restart from zero
                h, _ = self.block(i, h, mask, pos, pos)
            return self.output(h)
        finally:
            self.dropping = False

    @torch.no_grad()
    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.encode(x, lengths)


Encoder.stream_class = _common.Stream


def target(model: Encoder, **extra) -> SimpleNamespace:
    """The model target (docs/contract.md: Model targets; The training side): the shared one plus ``module``."""
    return SimpleNamespace(**vars(_common.target(model)), module=model.module, **extra)
