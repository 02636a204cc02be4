"""The ``ceil.*`` checks (SPEC sections 2 and 4): the exact context formula, through the
target's sampler with degenerate ranges (and its ``context_chunks_for``, if it has one)."""

from __future__ import annotations

from fractions import Fraction

from ..reference import reference_context_chunks
from . import strategies as cs
from .registry import Case, CheckContext, fail, register
from .sampler_checks import draw_configs, make_sampler


def _degenerate_draws(ctx: CheckContext, case: Case, n: int = 3):
    chunk, context, ts = case["chunk_size"], case["context_sec"], case["timestep_duration_sec"]
    sampler = make_sampler(
        ctx,
        {
            "chunk_size_min": chunk,
            "chunk_size_max": chunk,
            "context_sec_min": context,
            "context_sec_max": context,
            "timestep_duration_sec": ts,
            "chunkwise_prob": 1.0,
            "left_constrain_prob": 1.0,
            "seed": 0,
        },
    )
    draws = draw_configs(sampler, n)
    for got_chunk, got_context in draws:
        if got_chunk != chunk or got_context is None:
            fail(
                f"degenerate ranges must give ChunkConfig({chunk}, <int>), got ({got_chunk}, {got_context})"
            )
    values = [c for _, c in draws]
    if ctx.target.context_chunks_for is not None:
        values.append(ctx.target.context_chunks_for(context, ts, chunk))
    return values


@register("ceil.exact", lambda ctx: cs.ceil_cases(), needs="sampler")
def ceil_exact(ctx: CheckContext, case: Case) -> None:
    """The formula, exact, through the sampler with degenerate ranges."""
    want = reference_context_chunks(
        case["context_sec"], case["timestep_duration_sec"], case["chunk_size"]
    )
    for got in _degenerate_draws(ctx, case):
        if got != want:
            fail(
                f"ceil({case['context_sec']} / {case['timestep_duration_sec']} / "
                f"{case['chunk_size']}) gave {got}, exact is {want}"
            )


@register("ceil.coverage", lambda ctx: cs.ceil_cases(), needs="sampler")
def ceil_coverage(ctx: CheckContext, case: Case) -> None:
    """Enough context and not one chunk too many: L*C*ts >= s and (L-1)*C*ts < s."""
    seconds = Fraction(repr(case["context_sec"]))
    span = Fraction(repr(case["timestep_duration_sec"])) * case["chunk_size"]
    for got in _degenerate_draws(ctx, case):
        if not got * span >= seconds:
            fail(f"{got} chunks cover {float(got * span)} s < context_sec {case['context_sec']}")
        if not (got - 1) * span < seconds:
            fail(
                f"{got} chunks: one chunk too many ({got - 1} already cover {case['context_sec']} s)"
            )
