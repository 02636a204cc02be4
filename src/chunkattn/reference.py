"""The naive reference: SPEC section 2 written out literally, for the suite to compare against.

Deliberately slow and independent of :mod:`chunkattn.masks` — explicit Python loops over every
(query, key) pair, and exact rational arithmetic for the context formula — so that a bug in the
optimized code cannot hide in a shared helper.
"""

from __future__ import annotations

from fractions import Fraction

import torch

from .core import ChunkConfig

__all__ = ["reference_context_chunks", "reference_mask", "reference_visible"]


def reference_visible(q: int, k: int, chunk_size: int, context_chunks: int | None) -> bool:
    """May query ``q`` attend to key ``k``? ``kc <= qc and (L is None or kc >= qc - L)``."""
    qc, kc = q // chunk_size, k // chunk_size
    return kc <= qc and (context_chunks is None or kc >= qc - context_chunks)


def reference_mask(seq_len: int, config: ChunkConfig, device=None) -> torch.Tensor | None:
    """The ``(1, 1, T, T)`` bool mask by explicit loops; ``None`` for full context."""
    if config.chunk_size is None:
        return None
    if config.chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {config.chunk_size!r}")
    if config.context_chunks is not None and config.context_chunks < 0:
        raise ValueError(f"context_chunks must be >= 0 or None, got {config.context_chunks!r}")
    rows = [
        [reference_visible(q, k, config.chunk_size, config.context_chunks) for k in range(seq_len)]
        for q in range(seq_len)
    ]
    return torch.tensor(rows, dtype=torch.bool, device=device).reshape(1, 1, seq_len, seq_len)


def reference_context_chunks(
    context_sec: float, timestep_duration_sec: float, chunk_size: int
) -> int:
    """``ceil(context_sec / timestep_duration_sec / chunk_size)`` with each float read as the
    decimal it was written as (``Fraction(repr(x))``)."""
    ratio = Fraction(repr(context_sec)) / Fraction(repr(timestep_duration_sec)) / chunk_size
    return -((-ratio.numerator) // ratio.denominator)
