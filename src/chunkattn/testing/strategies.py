"""Hypothesis strategies that reach the corners of chunked attention.

Each strategy yields a flat ``dict`` of plain values (a *case*), so the same case can be shrunk
by Hypothesis, printed as a counterexample, and stored in a regression-seed file.
"""

from __future__ import annotations

import math
from decimal import Decimal

from hypothesis import strategies as st

__all__ = [
    "TIMESTEPS",
    "ceil_cases",
    "context_chunks",
    "decimal_floats",
    "deep_mask_cases",
    "mask_cases",
    "probabilities",
    "sampler_cases",
    "seeds",
    "timesteps",
]

#: Patch durations seen in the field (seconds); most of them drift under float division.
TIMESTEPS = (0.01, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.1, 0.12, 0.15, 0.16, 0.2)


def decimal_floats(low: str, high: str, places: int) -> st.SearchStrategy[float]:
    """Floats written with ``places`` decimals in ``[low, high]`` — the values people type."""
    scale = 10**places
    lo, hi = int(Decimal(low) * scale), int(Decimal(high) * scale)
    return st.integers(lo, hi).map(lambda n: float(Decimal(n).scaleb(-places)))


def timesteps() -> st.SearchStrategy[float]:
    return st.one_of(st.sampled_from(TIMESTEPS), decimal_floats("0.001", "0.5", 3))


def probabilities() -> st.SearchStrategy[float]:
    """Both extremes explicitly, then anything in between."""
    return st.one_of(st.sampled_from([0.0, 1.0]), decimal_floats("0", "1", 2), st.floats(0.0, 1.0))


def seeds() -> st.SearchStrategy[int]:
    return st.integers(0, 2**32 - 1)


def context_chunks(max_value: int = 12) -> st.SearchStrategy[int | None]:
    """``L``: unlimited, zero (block-diagonal) or a few chunks."""
    return st.one_of(st.none(), st.just(0), st.integers(0, max_value))


@st.composite
def mask_cases(draw, max_len: int = 48, full_context: bool = False) -> dict:
    """``{seq_len, chunk_size, context_chunks}`` from ``T=1``, ``C`` up to past ``T``."""
    seq_len = draw(st.integers(1, max_len))
    if full_context and draw(st.booleans()):
        return {"seq_len": seq_len, "chunk_size": None, "context_chunks": None}
    chunk = draw(st.one_of(st.integers(1, seq_len + 4), st.just(1), st.just(seq_len)))
    return {"seq_len": seq_len, "chunk_size": chunk, "context_chunks": draw(context_chunks())}


#: chunk sizes people configure (WeNet's 16, powers of two): drawn often in long campaigns
COMMON_CHUNKS = (1, 2, 4, 8, 10, 16, 20, 25, 32, 40, 64)


@st.composite
def deep_mask_cases(draw, max_len: int = 640, max_chunk: int = 64, max_context: int = 128) -> dict:
    """Long sequences with deep left context, for campaigns: a bug that shows only past
    ``L`` chunks of history (a table or fast path sized for the usual config) hides here."""
    chunk = draw(st.one_of(st.sampled_from(COMMON_CHUNKS), st.integers(1, max_chunk)))
    context = draw(st.one_of(st.none(), st.integers(0, max_context)))
    seq_len = draw(st.integers(1, max_len))
    return {"seq_len": seq_len, "chunk_size": chunk, "context_chunks": context}


def _drifts(context: Decimal, ts: float, chunk: int, direction: int) -> bool:
    """Does plain float division land on the wrong side of the exact integer ratio?"""
    got = float(context) / ts / chunk
    exact = context / Decimal(repr(ts)) / chunk
    return (got > exact) if direction > 0 else (got < exact)


@st.composite
def ceil_cases(draw) -> dict:
    """``{context_sec, timestep_duration_sec, chunk_size}``, aimed at the drift traps.

    Most cases are context times that are exact decimal multiples of ``C * ts`` where plain
    float division drifts above the integer (``0.56 / 0.08 == 7.000000000000001``, ceil one
    too many) or below it; the rest are exact boundaries, a decimal step off one, the very next
    float beside one (a "hair": ``0.5600000000000002`` needs 8 chunks, so any tolerance wide
    enough to hide the drift, ``ceil(x - 1e-9)`` or ``ceil(round(x, 9))``, gives 7), or free
    decimals.
    """
    chunk = draw(st.integers(1, 32))
    ts = draw(timesteps())
    kind = draw(
        st.sampled_from(
            ["drift_up", "drift_up", "drift_down", "boundary", "near", "hair", "hair", "free"]
        )
    )
    if kind == "free":
        context = Decimal(repr(draw(decimal_floats("0", "40", draw(st.integers(0, 3))))))
    else:
        start = draw(st.integers(0, 300))
        step = Decimal(repr(ts)) * chunk
        context = step * start
        if kind.startswith("drift"):
            direction = 1 if kind == "drift_up" else -1
            # the first multiple at or after `start` whose float ratio drifts that way
            context = next(
                (
                    step * n
                    for n in range(start, start + 400)
                    if _drifts(step * n, ts, chunk, direction)
                ),
                context,
            )
        elif kind == "near":
            # one unit in the 2nd..12th decimal off a boundary: catches tolerance-based rounding
            context += draw(st.sampled_from([-1, 1])) * Decimal(1).scaleb(-draw(st.integers(2, 12)))
        elif kind == "hair":
            # beside a boundary of at least one chunk, so a shrunk case reads 0.010000000000000002,
            # not a denormal beside zero
            toward = math.inf if draw(st.booleans()) else -math.inf
            context = Decimal(repr(math.nextafter(float(step * max(start, 1)), toward)))
    return {
        "context_sec": float(max(context, Decimal(0))),
        "timestep_duration_sec": ts,
        "chunk_size": chunk,
    }


@st.composite
def sampler_cases(draw, max_chunk: int = 40) -> dict:
    """Valid sampler arguments (as flat keys) with a seed."""
    cmin = draw(st.integers(1, max_chunk))
    cmax = draw(st.integers(cmin, cmin + max_chunk))
    places = draw(st.integers(0, 2))
    a, b = sorted(draw(st.lists(decimal_floats("0", "30", places), min_size=2, max_size=2)))
    return {
        "chunk_size_min": cmin,
        "chunk_size_max": cmax,
        "context_sec_min": a,
        "context_sec_max": b,
        "timestep_duration_sec": draw(timesteps()),
        "chunkwise_prob": draw(probabilities()),
        "left_constrain_prob": draw(probabilities()),
        "seed": draw(seeds()),
    }
