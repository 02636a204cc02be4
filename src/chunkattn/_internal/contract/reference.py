"""The naive reference: docs/contract.md: The mask (and its section-11 variant ``within_chunk="causal"``)
written out literally, for the suite to compare against.

Deliberately slow and independent of :mod:`chunkattn._internal.impl.masks` — explicit Python loops over every
(query, key) pair, and exact rational arithmetic for the context formula — so that a bug in the
optimized code cannot hide in a shared helper.
"""

from __future__ import annotations

from fractions import Fraction

import torch

from chunkattn._internal.contract.core import WITHIN_CHUNK, ChunkConfig

__all__ = ["WITHIN_CHUNK", "reference_context_chunks", "reference_mask", "reference_visible"]


def _check_within_chunk(within_chunk: str) -> None:
    if within_chunk not in WITHIN_CHUNK:
        raise ValueError(
            f"within_chunk must be one of {', '.join(map(repr, WITHIN_CHUNK))}, "
            f"got {within_chunk!r}"
        )


def reference_visible(
    q: int, k: int, chunk_size: int, context_chunks: int | None, within_chunk: str = "full"
) -> bool:
    """May query ``q`` attend to key ``k``? ``kc <= qc and (L is None or kc >= qc - L)``, and
    ``k <= q`` as well in the ``within_chunk="causal"`` variant."""
    _check_within_chunk(within_chunk)
    return _visible(q, k, chunk_size, context_chunks, within_chunk == "causal")


def _visible(q: int, k: int, chunk_size: int, context_chunks: int | None, causal: bool) -> bool:
    qc, kc = q // chunk_size, k // chunk_size
    visible = kc <= qc and (context_chunks is None or kc >= qc - context_chunks)
    return visible and (k <= q if causal else True)


def reference_mask(
    seq_len: int, config: ChunkConfig, device=None, within_chunk: str = "full"
) -> torch.Tensor | None:
    """The ``(1, 1, T, T)`` bool mask by explicit loops; ``None`` for full context.

    ``within_chunk``: ``"full"`` (a query sees its whole chunk) or ``"causal"`` (its chunk up to
    and including itself).
    """
    _check_within_chunk(within_chunk)
    if config.chunk_size is None:
        return None
    if config.chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {config.chunk_size!r}")
    if config.context_chunks is not None and config.context_chunks < 0:
        raise ValueError(f"context_chunks must be >= 0 or None, got {config.context_chunks!r}")
    causal = within_chunk == "causal"
    rows = [
        [_visible(q, k, config.chunk_size, config.context_chunks, causal) for k in range(seq_len)]
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
