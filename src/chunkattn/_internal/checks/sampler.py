"""The ``sampler.*`` checks (docs/contract.md: The mask; the named checks): ranges, reachability, probabilities,
determinism, isolation and bad input, on the target's ``ChunkConfigSampler``.

Only the distribution, the ranges and the determinism are asserted, never the exact random
stream, so a correct sampler with another generator never fails.
"""

from __future__ import annotations

import math
import numbers
import operator
import random
from fractions import Fraction
from typing import Any

import numpy as np
import torch
from hypothesis import strategies as st

from chunkattn._internal.contract.reference import reference_context_chunks
from chunkattn._internal.engine import strategies as cs
from chunkattn._internal.engine.cases import SAMPLER_FIELDS, SEED, Cases, sampler_arguments
from chunkattn._internal.engine.helper import HelperDied, helper, sampler_kwargs
from chunkattn._internal.engine.registry import Case, CheckContext, fail, register
from chunkattn._internal.engine.schema import Float, Int, OneOf, Record
from chunkattn._internal.engine.target import Capability, bulk_sampler

__all__ = ["ALPHA", "binomial_consistent", "draw_configs", "integral_value", "make_sampler"]

#: False-alarm rate of one statistical test; a check makes at most ~30 per example and a
#: thorough run a few thousand examples, so a correct sampler fails a run with p < 1e-6.
ALPHA = 1e-10


def integral_value(x: Any) -> bool:
    """An integer value of any type that acts as one: int, numpy or 0-d torch integer (anything
    with ``__index__``), or an integral float like ``np.ceil``'s ``10.0``. Not a bool."""
    if isinstance(x, bool | np.bool_):
        return False
    try:
        operator.index(x)
        return True
    except TypeError:
        return isinstance(x, numbers.Real) and math.isfinite(x) and float(x).is_integer()


def make_sampler(ctx: CheckContext, case: Case, **override: Any):
    """Build the target's sampler from a flat sampler case (``override`` replaces keys)."""
    return ctx.target.ChunkConfigSampler(**sampler_kwargs({**case, **override}))


def draw_configs(sampler: Any, n: int) -> list[tuple[int | None, int | None]]:
    """``n`` draws as ``(chunk_size, context_chunks)`` pairs, checking the types on the way."""
    with bulk_sampler(sampler, n) as unlimited:
        return [_checked(i, unlimited.sample()) for i in range(n)]


def _checked(i: int, config: Any) -> tuple[int | None, int | None]:
    chunk, context = config.chunk_size, config.context_chunks
    # a plain int (not a bool) is the common case: integral_value's general tests only for others
    if chunk is not None and type(chunk) is not int and not integral_value(chunk):
        fail(f"draw {i}: chunk_size must be an integer or None, got {chunk!r}")
    if context is not None and type(context) is not int and not integral_value(context):
        fail(f"draw {i}: context_chunks must be an integer or None, got {context!r}")
    if config.is_full_context() != (chunk is None):
        fail(f"draw {i}: is_full_context() is {config.is_full_context()} for {config}")
    if chunk is None and context is not None:
        fail(f"draw {i}: full context (chunk_size None) with context_chunks={context}")
    return None if chunk is None else int(chunk), None if context is None else int(context)


def binomial_consistent(successes: int, trials: int, p: float, alpha: float = ALPHA) -> bool:
    """Is ``successes`` out of ``trials`` consistent with probability ``p``?

    Two-sided Chernoff bound: reject iff ``trials * KL(p_hat || p) > ln(2 / alpha)``, whose
    false-alarm rate is at most ``alpha``. ``p`` of 0 or 1 demands exact agreement.
    """
    if trials == 0:
        return True
    p_hat = successes / trials

    def term(a: float, b: float) -> float:
        if a == 0:
            return 0.0
        return math.inf if b == 0 else a * math.log(a / b)

    kl = term(p_hat, p) + term(1 - p_hat, 1 - p)
    return trials * kl <= math.log(2 / alpha)


