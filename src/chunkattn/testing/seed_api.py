"""The seed-API invariants (SPEC section 4): ``mask.*``, ``ceil.*`` and ``sampler.*``.

Each check asserts *behaviour* from SPEC section 2 only, so a correct implementation of the
contract never fails, whatever its internals (its random stream, its dataclass, its caching).
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

from ..reference import reference_context_chunks, reference_mask
from . import strategies as cs
from .registry import Case, CheckContext, CheckFailure, register

__all__ = ["binomial_consistent", "draw_configs", "make_sampler"]

#: False-alarm rate of one statistical test; a check makes at most ~30 per example and a
#: thorough run a few thousand examples, so a correct sampler fails a run with p < 1e-6.
ALPHA = 1e-10

# --------------------------------------------------------------------------- helpers


def _fail(message: str) -> None:
    raise CheckFailure(message)


def _config(ctx: CheckContext, chunk: Any, context: Any):
    return ctx.target.ChunkConfig(chunk_size=chunk, context_chunks=context)


def _mask(ctx: CheckContext, case: Case, **kwargs) -> torch.Tensor | None:
    """The target's mask for ``case``, checked to be a ``(1, 1, T, T)`` bool tensor."""
    seq_len, chunk = case["seq_len"], case["chunk_size"]
    mask = ctx.target.create_dynamic_chunk_mask(
        seq_len, _config(ctx, chunk, case["context_chunks"]), **kwargs
    )
    if chunk is None:
        return mask
    if not isinstance(mask, torch.Tensor):
        _fail(f"expected a torch.Tensor for chunk_size={chunk}, got {type(mask).__name__}")
    if mask.dtype != torch.bool or tuple(mask.shape) != (1, 1, seq_len, seq_len):
        _fail(f"expected bool (1, 1, {seq_len}, {seq_len}), got {mask.dtype} {tuple(mask.shape)}")
    return mask


