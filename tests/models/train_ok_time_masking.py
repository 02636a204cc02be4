"""A healthy model whose ``train_forward`` differs from ``forward``: training masks random spans
of input frames (SpecAugment-style time masking, from a seeded generator of its own) before the
module runs in training mode; the eval ``forward`` never masks."""

from types import SimpleNamespace

import _trainable
import torch


def make_model(seed: int = 0) -> SimpleNamespace:
    net = _trainable.Encoder(seed=seed)
    g = torch.Generator().manual_seed(seed + 7)

    def train_forward(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = x.clone()
        for row, length in enumerate(lengths.tolist()):
            width = int(torch.randint(0, max(1, length // 8) + 1, (), generator=g))
            start = int(torch.randint(0, max(1, length - width + 1), (), generator=g))
            x[row, start : start + width] = 0.0
        net.module.train()
        return net.module(x, lengths)

    return _trainable.target(net, train_forward=train_forward)