@register("sampler.ranges", sampler_arguments(), needs=Capability.SAMPLER, example_share=0.5)
def sampler_ranges(ctx: CheckContext, case: Case) -> None:
    """Every draw lies in the configured ranges; context bounds use that draw's own chunk size.

    ## What it asserts
    For 300 draws of the target's `ChunkConfigSampler` built from valid arguments:
    - `chunk_size` and `context_chunks` are integers or `None` (an integral float such as
      `np.ceil`'s `10.0`, a numpy integer or a 0-d torch integer counts as an integer; a bool does
      not), `is_full_context()` is true exactly when `chunk_size is None`, and full context has
      `context_chunks is None`;
    - a chunked draw has `chunk_size_min <= chunk_size <= chunk_size_max`;
    - a left-limited draw has `context_chunks` between `ceil(context_sec_min / ts / C)` and
      `ceil(context_sec_max / ts / C)`, exact, with `C` **this draw's** chunk size;
    - with `chunkwise_prob == 1.0` no draw is full context, with `left_constrain_prob == 1.0` no
      chunked draw is unlimited.

    Arguments: `chunk_size_min` 1..40, `chunk_size_max` up to 40 more, context ranges of decimals in
    0..30 s (0 to 2 places), the field's patch durations or any 3-decimal one in 0.001..0.5 s, both
    probabilities from 0 and 1 exactly to anything in between, any 32-bit seed.
    `config.sampler_matches` runs this check on the sampler built from your config.

    ## Why it matters
    The sampler decides the geometry of every training step. A context computed with another chunk
    size than the one drawn (the largest, the previous draw's) gives chunk size 7 the left context
    of chunk size 20: the model trains on context lengths the config never allowed, and the context
    range in seconds that the paper reports is not what was trained.

    ## Example failure
    ```
    FAIL  sampler.ranges  1 examples  counterexample: {'chunk_size_min': 1, 'chunk_size_max': 20,
      'context_sec_min': 3, 'context_sec_max': 20, 'timestep_duration_sec': 0.08,
      'chunkwise_prob': 1.0, 'left_constrain_prob': 1.0, 'seed': 0}  regression seed failed:
      draw 2: context_chunks 5 outside [6, 36], the range for chunk_size 7 and context_sec in
      [3, 20]
    ```
    Draw 2 has chunk size 7, for which 3 to 20 s of 0.08 s patches is 6 to 36 chunks; the sampler
    gave 5, the count for `chunk_size_max` = 20.

    ## Catches
    - `tests/impls/bug_stale_chunk_for_context.py` — context chunks computed with `chunk_size_max`
      instead of this draw's chunk size.

    ## How to fix
    Draw the chunk size first, then compute the context with that value:

    ```python
    chunk = self._rng.randint(self.chunk_size_min, self.chunk_size_max)  # both ends included
    seconds = self._rng.uniform(self.context_sec_min, self.context_sec_max)
    return ChunkConfig(chunk, context_chunks_for(seconds, self.timestep_duration_sec, chunk))
    ```
    """
    cmin, cmax = case["chunk_size_min"], case["chunk_size_max"]
    ts = case["timestep_duration_sec"]
    for i, (chunk, context) in enumerate(draw_configs(make_sampler(ctx, case), 300)):
        if chunk is None:
            if case["chunkwise_prob"] == 1.0:
                fail(f"draw {i}: full context although chunkwise_prob is 1.0")
            continue
        if not cmin <= chunk <= cmax:
            fail(f"draw {i}: chunk_size {chunk} outside [{cmin}, {cmax}]")
        if context is None:
            if case["left_constrain_prob"] == 1.0:
                fail(f"draw {i}: unlimited context although left_constrain_prob is 1.0")
            continue
        low = reference_context_chunks(case["context_sec_min"], ts, chunk)
        high = reference_context_chunks(case["context_sec_max"], ts, chunk)
        if not low <= context <= high:
            fail(
                f"draw {i}: context_chunks {context} outside [{low}, {high}], the range for "
                f"chunk_size {chunk} and context_sec in [{case['context_sec_min']}, {case['context_sec_max']}]"
            )


#: sampler.reachable's ranges: chunk sizes from 1..REACH_CHUNK, up to REACH_VALUES of them; a
#: context range from up to REACH_START timesteps, REACH_BINS bins of up to REACH_WIDTH timesteps
REACH_CHUNK, REACH_VALUES, REACH_START, REACH_BINS, REACH_WIDTH = 30, 10, 200, 10, 30


