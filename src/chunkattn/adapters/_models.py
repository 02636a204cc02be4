"""What the model adapters share: seeded construction that leaves the global generators alone,
the key-padding mask of a ``lengths`` vector, and the expected chunk dependence of SPEC 9.1.

A model adapter builds the library's real model from a small config and maps the config onto
the model-target protocol (SPEC sections 9 and 9.1); nothing here computes attention.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["expected_dependence", "key_padding", "seeded"]


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


def expected_dependence(
    out_chunk: int,
    in_chunk: int,
    *,
    chunk_size: int,
    samples_per_patch: int,
    context_chunks: int | None | Sequence[int | None],
    depth: int,
    left_reach: int = 0,
    lookahead_frames: int = 0,
) -> bool:
    """SPEC 9.1: output chunk ``c`` depends on input chunk ``j`` iff ``c - sum_layers (L_i +
    ceil(left_reach / C)) <= j <= c + ceil(lookahead_frames / (C * S))`` (no left bound if any
    ``L_i`` is None). For scripts and tests of the model adapters, ahead of chunkattn's own
    :class:`~chunkattn.testing.ModelTarget` learning per-layer geometry."""
    layers = list(context_chunks) if isinstance(context_chunks, Sequence) else [context_chunks]
    if len(layers) == 1:
        layers = layers * depth
    ahead = math.ceil(lookahead_frames / (chunk_size * samples_per_patch))
    if in_chunk > out_chunk + ahead:
        return False
    if any(left is None for left in layers):
        return True
    reach = sum(left + math.ceil(left_reach / chunk_size) for left in layers)
    return in_chunk >= out_chunk - reach
