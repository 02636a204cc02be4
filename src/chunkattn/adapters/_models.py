"""What the model adapters share: seeded construction that leaves the global generators alone,
and the key-padding mask of a ``lengths`` vector.

A model adapter builds the library's real model from a small config and maps the config onto
the model-target protocol (SPEC sections 9 and 9.1); nothing here computes attention.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["key_padding", "seeded"]


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