@st.composite
def _reachable_cases(draw) -> Case:
    ts = draw(st.sampled_from(cs.TIMESTEPS))
    start, width = draw(st.integers(0, REACH_START)), draw(st.integers(1, REACH_WIDTH))
    cmin = draw(st.integers(1, REACH_CHUNK))
    step = cs.Decimal(repr(ts))
    return {
        "chunk_size_min": cmin,
        "chunk_size_max": cmin + draw(st.integers(0, REACH_VALUES - 1)),
        "context_sec_min": float(step * start),
        "context_sec_max": float(step * (start + REACH_BINS * width)),
        "timestep_duration_sec": ts,
        "chunkwise_prob": 1.0,
        "left_constrain_prob": 1.0,
        "seed": draw(cs.seeds()),
    }


_REACHABLE = Record(
    {
        "chunk_size_min": Int(1, REACH_CHUNK),
        "chunk_size_max": Int(1, REACH_CHUNK + REACH_VALUES - 1),
        "context_sec_min": Float(0.0, REACH_START * max(cs.TIMESTEPS)),
        "context_sec_max": Float(0.0, (REACH_START + REACH_BINS * REACH_WIDTH) * max(cs.TIMESTEPS)),
        "timestep_duration_sec": OneOf(*cs.TIMESTEPS),
        "chunkwise_prob": Float(1.0, 1.0),
        "left_constrain_prob": Float(1.0, 1.0),
        "seed": SEED,
    }
)


