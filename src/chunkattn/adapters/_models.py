"""What the model adapters share: seeded construction that leaves the global generators alone,
and the key-padding mask of a ``lengths`` vector.

A model adapter builds the library's real model from a small config and maps the config onto
the model-target protocol (docs/contract.md: Model targets; What a model declares it reaches); nothing here computes attention.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["key_padding", "seeded", "trained_as"]


def seeded(seed: int, build: Callable[[], Any]) -> Any:
    """``build()`` with torch's global generator seeded by ``seed`` inside a fork, so the
    library's own initialisation is reproducible and the caller's generator state is untouched
    (libraries initialise their weights from the global generator; there is no other way in)."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def key_padding(lengths: Any, frames: int) -> Any:
    """``(B, frames)`` bool: True where a frame is inside its row's length."""
    import torch

    return torch.arange(frames, device=lengths.device)[None, :] < lengths[:, None]


def trained_as(module: Any, run: Callable[[Any, Any], Any]) -> dict[str, Any]:
    """The model-target attributes of one call ``run(x, lengths)`` into ``module``: ``forward``
    (eval mode, no autograd), ``train_forward`` (training mode, autograd: the training-health
    checks backpropagate through the library's own code) and ``module``."""
    import torch

    def forward(x: Any, lengths: Any) -> Any:
        module.eval()
        with torch.no_grad():
            return run(x, lengths)

    def train_forward(x: Any, lengths: Any) -> Any:
        module.train()
        return run(x, lengths)

    return {"forward": forward, "train_forward": train_forward, "module": module}
