"""The ``sampler.*`` checks (SPEC sections 2 and 4): ranges, reachability, probabilities,
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
from chunkattn._internal.engine.target import bulk_sampler

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


@register("sampler.ranges", sampler_arguments(), needs="sampler", example_share=0.5)
def sampler_ranges(ctx: CheckContext, case: Case) -> None:
    """Every draw inside the ranges; per-draw context bounds use that draw's chunk size."""
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
    "sampler.reachable", Cases(_reachable_cases(), _REACHABLE), needs="sampler", example_share=0.2
)
def sampler_reachable(ctx: CheckContext, case: Case, n: int = 2000) -> None:
    """Both ends of the chunk range occur, uniformly; context values spread over the range."""
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
    needs="sampler",
    example_share=0.2,
)
def sampler_probabilities(ctx: CheckContext, case: Case, n: int = 2000) -> None:
    """Observed frequencies match both probabilities (binomial bound, false alarm < 1e-6).

    Each example also runs with the two probabilities swapped, so a sampler that uses one
    coin's probability for the other is caught whenever they differ.
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


@register("sampler.determinism", sampler_arguments(), needs="sampler", example_share=0.5)
def sampler_determinism(ctx: CheckContext, case: Case, n: int = 40) -> None:
    """Same seed same sequence; independent of global generators; different seeds differ."""
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
    """Every bad value SPEC section 2 names, as (key, value) pairs relative to a valid case."""
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


@register("sampler.rejects_bad_input", _bad_arguments(), needs="sampler")
def sampler_rejects_bad_input(ctx: CheckContext, case: Case) -> None:
    """Every bad argument of SPEC section 2 raises ValueError at construction.

    A case with a ``corrupted`` key (a stored seed) is that one bad input; otherwise every bad
    value is tried against the case's otherwise valid arguments.
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


@register("sampler.isolation", sampler_arguments(), needs="sampler", example_share=0.5)
def sampler_isolation(ctx: CheckContext, case: Case, n: int = 30) -> None:
    """Samplers share no state; returned configs never change; same seed, same sequence in
    another process (no salted ``hash()`` in the seed).

    Two samplers built with the same seed and drawn interleaved each give the sequence one gives
    alone; every returned ``ChunkConfig`` still holds its values after later draws.
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
