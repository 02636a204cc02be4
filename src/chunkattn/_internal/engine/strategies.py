"""Hypothesis strategies that reach the corners of chunked attention.

Each strategy yields a flat ``dict`` of plain values (a *case*), so the same case can be shrunk
by Hypothesis, printed as a counterexample, and stored in a regression-seed file.
"""

from __future__ import annotations

import math
from decimal import Decimal

from hypothesis import strategies as st

__all__ = [
    "CEIL_MAX_CONTEXT_SEC",
    "COMMON_CHUNKS",
    "DEEP_MAX_CHUNK",
    "DEEP_MAX_CONTEXT",
    "DEEP_MAX_LEN",
    "MASK_CHUNK_PAST_LEN",
    "MASK_MAX_LEN",
    "MAX_CONTEXT_CHUNKS",
    "SAMPLER_MAX_CHUNK",
    "SAMPLER_MAX_CONTEXT_SEC",
    "SEED_MAX",
    "TIMESTEPS",
    "TIMESTEP_RANGE",
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

# The bounds of the strategies below. The case schemas (declared with it: :mod:`chunkattn._internal.engine.cases`)
# are built from the same constants: a stored case outside them is never replayed.

#: decimal patch durations drawn besides :data:`TIMESTEPS` (seconds, as written)
TIMESTEP_RANGE = ("0.001", "0.5")
#: a pytest run's mask geometry: ``T`` in ``1..MASK_MAX_LEN``, ``C`` up to ``T + MASK_CHUNK_PAST_LEN``
MASK_MAX_LEN = 48
MASK_CHUNK_PAST_LEN = 4
#: ``L`` besides ``None`` and ``0``
MAX_CONTEXT_CHUNKS = 12
#: a campaign's mask geometry (:func:`deep_mask_cases`)
DEEP_MAX_LEN = 640
DEEP_MAX_CHUNK = 64
DEEP_MAX_CONTEXT = 128
#: :func:`ceil_cases`: ``C`` up to this; boundaries ``n * C * ts`` with ``n`` up to
#: ``CEIL_MAX_START``, searched up to ``CEIL_DRIFT_SEARCH`` further for a drifting one
CEIL_MAX_CHUNK = 32
CEIL_MAX_START = 300
CEIL_DRIFT_SEARCH = 400
CEIL_FREE_MAX = "40"
#: the largest ``context_sec`` :func:`ceil_cases` draws (a boundary, plus a decimal step off it)
CEIL_MAX_CONTEXT_SEC = (
    max(
        float(CEIL_FREE_MAX),
        (CEIL_MAX_START + CEIL_DRIFT_SEARCH) * CEIL_MAX_CHUNK * float(TIMESTEP_RANGE[1]),
    )
    + 0.01
)
#: :func:`sampler_cases`: ``chunk_size_min`` up to this, ``chunk_size_max`` up to twice it
SAMPLER_MAX_CHUNK = 40
SAMPLER_MAX_CONTEXT_SEC = "30"
SEED_MAX = 2**32 - 1


def decimal_floats(low: str, high: str, places: int) -> st.SearchStrategy[float]:
    """Floats written with ``places`` decimals in ``[low, high]`` — the values people type."""
    scale = 10**places
    lo, hi = int(Decimal(low) * scale), int(Decimal(high) * scale)
    return st.integers(lo, hi).map(lambda n: float(Decimal(n).scaleb(-places)))


def timesteps() -> st.SearchStrategy[float]:
    return st.one_of(st.sampled_from(TIMESTEPS), decimal_floats(*TIMESTEP_RANGE, 3))


def probabilities() -> st.SearchStrategy[float]:
    """Both extremes explicitly, then anything in between."""
    return st.one_of(st.sampled_from([0.0, 1.0]), decimal_floats("0", "1", 2), st.floats(0.0, 1.0))


def seeds() -> st.SearchStrategy[int]:
    return st.integers(0, SEED_MAX)


def context_chunks(max_value: int = MAX_CONTEXT_CHUNKS) -> st.SearchStrategy[int | None]:
    """``L``: unlimited, zero (block-diagonal) or a few chunks."""
    return st.one_of(st.none(), st.just(0), st.integers(0, max_value))


@st.composite
def mask_cases(draw, max_len: int = MASK_MAX_LEN, full_context: bool = False) -> dict:
    """``{seq_len, chunk_size, context_chunks}`` from ``T=1``, ``C`` up to past ``T``."""
    seq_len = draw(st.integers(1, max_len))
    if full_context and draw(st.booleans()):
        return {"seq_len": seq_len, "chunk_size": None, "context_chunks": None}
    chunk = draw(
        st.one_of(st.integers(1, seq_len + MASK_CHUNK_PAST_LEN), st.just(1), st.just(seq_len))
    )
    return {"seq_len": seq_len, "chunk_size": chunk, "context_chunks": draw(context_chunks())}


#: chunk sizes people configure (WeNet's 16, powers of two): drawn often in long campaigns
COMMON_CHUNKS = (1, 2, 4, 8, 10, 16, 20, 25, 32, 40, 64)


@st.composite
def deep_mask_cases(
    draw,
    max_len: int = DEEP_MAX_LEN,
    max_chunk: int = DEEP_MAX_CHUNK,
    max_context: int = DEEP_MAX_CONTEXT,
) -> dict:
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
    chunk = draw(st.integers(1, CEIL_MAX_CHUNK))
    ts = draw(timesteps())
    kind = draw(
        st.sampled_from(
            ["drift_up", "drift_up", "drift_down", "boundary", "near", "hair", "hair", "free"]
        )
    )
    if kind == "free":
        context = Decimal(repr(draw(decimal_floats("0", CEIL_FREE_MAX, draw(st.integers(0, 3))))))
    else:
        start = draw(st.integers(0, CEIL_MAX_START))
        step = Decimal(repr(ts)) * chunk
        context = step * start
        if kind.startswith("drift"):
            direction = 1 if kind == "drift_up" else -1
            # the first multiple at or after `start` whose float ratio drifts that way
            context = next(
                (
                    step * n
                    for n in range(start, start + CEIL_DRIFT_SEARCH)
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
def sampler_cases(draw, max_chunk: int = SAMPLER_MAX_CHUNK) -> dict:
    """Valid sampler arguments (as flat keys) with a seed."""
    cmin = draw(st.integers(1, max_chunk))
    cmax = draw(st.integers(cmin, cmin + max_chunk))
    places = draw(st.integers(0, 2))
    a, b = sorted(
        draw(st.lists(decimal_floats("0", SAMPLER_MAX_CONTEXT_SEC, places), min_size=2, max_size=2))
    )
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
