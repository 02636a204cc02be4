"""The ``ceil.*`` checks (SPEC sections 2 and 4): the exact context formula, through the
target's sampler with degenerate ranges (and its ``context_chunks_for``, if it has one)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import strategies as st

from chunkattn._internal.checks.sampler import draw_configs, make_sampler
from chunkattn._internal.contract.reference import reference_context_chunks
from chunkattn._internal.engine.cases import Cases, ceil_decimals
from chunkattn._internal.engine.registry import Case, CheckContext, fail, register
from chunkattn._internal.engine.schema import Int, Record
from chunkattn._internal.engine.target import bulk_context


def degenerate_sampler(ctx: CheckContext, chunk: int, context: float, ts: float):
    """The target's sampler with both ranges a single value: it can only draw
    ``ChunkConfig(chunk, ceil(context / ts / chunk))``."""
    return make_sampler(
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


def _degenerate_draws(ctx: CheckContext, case: Case, n: int = 3):
    chunk, context, ts = case["chunk_size"], case["context_sec"], case["timestep_duration_sec"]
    draws = draw_configs(degenerate_sampler(ctx, chunk, context, ts), n)
    for got_chunk, got_context in draws:
        if got_chunk != chunk or got_context is None:
            fail(
                f"degenerate ranges must give ChunkConfig({chunk}, <int>), got ({got_chunk}, {got_context})"
            )
    values = [c for _, c in draws]
    if ctx.target.context_chunks_for is not None:
        values.append(ctx.target.context_chunks_for(context, ts, chunk))
    return values


@register("ceil.exact", ceil_decimals(), needs="sampler")
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


@register("ceil.coverage", ceil_decimals(), needs="sampler")
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


#: the common patch durations of ceil.small_scope, in hundredths of a second
SMALL_SCOPE_TIMESTEPS = {0.01: 1, 0.02: 2, 0.04: 4, 0.08: 8, 0.1: 10}


def small_scope_ceil_cases(max_hundredths: int = 1000, max_chunk: int = 20):
    """``(context_sec, timestep, C, exact L)`` over the 0.01 s grid up to ``max_hundredths``.

    Every grid context with every timestep (its C rotating through 1..max_chunk), and every C at
    every grid context where ``context / (ts * C)`` is a whole number: the boundaries, the only
    places where float division can land on the wrong side. (Every triple, 100k sampler
    constructions, takes 2.5-8 s for correct samplers; this is 12k.) The exact answer is integer
    arithmetic on hundredths, independent of any Fraction code."""
    for ts, step in SMALL_SCOPE_TIMESTEPS.items():
        for hundredths in range(max_hundredths + 1):
            chunk = 1 + hundredths % max_chunk
            chunks = {chunk} | {c for c in range(1, max_chunk + 1) if hundredths % (step * c) == 0}
            for c in sorted(chunks):
                exact = -(-hundredths // (step * c))
                yield float(Decimal(hundredths).scaleb(-2)), ts, c, exact


@register(
    "ceil.small_scope",
    Cases(
        st.just({"max_hundredths": 1000, "max_chunk_size": 20}),
        Record({"max_hundredths": Int(0, 1000), "max_chunk_size": Int(1, 20)}),
    ),
    needs="sampler",
    example_share=0.0,
)
def ceil_small_scope(ctx: CheckContext, case: Case) -> None:
    """Exhaustive over a decimal grid: contexts 0.00-10.00 s by 0.01, timesteps 0.01, 0.02,
    0.04, 0.08 and 0.1 s, C <= 20 (every C at every boundary), through the sampler with
    degenerate ranges."""
    with bulk_context(ctx, "ceil.small_scope over the grid") as bulk:
        _small_scope(bulk, case)


def _small_scope(ctx: CheckContext, case: Case) -> None:
    for context, ts, chunk, want in small_scope_ceil_cases(
        case["max_hundredths"], case["max_chunk_size"]
    ):
        sampler = degenerate_sampler(ctx, chunk, context, ts)
        got = sampler.sample().context_chunks
        if got != want:
            fail(f"ceil({context} / {ts} / {chunk}) gave {got}, exact is {want}")