def _chunks(seq_len: int, chunk: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Query and key chunk indices, broadcastable to ``(T, T)``."""
    idx = torch.arange(seq_len) // chunk
    return idx[:, None], idx[None, :]


def _first(where: torch.Tensor) -> str:
    q, k = (int(i) for i in where.nonzero()[0])
    return f"query {q}, key {k}"


def _is_int(x: Any) -> bool:
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
    v = {**case, **override}
    return ctx.target.ChunkConfigSampler(
        chunk_size_range=(v["chunk_size_min"], v["chunk_size_max"]),
        context_sec_range=(v["context_sec_min"], v["context_sec_max"]),
        timestep_duration_sec=v["timestep_duration_sec"],
        chunkwise_prob=v["chunkwise_prob"],
        left_constrain_prob=v["left_constrain_prob"],
        seed=v["seed"],
    )


def draw_configs(sampler: Any, n: int) -> list[tuple[int | None, int | None]]:
    """``n`` draws as ``(chunk_size, context_chunks)`` pairs, checking the types on the way."""
    out = []
    for i in range(n):
        config = sampler.sample()
        chunk, context = config.chunk_size, config.context_chunks
        if chunk is not None and not _is_int(chunk):
            _fail(f"draw {i}: chunk_size must be an integer or None, got {chunk!r}")
        if context is not None and not _is_int(context):
            _fail(f"draw {i}: context_chunks must be an integer or None, got {context!r}")
        if config.is_full_context() != (chunk is None):
            _fail(f"draw {i}: is_full_context() is {config.is_full_context()} for {config}")
        if chunk is None and context is not None:
            _fail(f"draw {i}: full context (chunk_size None) with context_chunks={context}")
        out.append(
            (None if chunk is None else int(chunk), None if context is None else int(context))
        )
    return out


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


# --------------------------------------------------------------------------- mask.*


def _masks(full_context: bool = False):
    def strategy(ctx: CheckContext):
        return cs.mask_cases(full_context=full_context)

    return strategy


#: how a case asks for a device; "meta" stands in for an accelerator on CPU-only machines, so a
#: mask built elsewhere and never moved (or served from a cache keyed without the device) is caught
_DEVICES = ("default", "cpu", "torch.device", "meta", "torch.device(meta)") + (
    ("cuda",) if torch.cuda.is_available() else ()
)


def _device_argument(name: str) -> dict[str, Any]:
    value = {
        "default": None,
        "torch.device": torch.device("cpu"),
        "torch.device(meta)": torch.device("meta"),
    }.get(name, name)
    return {} if value is None else {"device": value}


def _device_type(name: str) -> str:
    if name == "default":
        return torch.get_default_device().type
    return {"torch.device": "cpu", "torch.device(meta)": "meta"}.get(name, name)


@register(
    "mask.shape_dtype",
    lambda ctx: st.tuples(cs.mask_cases(full_context=True), st.permutations(_DEVICES)).map(
        lambda t: {**t[0], "devices": list(t[1])}
    ),
)
def mask_shape_dtype(ctx: CheckContext, case: Case) -> None:
    """bool, (1,1,T,T), device honoured; None iff full context.

    The same geometry is asked for on every device in the case's order. A target that cannot
    build on ``meta`` at all (data-dependent code such as ``.item()``) is not wrong for it: that
    one request is passed over, the CPU requests still run.
    """
    config = _config(ctx, case["chunk_size"], case["context_chunks"])
    if config.is_full_context() != (case["chunk_size"] is None):
        _fail(
            f"is_full_context() is {config.is_full_context()} for chunk_size={case['chunk_size']}"
        )
    asked = []
    for name in case["devices"]:
        if name == "cuda" and not torch.cuda.is_available():
            continue
        try:
            mask = _mask(ctx, case, **_device_argument(name))
        except CheckFailure:
            raise
        except Exception:
            if _device_type(name) == "meta":
                continue
            raise
        asked.append(name)
        if case["chunk_size"] is None:
            if mask is not None:
                _fail(f"full context must return None, got {type(mask).__name__}")
        elif mask.device.type != _device_type(name):
            after = f" (after asking for {', '.join(asked[:-1])})" if len(asked) > 1 else ""
            _fail(f"asked for device {name}, mask is on {mask.device}{after}")


@register("mask.causality", _masks())
def mask_causality(ctx: CheckContext, case: Case) -> None:
    """No key in a later chunk is visible."""
    mask = _mask(ctx, case)[0, 0]
    qc, kc = _chunks(case["seq_len"], case["chunk_size"])
    leak = mask & (kc > qc)
    if leak.any():
        _fail(f"future chunk visible: {_first(leak)}")


@register("mask.own_chunk", _masks())
def mask_own_chunk(ctx: CheckContext, case: Case) -> None:
    """Every key of the query's own chunk is visible."""
    mask = _mask(ctx, case)[0, 0]
    qc, kc = _chunks(case["seq_len"], case["chunk_size"])
    hidden = ~mask & (kc == qc)
    if hidden.any():
        _fail(f"own-chunk key hidden: {_first(hidden)}")


@register("mask.left_span", _masks())
def mask_left_span(ctx: CheckContext, case: Case) -> None:
    """Exactly chunks max(0, qc-L) .. qc visible, with the row counts of that span."""
    seq_len, chunk, context = case["seq_len"], case["chunk_size"], case["context_chunks"]
    mask = _mask(ctx, case)[0, 0]
    for q in range(seq_len):
        qc = q // chunk
        first = 0 if context is None else max(0, qc - context)
        want = min(seq_len, (qc + 1) * chunk) - first * chunk
        got = int(mask[q].sum())
        if got != want:
            _fail(f"query {q} (chunk {qc}) sees {got} keys, expected {want} (chunks {first}..{qc})")
        visible = mask[q].nonzero().flatten()
        if (
            int(visible[0]) != first * chunk
            or int(visible[-1]) != min(seq_len, (qc + 1) * chunk) - 1
        ):
            _fail(
                f"query {q} (chunk {qc}) sees keys {int(visible[0])}..{int(visible[-1])}, "
                f"expected {first * chunk}..{min(seq_len, (qc + 1) * chunk) - 1}"
            )


@st.composite
def _unlimited_cases(draw) -> Case:
    kind = draw(st.sampled_from(["unlimited", "causal", "one_chunk"]))
    seq_len = draw(st.integers(1, 48))
    if kind == "unlimited":
        return {
            "seq_len": seq_len,
            "chunk_size": draw(st.integers(1, seq_len + 4)),
            "context_chunks": None,
        }
    if kind == "causal":
        return {"seq_len": seq_len, "chunk_size": 1, "context_chunks": None}
    return {
        "seq_len": seq_len,
        "chunk_size": draw(st.integers(seq_len, seq_len + 8)),
        "context_chunks": draw(cs.context_chunks()),
    }


@register("mask.unlimited", lambda ctx: _unlimited_cases())
def mask_unlimited(ctx: CheckContext, case: Case) -> None:
    """L=None is block lower-triangular; C=1 is plain causal; C>=T is all True."""
    seq_len, chunk, context = case["seq_len"], case["chunk_size"], case["context_chunks"]
    mask = _mask(ctx, case)[0, 0]
    if chunk >= seq_len:
        want, what = torch.ones(seq_len, seq_len, dtype=torch.bool), "all True (C >= T)"
    elif chunk == 1 and context is None:
        want, what = torch.ones(seq_len, seq_len, dtype=torch.bool).tril(), "plain causal (C=1)"
    else:
        qc, kc = _chunks(seq_len, chunk)
        want, what = kc <= qc, "block lower-triangular (L=None)"
    wrong = mask != want
    if wrong.any():
        _fail(f"expected {what}; differs at {_first(wrong)}")


@register("mask.monotone", _masks())
def mask_monotone(ctx: CheckContext, case: Case) -> None:
    """The mask for L is contained in the mask for L+1 (and in the unlimited mask)."""
    seq_len, chunk, context = case["seq_len"], case["chunk_size"], case["context_chunks"]
    smaller = _mask(ctx, case)[0, 0]
    larger_l = None if context is None else context + 1
    larger = _mask(ctx, {**case, "context_chunks": larger_l})[0, 0]
    unlimited = _mask(ctx, {**case, "context_chunks": None})[0, 0]
    for name, other in ((f"L={larger_l}", larger), ("L=None", unlimited)):
        lost = smaller & ~other
        if lost.any():
            _fail(f"visible with L={context} but not with {name}: {_first(lost)}")
    if context is not None and seq_len > chunk * (context + 1) and torch.equal(smaller, larger):
        _fail(f"L={context} and L={context + 1} give the same mask though T > (L+1)*C")


@register("mask.matches_reference", _masks(full_context=True), needs="mask-only")
def mask_matches_reference(ctx: CheckContext, case: Case) -> None:
    """Equal to the naive reference, element for element."""
    mask = _mask(ctx, case)
    config = _config(ctx, case["chunk_size"], case["context_chunks"])
    want = reference_mask(case["seq_len"], config)
    if want is None:
        if mask is not None:
            _fail("full context must return None")
        return
    wrong = mask[0, 0] != want[0, 0]
    if wrong.any():
        _fail(f"differs from the reference at {_first(wrong)}")


_BAD_CHUNKS, _BAD_CONTEXTS = (0, -1, -5), (-1, -3)


@register("mask.rejects_bad_input", lambda ctx: cs.mask_cases())
def mask_rejects_bad_input(ctx: CheckContext, case: Case) -> None:
    """C<1 and L<0 raise ValueError (each example tries every bad value on its geometry)."""
    seq_len, chunk, context = case["seq_len"], case["chunk_size"], case["context_chunks"]
    if chunk is not None and chunk < 1 or context is not None and context < 0:
        bad = [(chunk, context)]  # a stored seed that is itself the bad input
    else:
        bad = [(c, context) for c in _BAD_CHUNKS] + [(chunk or 1, l_) for l_ in _BAD_CONTEXTS]
    for bad_chunk, bad_context in bad:
        try:
            result = ctx.target.create_dynamic_chunk_mask(
                seq_len, _config(ctx, bad_chunk, bad_context)
            )
        except ValueError:
            continue
        shown = "None" if result is None else f"a {tuple(result.shape)} mask"
        _fail(
            f"chunk_size={bad_chunk}, context_chunks={bad_context} returned {shown} instead of "
            "raising ValueError"
        )


_MUTATIONS = {
    "fill_false": lambda m: m.fill_(False),
    "fill_true": lambda m: m.fill_(True),
    "invert": lambda m: m.logical_not_(),
    "and_padding": lambda m: m.__iand__(torch.zeros_like(m)),
}


@register(
    "mask.caller_owns",
    lambda ctx: st.tuples(cs.mask_cases(), st.sampled_from(sorted(_MUTATIONS))).map(
        lambda t: {**t[0], "mutation": t[1]}
    ),
)
def mask_caller_owns(ctx: CheckContext, case: Case) -> None:
    """An in-place change to a returned mask never shows up in a later call."""
    geometry = {k: case[k] for k in ("seq_len", "chunk_size", "context_chunks")}
    first = _mask(ctx, geometry)
    before = first.clone()
    _MUTATIONS[case["mutation"]](first)
    again = _mask(ctx, geometry)
    if not torch.equal(again, before):
        _fail(f"after {case['mutation']} on a returned mask, the next call returned a changed mask")


# --------------------------------------------------------------------------- ceil.*


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
            _fail(
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
            _fail(
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
            _fail(f"{got} chunks cover {float(got * span)} s < context_sec {case['context_sec']}")
        if not (got - 1) * span < seconds:
            _fail(
                f"{got} chunks: one chunk too many ({got - 1} already cover {case['context_sec']} s)"
            )


# --------------------------------------------------------------------------- sampler.*


@register("sampler.ranges", lambda ctx: cs.sampler_cases(), needs="sampler", example_share=0.5)
def sampler_ranges(ctx: CheckContext, case: Case) -> None:
    """Every draw inside the ranges; per-draw context bounds use that draw's chunk size."""
    cmin, cmax = case["chunk_size_min"], case["chunk_size_max"]
    ts = case["timestep_duration_sec"]
    for i, (chunk, context) in enumerate(draw_configs(make_sampler(ctx, case), 300)):
        if chunk is None:
            if case["chunkwise_prob"] == 1.0:
                _fail(f"draw {i}: full context although chunkwise_prob is 1.0")
            continue
        if not cmin <= chunk <= cmax:
            _fail(f"draw {i}: chunk_size {chunk} outside [{cmin}, {cmax}]")
        if context is None:
            if case["left_constrain_prob"] == 1.0:
                _fail(f"draw {i}: unlimited context although left_constrain_prob is 1.0")
            continue
        low = reference_context_chunks(case["context_sec_min"], ts, chunk)
        high = reference_context_chunks(case["context_sec_max"], ts, chunk)
        if not low <= context <= high:
            _fail(
                f"draw {i}: context_chunks {context} outside [{low}, {high}], the range for "
                f"chunk_size {chunk} and context_sec in [{case['context_sec_min']}, {case['context_sec_max']}]"
            )


@st.composite
def _reachable_cases(draw) -> Case:
    ts = draw(st.sampled_from(cs.TIMESTEPS))
    start, width = draw(st.integers(0, 200)), draw(st.integers(1, 30))
    cmin = draw(st.integers(1, 30))
    step = cs.Decimal(repr(ts))
    return {
        "chunk_size_min": cmin,
        "chunk_size_max": cmin + draw(st.integers(0, 9)),
        "context_sec_min": float(step * start),
        "context_sec_max": float(step * (start + 10 * width)),
        "timestep_duration_sec": ts,
        "chunkwise_prob": 1.0,
        "left_constrain_prob": 1.0,
        "seed": draw(cs.seeds()),
    }


@register("sampler.reachable", lambda ctx: _reachable_cases(), needs="sampler", example_share=0.3)
def sampler_reachable(ctx: CheckContext, case: Case, n: int = 2000) -> None:
    """Both ends of the chunk range occur, uniformly; context values spread over the range."""
    cmin, cmax = case["chunk_size_min"], case["chunk_size_max"]
    values = cmax - cmin + 1
    chunks = [c for c, _ in draw_configs(make_sampler(ctx, case), n)]
    for value in range(cmin, cmax + 1):
        hits = chunks.count(value)
        if hits == 0:
            _fail(f"chunk_size {value} never drawn in {n} draws from [{cmin}, {cmax}]")
        if not binomial_consistent(hits, n, 1 / values, ALPHA / 20):
            _fail(f"chunk_size {value} drawn {hits}/{n} times, uniform expects {n / values:.0f}")
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
            _fail(
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
    "sampler.probabilities", lambda ctx: _probability_cases(), needs="sampler", example_share=0.3
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
            _fail(f"chunked in {len(chunked)}/{n} draws with chunkwise_prob={chunk_p}")
        if not binomial_consistent(limited, len(chunked), left_p):
            _fail(
                f"left-limited in {limited}/{len(chunked)} chunked draws with "
                f"left_constrain_prob={left_p} (chunkwise_prob={chunk_p})"
            )


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


@register("sampler.determinism", lambda ctx: cs.sampler_cases(), needs="sampler", example_share=0.5)
def sampler_determinism(ctx: CheckContext, case: Case, n: int = 40) -> None:
    """Same seed same sequence; independent of global generators; different seeds differ."""
    saved = _global_states()
    try:
        before = _global_states()
        first = draw_configs(make_sampler(ctx, case), n)
        if not _same_states(before, _global_states()):
            _fail("the sampler changed a global generator (random, numpy or torch)")
        for junk in (1, 2):
            random.seed(junk), np.random.seed(junk), torch.manual_seed(junk)
            sampler = make_sampler(ctx, case)
            again = []
            for i in range(n):
                random.random(), np.random.random_sample(), torch.rand(1)
                random.seed(junk + i), np.random.seed(junk + i), torch.manual_seed(junk + i)
                again.extend(draw_configs(sampler, 1))
            if again != first:
                i = next(i for i, (a, b) in enumerate(zip(first, again, strict=True)) if a != b)
                _fail(
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
            _fail(f"seeds {case['seed']} and {other} gave the same {n} draws from wide ranges")


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


@register("sampler.rejects_bad_input", lambda ctx: cs.sampler_cases(), needs="sampler")
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
        _fail(f"{key}={value!r} was accepted; expected ValueError at construction")
