"""The ``ceil.*`` checks (docs/contract.md: The mask; the named checks): the exact context formula, through the
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
from chunkattn._internal.engine.target import Capability, bulk_context


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


@register("ceil.exact", ceil_decimals(), needs=Capability.SAMPLER)
def ceil_exact(ctx: CheckContext, case: Case) -> None:
    """The sampler computes context_chunks = ceil(context_sec / timestep / chunk_size) exactly.

    ## What it asserts
    The contract's context formula is computed on the decimal values as written: each float `x` is
    read as `Fraction(repr(x))`, so `0.56 / 0.08 / 1` is exactly 7 (see
    [the context formula](../contract.md#the-context-formula)). The check builds the target's
    `ChunkConfigSampler` with degenerate ranges (`chunk_size_min == chunk_size_max == C`,
    `context_sec_min == context_sec_max == s`, both probabilities 1.0), so every draw must be
    `ChunkConfig(C, ceil(s / ts / C))`; it draws three times, and also calls the target's
    `context_chunks_for(s, ts, C)` if the module has one. Every value must equal the exact answer.
    Inputs are aimed at the traps: `C` from 1 to 32, patch durations from the field (0.01 to 0.2 s)
    or any 3-decimal value in 0.001..0.5 s, and contexts that are exact multiples of `C * ts` where
    plain float division drifts above or below the integer, exact boundaries, one decimal unit off a
    boundary (2nd to 12th decimal), the very next float beside a boundary, and free decimals.

    ## Why it matters
    `context_sec` is what the config promises; `L` is what the mask uses. Plain float division puts
    `0.56 / 0.08` at `7.000000000000001`, whose ceil is 8: one chunk of left context more than the
    exact answer, so the model trains with more history than its stream will keep, and the eval
    config differs from the one the paper reports. A tolerance "fix" (`ceil(x - 1e-9)`, rounding to
    6 decimals) breaks the other side: a context a hair past a boundary gets one chunk too few.

    ## Example failure
    ```
    FAIL  ceil.exact  1 examples  counterexample: {'context_sec': 0.56,
      'timestep_duration_sec': 0.08, 'chunk_size': 1}  regression seed failed:
      ceil(0.56 / 0.08 / 1) gave 8, exact is 7
    ```
    The classic float trap: plain division drifts just above 7.

    ## Catches
    - `tests/impls/bug_float_ceil.py` — plain float division: `0.56/0.08/1` gives 8, not 7.
    - `tests/impls/bug_ceil_epsilon.py` — float drift "fixed" with `ceil(x - 1e-9)`: one chunk short
      a hair past a boundary.
    - `tests/impls/bug_tolerant_ceil.py` — float division "fixed" by rounding to 6 decimals before
      `ceil`: one chunk short whenever the context is a hair over a boundary.

    ## How to fix
    Compute on exact rationals of the decimal strings, never with a tolerance:

    ```python
    import math
    from fractions import Fraction


    def context_chunks_for(context_sec, timestep_duration_sec, chunk_size):
        ratio = Fraction(repr(context_sec)) / Fraction(repr(timestep_duration_sec)) / chunk_size
        return math.ceil(ratio)
    ```
    `chunkattn.context_chunks_for` is this function; importing it is the simplest fix.
    """
    want = reference_context_chunks(
        case["context_sec"], case["timestep_duration_sec"], case["chunk_size"]
    )
    for got in _degenerate_draws(ctx, case):
        if got != want:
            fail(
                f"ceil({case['context_sec']} / {case['timestep_duration_sec']} / "
                f"{case['chunk_size']}) gave {got}, exact is {want}"
            )


@register("ceil.coverage", ceil_decimals(), needs=Capability.SAMPLER)
def ceil_coverage(ctx: CheckContext, case: Case) -> None:
    """L chunks cover context_sec and L-1 do not: L*C*ts >= s and (L-1)*C*ts < s, exactly.

    ## What it asserts
    The two inequalities that define the ceiling, checked on exact decimals rather than against a
    computed answer: for the `L` the target's sampler draws (with degenerate ranges, as in
    [`ceil.exact`](ceil.exact.md)) and its `context_chunks_for` if it has one, `L * C * ts >= s`
    (enough context) and `(L - 1) * C * ts < s` (not one chunk too many), where `s`, `ts` are read
    as `Fraction(repr(x))`. Inputs as for `ceil.exact`: boundaries where float division drifts,
    exact multiples (0 s included), values a decimal step or one float off a boundary.

    ## Why it matters
    The two failure directions have different costs. Too little context (`int()` truncation,
    `round()`) trains and evaluates the model with less history than the config claims, and the
    reported latency/context trade-off is wrong. One chunk too many (`floor + 1`, which is wrong at
    every exact multiple, `0 s` included) makes every stream keep a chunk more than it needs and
    widens the receptive field. The message says which inequality broke.

    ## Example failure
    ```
    FAIL  ceil.coverage  1 examples  counterexample: {'context_sec': 0.58,
      'timestep_duration_sec': 0.08, 'chunk_size': 1}  regression seed failed: 7 chunks cover
      0.56 s < context_sec 0.58
    ```
    `int(0.58 / 0.08)` is 7, and 7 chunks of 0.08 s are 0.56 s, short of the 0.58 s configured.

    ## Catches
    - `tests/impls/bug_floor_context.py` — `int()` truncation: one chunk short of the context.
    - `tests/impls/bug_round_context.py` — `round()` instead of `ceil`: too little context whenever
      the ratio rounds down.
    - `tests/impls/bug_floor_plus_one.py` — ceil written as `floor + 1`: one chunk too many at every
      exact multiple of the chunk duration, 0 s included.

    ## How to fix
    Use a real ceiling on exact values, as in [`ceil.exact`](ceil.exact.md):

    ```python
    L = math.ceil(Fraction(repr(context_sec)) / Fraction(repr(ts)) / chunk_size)
    ```
    `math.floor(x) + 1` equals `math.ceil(x)` only when `x` is not an integer; `int(x)` and
    `round(x)` are not ceilings at all.
    """
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
    needs=Capability.SAMPLER,
    example_share=0.0,
)
def ceil_small_scope(ctx: CheckContext, case: Case) -> None:
    """The exact formula holds on the whole 0.01 s grid: contexts 0..10 s, five timesteps, every C <= 20.

    ## What it asserts
    Exhaustively, not by sampling: for every context from 0.00 s to 10.00 s in steps of 0.01 s,
    with each timestep 0.01, 0.02, 0.04, 0.08 and 0.1 s, the target's sampler with degenerate ranges
    (as in [`ceil.exact`](ceil.exact.md)) draws `L = ceil(context / ts / C)`, exact. At each grid
    context one `C` (rotating through 1..20) is tried, and every `C` from 1 to 20 wherever the
    ratio `context / (ts * C)` is a whole number, the boundaries where float division can land on
    the wrong side. The expected answer is integer arithmetic on hundredths, independent of any
    `Fraction` code. One example runs the whole grid under one time limit, in every profile but
    `seeds`.

    ## Why it matters
    A formula that is right at the worked examples and wrong at one boundary (a rounding "fix"
    tuned on 0.56 s, a lookup table for common durations) passes random sampling by luck, and the
    boundary it misses is often exactly the `context_sec` someone configures: round numbers of
    seconds with round patch durations. Walking the grid people type finds it without luck.

    ## Example failure
    ```
    FAIL  ceil.small_scope  2 examples  counterexample: {'max_hundredths': 1000,
      'max_chunk_size': 20}  ceil(0.07 / 0.01 / 1) gave 8, exact is 7
    ```
    Plain float division (`tests/impls/bug_float_ceil.py`): the first grid point where the answer
    differs is 0.07 s of 0.01 s patches, `0.07 / 0.01 == 7.000000000000001`.

    ## Catches
    No catalogue module names it first: the seeded ceil bugs are caught by
    [`ceil.exact`](ceil.exact.md) or [`ceil.coverage`](ceil.coverage.md) on their regression seeds,
    and plain float division (`tests/impls/bug_float_ceil.py`) fails this grid too. A tolerance of
    a few decimals (`tests/impls/bug_tolerant_ceil.py`) passes it: the grid has two decimals, so
    only `ceil.exact`'s values a hair off a boundary catch that one. It exists for a formula wrong
    only at some boundaries of the common grid (a table, a fast path for common durations).

    ## How to fix
    As for [`ceil.exact`](ceil.exact.md): compute `ceil(Fraction(repr(s)) / Fraction(repr(ts)) / C)`
    with no tolerance, no table and no special case.
    """
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