@register(
    "sampler.reachable",
    Cases(_reachable_cases(), _REACHABLE),
    needs=Capability.SAMPLER,
    example_share=0.2,
)
def sampler_reachable(ctx: CheckContext, case: Case, n: int = 2000) -> None:
    """Both ends of the chunk range occur, uniformly; context_sec draws spread evenly over its range.

    ## What it asserts
    With both probabilities 1.0 and 2000 draws:
    - every chunk size in `[chunk_size_min, chunk_size_max]` (a range of 1 to 10 values from 1..39)
      is drawn at least once, and each one's count is consistent with the uniform `1 / n` under a
      two-sided binomial (Chernoff) bound whose false-alarm rate is negligible;
    - with the chunk size fixed to 1, the context range is exactly 10 equal bins of whole
      timesteps, so `context_chunks = ceil(context_sec / ts)` tells which bin each draw fell in;
      each bin must hold a count consistent with 1/10.

    Ranges are drawn on the field's patch durations, starting anywhere up to 200 timesteps, 10 to
    300 timesteps wide. Only the distribution is checked, never the exact random stream.

    ## Why it matters
    The sampler is meant to train the model on every chunk size it will be run with. `randrange(min,
    max)` never draws the largest chunk size, which is often the one used at eval time;
    `round(uniform(min, max))` draws both ends half as often as the others; a context that is always
    the minimum trains the model on one left context only. Each passes a unit test that checks
    "the draw is inside the range".

    ## Example failure
    ```
    FAIL  sampler.reachable  1 examples  counterexample: {'chunk_size_min': 1,
      'chunk_size_max': 10, 'context_sec_min': 0.25, 'context_sec_max': 1.25,
      'timestep_duration_sec': 0.01, 'chunkwise_prob': 1.0, 'left_constrain_prob': 1.0,
      'seed': 0}  regression seed failed: chunk_size 10 never drawn in 2000 draws from [1, 10]
    ```
    `chunk_size_max` is never drawn: an exclusive upper bound.

    ## Catches
    - `tests/impls/bug_max_excluded.py` — `randrange(min, max)`: the largest chunk size is never
      drawn.
    - `tests/impls/bug_round_uniform_chunk.py` — `round(uniform(min, max))`: both ends reachable,
      but drawn half as often.
    - `tests/impls/bug_context_from_min.py` — `context_sec` always the range minimum.

    ## How to fix
    Use an integer draw that includes both ends, and a continuous uniform for the seconds:

    ```python
    chunk = rng.randint(lo, hi)  # random.Random.randint includes hi
    # numpy: rng.integers(lo, hi + 1); torch: torch.randint(lo, hi + 1, (1,), generator=g)
    seconds = rng.uniform(smin, smax)  # not smin, not a grid
    ```
    """
    cmin, cmax = case["chunk_size_min"], case["chunk_size_max"]
    values = cmax - cmin + 1
    chunks = [c for c, _ in draw_configs(make_sampler(ctx, case), n)]
    for value in range(cmin, cmax + 1):
        hits = chunks.count(value)
        if hits == 0:
            fail(f"chunk_size {value} never drawn in {n} draws from [{cmin}, {cmax}]")
        if not binomial_consistent(hits, n, 1 / values, ALPHA / 20):
            fail(f"chunk_size {value} drawn {hits}/{n} times, uniform expects {n / values:.0f}")
    # Context: chunk size 1 and a range of exactly 10 equal bins of `width` timesteps, so
    # context_chunks = ceil(context_sec / ts) tells which bin each draw fell in.
    ts = Fraction(repr(case["timestep_duration_sec"]))
    start = round(Fraction(repr(case["context_sec_min"])) / ts)
    width = round(Fraction(repr(case["context_sec_max"])) / ts - start) // 10
    one = make_sampler(ctx, case, chunk_size_min=1, chunk_size_max=1)
    bins = [0] * 10
    for _, context in draw_configs(one, n):
        bins[min(9, max(0, (context - start - 1) // width))] += 1
    for i, hits in enumerate(bins):
        if not binomial_consistent(hits, n, 0.1, ALPHA / 20):
            low = float(case["context_sec_min"]) + i * width * float(ts)
            fail(
                f"context_sec in [{low:.4g}, {low + width * float(ts):.4g}] s drawn {hits}/{n} "
                f"times, uniform expects {n // 10}"
            )


@st.composite
def _probability_cases(draw) -> Case:
    levels = st.one_of(st.sampled_from([0.0, 0.1, 0.3, 0.7, 0.9, 1.0]), cs.probabilities())
    return {
        **draw(cs.sampler_cases()),
        "chunkwise_prob": draw(levels),
        "left_constrain_prob": draw(levels),
    }


@register(
    "sampler.probabilities",
    Cases(_probability_cases(), Record(SAMPLER_FIELDS)),
    needs=Capability.SAMPLER,
    example_share=0.2,
)
def sampler_probabilities(ctx: CheckContext, case: Case, n: int = 2000) -> None:
    """Observed frequencies match both probabilities (binomial bound, false alarm < 1e-6).

    ## What it asserts
    Each `sample()` is chunked with probability `chunkwise_prob` (otherwise full context,
    `ChunkConfig(None, None)`), and a chunked draw is left-limited with probability
    `left_constrain_prob` (otherwise `ChunkConfig(C, None)`, unlimited). Over 2000 draws the check
    counts both: chunked draws out of all draws, and left-limited draws out of the *chunked* ones,
    each tested against its probability with a two-sided binomial (Chernoff) bound. A probability of
    0 or 1 demands exact agreement (0 means never, 1 always). Each example also runs with the two
    probabilities swapped, so a sampler that uses one coin's probability for the other is caught
    whenever they differ. Probabilities are drawn from 0, 0.1, 0.3, 0.7, 0.9, 1 and anything in
    between; the false-alarm rate of a whole thorough run on a correct sampler is below 1e-6.

    ## Why it matters
    The two probabilities set the training mixture: how often the model sees full context (so it
    still works offline) and how often unlimited left context. An inverted coin (`random() > p`)
    trains a streaming model mostly on full context; "unlimited" returned as `context_chunks=0`
    turns every unlimited draw into block-diagonal attention, the opposite of what was asked; one
    uniform number deciding both coins correlates them, so `P(limited | chunked)` is
    `min(p, q) / p`, not `q`.

    ## Example failure
    ```
    FAIL  sampler.probabilities  1 examples  counterexample: {'chunk_size_min': 1,
      'chunk_size_max': 20, 'context_sec_min': 3, 'context_sec_max': 20,
      'timestep_duration_sec': 0.08, 'chunkwise_prob': 0.2, 'left_constrain_prob': 0.9,
      'seed': 0}  regression seed failed: left-limited in 407/407 chunked draws with
      left_constrain_prob=0.9 (chunkwise_prob=0.2)
    ```
    Every chunked draw was left-limited although only 90% should be: the same random number decided
    both coins.

    ## Catches
    - `tests/impls/bug_prob_inverted.py` — `random() > p` chunks with probability `1 - p`.
    - `tests/impls/bug_left_uses_chunk_prob.py` — the left-context coin uses `chunkwise_prob`.
    - `tests/impls/bug_one_coin.py` — one uniform number decides both coins, so they are
      correlated.
    - `tests/impls/bug_unlimited_as_zero.py` — not left-constrained returns `context_chunks=0`
      (block-diagonal) instead of `None`.

    ## How to fix
    Two independent draws, each `random() < p`, and `None` for "unlimited":

    ```python
    if rng.random() >= self.chunkwise_prob:  # chunked with probability p
        return ChunkConfig(None, None)
    chunk = rng.randint(self.chunk_size_min, self.chunk_size_max)
    if rng.random() >= self.left_constrain_prob:  # a second, independent draw
        return ChunkConfig(chunk, None)  # unlimited, not 0
    ```
    With `random()` in `[0, 1)`, `random() < 1.0` is always true and `random() < 0.0` never.
    """
    p, q = case["chunkwise_prob"], case["left_constrain_prob"]
    for chunk_p, left_p in {(p, q), (q, p)}:
        draws = draw_configs(
            make_sampler(ctx, case, chunkwise_prob=chunk_p, left_constrain_prob=left_p), n
        )
        chunked = [c for c in draws if c[0] is not None]
        limited = sum(1 for c in chunked if c[1] is not None)
        if not binomial_consistent(len(chunked), n, chunk_p):
            fail(f"chunked in {len(chunked)}/{n} draws with chunkwise_prob={chunk_p}")
        if not binomial_consistent(limited, len(chunked), left_p):
            fail(
                f"left-limited in {limited}/{len(chunked)} chunked draws with "
                f"left_constrain_prob={left_p} (chunkwise_prob={chunk_p})"
            )


def _torch_seed(seed: int) -> None:
    """Reseed torch's global CPU generator (what ``torch.rand`` draws from and
    ``torch.get_rng_state`` reads): ``torch.manual_seed`` does the same and also seeds every
    accelerator backend, at 0.3 ms a call."""
    torch.default_generator.manual_seed(seed)


def _global_states():
    return random.getstate(), np.random.get_state(), torch.get_rng_state()


def _set_global_states(states) -> None:
    random.setstate(states[0])
    np.random.set_state(states[1])
    torch.set_rng_state(states[2])


def _same_states(a, b) -> bool:
    return (
        a[0] == b[0]
        and all(
            np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y
            for x, y in zip(a[1], b[1], strict=True)
        )
        and torch.equal(a[2], b[2])
    )


@register("sampler.determinism", sampler_arguments(), needs=Capability.SAMPLER, example_share=0.5)
def sampler_determinism(ctx: CheckContext, case: Case, n: int = 40) -> None:
    """Same seed, same sequence, whatever the global generators do; different seeds give different ones.

    ## What it asserts
    Three things, on 40 draws:
    - drawing from the sampler leaves Python's `random`, numpy's global generator and torch's
      global CPU generator exactly as they were (the sampler never reads or changes them);
    - a second sampler with the same seed gives the same sequence while the global generators are
      drawn from and reseeded (to other values) before every one of its draws;
    - seeds that differ in the last digit (`seed + 1`), in a higher decimal place (`+ 1000`,
      `+ 10**6`) or in a high bit (bit 16, bit 31) give different sequences from wide ranges (chunk
      sizes 1..1000, contexts 0..100 s).

    Only the sequence's dependence on the seed is checked, never its values: a correct sampler with
    another generator always passes.

    ## Why it matters
    The sampler's seed is what makes a training run reproducible: the same config and seed must
    give the same sequence of chunk geometries. A sampler that seeds or reads the global `random`
    shifts whenever the data loader, augmentation or another library draws a number, so two runs
    of the same seed train on different geometries (and a resumed run differs from an uninterrupted
    one). Folding the seed into `0..999` silently makes seeds 7 and 1007 the same experiment.

    ## Example failure
    ```
    FAIL  sampler.determinism  1 examples  counterexample: {'chunk_size_min': 1,
      'chunk_size_max': 20, 'context_sec_min': 3, 'context_sec_max': 20,
      'timestep_duration_sec': 0.08, 'chunkwise_prob': 0.5, 'left_constrain_prob': 0.5,
      'seed': 0}  regression seed failed: the sampler changed a global generator (random,
      numpy or torch)
    ```
    The sampler called `random.seed(seed)` on the global generator.

    ## Catches
    - `tests/impls/bug_global_rng.py` — `random.seed(seed)` on the global generator: any other user
      of `random` shifts the stream.
    - `tests/impls/bug_seed_ignored.py` — the seed is never used: `random.Random()` seeds from the
      clock.
    - `tests/impls/bug_seed_folded.py` — the seed folded into 0..999, so seeds 7 and 1007 give the
      same run.

    ## How to fix
    Give each sampler its own generator, seeded with the whole seed:

    ```python
    self._rng = random.Random(seed)  # not random.seed(seed)
    # numpy: np.random.default_rng(seed); torch: torch.Generator().manual_seed(seed)
    ```
    Never reduce the seed (`seed % 1000`), and never draw from module-level functions
    (`random.random()`, `np.random.rand()`, `torch.rand()` without a generator).
    """
    saved = _global_states()
    try:
        before = _global_states()
        first = draw_configs(make_sampler(ctx, case), n)
        if not _same_states(before, _global_states()):
            fail("the sampler changed a global generator (random, numpy or torch)")
        for junk in (1, 2):
            random.seed(junk), np.random.seed(junk), _torch_seed(junk)
            sampler = make_sampler(ctx, case)
            again = []
            for i in range(n):
                random.random(), np.random.random_sample(), torch.rand(1)
                random.seed(junk + i), np.random.seed(junk + i), _torch_seed(junk + i)
                again.extend(draw_configs(sampler, 1))
            if again != first:
                i = next(i for i, (a, b) in enumerate(zip(first, again, strict=True)) if a != b)
                fail(
                    f"same seed {case['seed']} gave {first[i]} then {again[i]} at draw {i} once "
                    "the global generators were reseeded: the sampler reads global state"
                )
    finally:
        _set_global_states(saved)
    wide = {
        **case,
        "chunk_size_min": 1,
        "chunk_size_max": 1000,
        "context_sec_min": 0.0,
        "context_sec_max": 100.0,
        "chunkwise_prob": 1.0,
        "left_constrain_prob": 1.0,
    }
    base = draw_configs(make_sampler(ctx, wide), n)
    for other in _partner_seeds(case["seed"]):
        if draw_configs(make_sampler(ctx, {**wide, "seed": other}), n) == base:
            fail(f"seeds {case['seed']} and {other} gave the same {n} draws from wide ranges")


def _partner_seeds(seed: int) -> list[int]:
    """Seeds that differ from ``seed`` in the last digit, in a higher decimal place, or in a
    high bit: a sampler that folds or truncates its seed makes one of them collide."""
    near = [seed + 1, seed + 10**3, seed + 10**6]
    bits = [seed ^ (1 << b) for b in (16, 31)]
    return [s % 2**32 for s in near + bits if s % 2**32 != seed]


_INF, _NAN = float("inf"), float("nan")


def _corruptions(case: Case) -> list[tuple[str, Any]]:
    """Every bad value docs/contract.md: The mask names, as (key, value) pairs relative to a valid case."""
    cmin, smin = case["chunk_size_min"], case["context_sec_min"]
    bad = {
        "chunk_size_min": [0, -1, _INF, -_INF, _NAN],
        "chunk_size_max": [cmin - 1, _INF, -_INF, _NAN],
        "context_sec_min": [-0.5, -1e-9, _INF, -_INF, _NAN],
        "context_sec_max": [smin - 1.0, _INF, -_INF, _NAN],
        "timestep_duration_sec": [0.0, -0.08, _INF, -_INF, _NAN],
        "chunkwise_prob": [1.5, -0.1, 1.0000001, -1e-9, _INF, -_INF, _NAN],
        "left_constrain_prob": [1.5, -0.1, 1.0000001, -1e-9, _INF, -_INF, _NAN],
    }
    return [(key, value) for key, values in bad.items() for value in values]


def _bad_arguments() -> Cases:
    """Valid arguments; a stored case may instead hold one bad value, named by ``corrupted``,
    as far as the values the check itself tries reach (inf, NaN, one below a range, -1, 1.5)."""
    valid = {k: v for k, v in SAMPLER_FIELDS.items() if k != "seed"}
    bad = {
        key: Float(min(-1.0, schema.lo - 1), max(schema.hi, 1.5), nonfinite=True)
        for key, schema in valid.items()
    }
    record = Record({**bad, "seed": SEED, "corrupted": OneOf(*valid)}, frozenset({"corrupted"}))
    return Cases(cs.sampler_cases(), record)


@register("sampler.rejects_bad_input", _bad_arguments(), needs=Capability.SAMPLER)
def sampler_rejects_bad_input(ctx: CheckContext, case: Case) -> None:
    """Every invalid sampler argument raises ValueError at construction, never clamped or accepted.

    ## What it asserts
    Starting from valid arguments, each bad value is tried on its own, and the constructor must
    raise `ValueError` (`chunk_size_min` and `chunk_size_max` are the two ends of
    `chunk_size_range`, `context_sec_min` and `context_sec_max` those of `context_sec_range`):

    | argument | bad values tried |
    |---|---|
    | `chunk_size_min` | 0, -1, inf, -inf, NaN |
    | `chunk_size_max` | `chunk_size_min - 1` (a range with min > max), inf, -inf, NaN |
    | `context_sec_min` | -0.5, -1e-9, inf, -inf, NaN |
    | `context_sec_max` | `context_sec_min - 1`, inf, -inf, NaN |
    | `timestep_duration_sec` | 0, -0.08, inf, -inf, NaN |
    | `chunkwise_prob`, `left_constrain_prob` | 1.5, -0.1, 1.0000001, -1e-9, inf, -inf, NaN |

    A stored regression seed carries a `corrupted` key naming its one bad argument, and only that
    one is tried. An error raised later, at `sample()`, does not count: the contract asks for it at
    construction.

    ## Why it matters
    These values come from config typos and convention mix-ups, and each silently changes
    training. An infinite `chunk_size_max` accepted by code that returns full context for it
    disables chunking for the whole run; a probability of 1.5 clamped to 1 hides a typo of 0.15;
    NaN passes `p < 0 or p > 1` (every comparison with NaN is False) and then behaves as 0 or 1
    depending on how the coin is written; a chunk size minimum of 0 clamped later produces a
    geometry nobody configured. Raising at construction reports the bad key before training starts.

    ## Example failure
    ```
    FAIL  sampler.rejects_bad_input  1 examples  counterexample: {'chunk_size_min': 1,
      'chunk_size_max': inf, 'context_sec_min': 3, 'context_sec_max': 20,
      'timestep_duration_sec': 0.08, 'chunkwise_prob': 1.0, 'left_constrain_prob': 1.0,
      'seed': 0, 'corrupted': 'chunk_size_max'}  regression seed failed: chunk_size_max=inf was
      accepted; expected ValueError at construction
    ```
    The `corrupted` key names the bad argument; the sampler accepted an infinite maximum.

    ## Catches
    - `tests/impls/bug_inf_means_full.py` — an infinite `chunk_size_max` is accepted and silently
      disables chunking.
    - `tests/impls/bug_clamps_prob.py` — probabilities clamped to `[0, 1]`: a typo'd 1.5 is
      silently accepted.
    - `tests/impls/bug_nan_prob.py` — `p < 0 or p > 1` lets NaN through.
    - `tests/impls/bug_no_min_check.py` — `chunk_size_min` 0 and a negative context accepted
      (clamped later).

    ## How to fix
    Validate every argument in `__init__`, written so that NaN fails (test for the valid range, not
    for the invalid one):

    ```python
    def _probability(name, p):
        if not (isinstance(p, (int, float)) and math.isfinite(p) and 0.0 <= p <= 1.0):
            raise ValueError(f"{name} must be a probability in [0, 1], got {p!r}")
    ```
    Check `math.isfinite` on every bound, `chunk_size_min >= 1` and integral, `context_sec_min >= 0`,
    `min <= max` for both ranges, and `timestep_duration_sec > 0`.
    """
    args = {k: v for k, v in case.items() if k != "corrupted"}
    if "corrupted" in case:
        bad = [(case["corrupted"], case[case["corrupted"]])]
    else:
        bad = _corruptions(args)
    for key, value in bad:
        try:
            make_sampler(ctx, {**args, key: value})
        except ValueError:
            continue
        fail(f"{key}={value!r} was accepted; expected ValueError at construction")


@register("sampler.isolation", sampler_arguments(), needs=Capability.SAMPLER, example_share=0.5)
def sampler_isolation(ctx: CheckContext, case: Case, n: int = 30) -> None:
    """Samplers share no state, returned configs never change, a seed gives one sequence in any process.

    ## What it asserts
    With both probabilities 1.0 and 30 draws:
    - two samplers built with the same seed and drawn in turn (one draw from each, alternately)
      each give exactly the sequence one sampler gives alone;
    - every `ChunkConfig` that `sample()` returned still holds the same `chunk_size` and
      `context_chunks` after all the later draws;
    - the same sampler drawn in a second Python process, started with another `PYTHONHASHSEED`,
      gives the same sequence (`chunkattn verify` starts that helper process once per run).

    The last part needs a target that can be loaded again by name (a module or a `.py` path).

    ## Why it matters
    A training script builds several samplers (train and validation, one per data-loader worker) and
    keeps the configs it draws (the model's `last_chunk_config`, a log of geometries). A generator
    shared at class level makes two samplers with the same seed eat each other's draws; a reused
    `ChunkConfig` object rewrites the geometry a caller recorded at the next draw; a seed derived
    with `hash()` of a string is salted per process, so each DDP rank or data-loader worker, and the
    next run, draws a different sequence from "the same" seed.

    ## Example failure
    ```
    FAIL  sampler.isolation  20 examples  counterexample: {'chunk_size_min': 1,
      'chunk_size_max': 1, 'context_sec_min': 0.0, 'context_sec_max': 1.0,
      'timestep_duration_sec': 0.01, 'chunkwise_prob': 0.0, 'left_constrain_prob': 0.0,
      'seed': 0}  seed 0 gave (1, 42) here and (1, 30) in another Python process (another
      PYTHONHASHSEED) at draw 0: something per-process enters the seed
    ```
    The draws are identical within one process and differ in another: the seed went through
    Python's salted `hash()`.

    ## Catches
    - `tests/impls/bug_shared_rng.py` — one generator for the whole class, reseeded by each new
      sampler: two samplers with the same seed drawn in turn eat each other's draws.
    - `tests/impls/bug_mutable_config.py` — `sample()` reuses one `ChunkConfig` object, so a config
      a caller kept changes at the next draw.
    - `tests/impls/bug_hash_seed.py` — the generator seeded from `hash()` of a string, which Python
      salts per process.

    ## How to fix
    One generator per instance, a new config object per draw, and a seed derived without `hash()`:

    ```python
    class ChunkConfigSampler:
        def __init__(self, *, seed=None, **ranges):
            self._rng = random.Random(seed)  # per instance, not a class attribute

        def sample(self):
            ...
            return ChunkConfig(chunk, context)  # a new object every time
    ```
    To derive a seed from a string, use a stable digest
    (`int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")`), never `hash(name)`.
    """
    wide = {**case, "chunkwise_prob": 1.0, "left_constrain_prob": 1.0}
    alone = draw_configs(make_sampler(ctx, wide), n)
    first, second = make_sampler(ctx, wide), make_sampler(ctx, wide)
    returned, seen = [], []
    for i in range(n):
        config = first.sample()
        returned.append(config)
        seen.append((config.chunk_size, config.context_chunks))
        draws = draw_configs(second, 1)
        if seen[i] != alone[i] or draws[0] != alone[i]:
            fail(
                f"two samplers with seed {case['seed']}, drawn in turn, gave {seen[i]} and "
                f"{draws[0]} at draw {i}; alone the sequence has {alone[i]}: they share state"
            )
    for i, config in enumerate(returned):
        now = (config.chunk_size, config.context_chunks)
        if now != seen[i]:
            fail(f"the config returned at draw {i} was {seen[i]}, after later draws it is {now}")
    other = _other_process_draws(ctx, wide, n)
    if other is not None and other != alone:
        i = next(i for i, (a, b) in enumerate(zip(alone, other, strict=True)) if a != b)
        fail(
            f"seed {case['seed']} gave {alone[i]} here and {other[i]} in another Python process "
            f"(another PYTHONHASHSEED) at draw {i}: something per-process enters the seed"
        )


def _other_process_draws(ctx: CheckContext, case: Case, n: int) -> list | None:
    """``n`` draws of the same sampler in a second Python process with another
    ``PYTHONHASHSEED`` (:mod:`chunkattn._internal.engine.helper`); None when the target cannot be loaded by name
    in another process."""
    source = ctx.target.source
    if source is None:
        return None
    try:
        reply = helper().ask({"source": source, "case": case, "n": n})
    except HelperDied as exc:
        fail(f"the second Python process for {source}: {exc}")
    if isinstance(reply, str):
        fail(f"in a second Python process, the sampler failed: {reply}")
    return [tuple(pair) for pair in reply]
