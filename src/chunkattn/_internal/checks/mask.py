"""The ``mask.*`` checks (SPEC sections 2 and 4): the target's mask against the contract.

Each check asserts *behaviour* from SPEC section 2 only, so a correct implementation never
fails, whatever its internals (its dataclass, its caching, its device handling).

Each check's expectation follows the target's variant (``ctx.target.within_chunk``, SPEC
section 11): ``"full"``, a query sees its whole chunk; ``"causal"`` (Llama 4's chunked
attention), a query sees its own chunk only up to and including itself (``k <= q`` added). A
failure message says which variant it expected.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import torch
from hypothesis import strategies as st

from chunkattn._internal.contract.reference import reference_mask
from chunkattn._internal.engine import strategies as cs
from chunkattn._internal.engine.cases import Cases, mask_geometry
from chunkattn._internal.engine.registry import Case, CheckContext, CheckFailure, fail, register
from chunkattn._internal.engine.schema import Drawn, Int, ListOf, OneOf, Optional, Record
from chunkattn._internal.engine.target import bulk_context

__all__ = ["target_mask"]


def _config(ctx: CheckContext, chunk: Any, context: Any):
    return ctx.target.ChunkConfig(chunk_size=chunk, context_chunks=context)


def target_mask(ctx: CheckContext, case: Case, **kwargs) -> torch.Tensor | None:
    """The target's mask for ``case``, checked to be a ``(1, 1, T, T)`` bool tensor."""
    seq_len, chunk = case["seq_len"], case["chunk_size"]
    mask = ctx.target.create_dynamic_chunk_mask(
        seq_len, _config(ctx, chunk, case["context_chunks"]), **kwargs
    )
    if chunk is None:
        return mask
    if not isinstance(mask, torch.Tensor):
        fail(f"expected a torch.Tensor for chunk_size={chunk}, got {type(mask).__name__}")
    if mask.dtype != torch.bool or tuple(mask.shape) != (1, 1, seq_len, seq_len):
        fail(f"expected bool (1, 1, {seq_len}, {seq_len}), got {mask.dtype} {tuple(mask.shape)}")
    return mask


def _chunks(seq_len: int, chunk: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Query and key chunk indices, broadcastable to ``(T, T)``."""
    idx = torch.arange(seq_len) // chunk
    return idx[:, None], idx[None, :]


def _positions(seq_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Query and key positions, broadcastable to ``(T, T)``."""
    idx = torch.arange(seq_len)
    return idx[:, None], idx[None, :]


def _causal(ctx: CheckContext) -> bool:
    """Is the target's variant ``within_chunk="causal"`` (``k <= q`` inside the chunk too)?"""
    return ctx.target.within_chunk == "causal"


def _variant(ctx: CheckContext) -> str:
    """The variant the expectation was for, as a failure message states it."""
    return f"within_chunk={ctx.target.within_chunk!r}"


def _first(where: torch.Tensor) -> str:
    q, k = (int(i) for i in where.nonzero()[0])
    return f"query {q}, key {k}"


def _cell(wrong: torch.Tensor, mask: torch.Tensor) -> str:
    """The first differing cell, and which way it is wrong."""
    q, k = (int(i) for i in wrong.nonzero()[0])
    got = "visible" if bool(mask[q, k]) else "hidden"
    return f"query {q}, key {k} ({got} in the mask, not in the reference)"


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
    mask_geometry(full_context=True, campaign=False).with_fields(
        # every device in a random order; a stored case from a CUDA machine may name "cuda"
        devices=Drawn(
            ListOf(OneOf(*_DEVICES, "cuda"), max_len=len(_DEVICES) + 1),
            st.permutations(_DEVICES).map(list),
        )
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
        fail(f"is_full_context() is {config.is_full_context()} for chunk_size={case['chunk_size']}")
    asked = []
    for name in case["devices"]:
        if name == "cuda" and not torch.cuda.is_available():
            continue
        try:
            mask = target_mask(ctx, case, **_device_argument(name))
        except CheckFailure:
            raise
        except Exception:
            if _device_type(name) == "meta":
                continue
            raise
        asked.append(name)
        if case["chunk_size"] is None:
            if mask is not None:
                fail(f"full context must return None, got {type(mask).__name__}")
        elif mask.device.type != _device_type(name):
            after = f" (after asking for {', '.join(asked[:-1])})" if len(asked) > 1 else ""
            fail(f"asked for device {name}, mask is on {mask.device}{after}")


@register("mask.causality", mask_geometry())
def mask_causality(ctx: CheckContext, case: Case) -> None:
    """No key in a later chunk is visible (causal variant: no key after the query)."""
    mask = target_mask(ctx, case)[0, 0]
    qc, kc = _chunks(case["seq_len"], case["chunk_size"])
    later_chunk = mask & (kc > qc)
    if later_chunk.any():
        fail(f"future chunk visible: {_first(later_chunk)} ({_variant(ctx)})")
    if _causal(ctx):
        q, k = _positions(case["seq_len"])
        later_key = mask & (k > q)
        if later_key.any():
            fail(
                f"future key of the own chunk visible: {_first(later_key)} ({_variant(ctx)}: "
                "k <= q inside the chunk; a mask showing its whole chunk is WITHIN_CHUNK = 'full')"
            )


@register("mask.own_chunk", mask_geometry())
def mask_own_chunk(ctx: CheckContext, case: Case) -> None:
    """Every key of the query's own chunk is visible (causal variant: up to the query)."""
    mask = target_mask(ctx, case)[0, 0]
    qc, kc = _chunks(case["seq_len"], case["chunk_size"])
    own = kc == qc
    if _causal(ctx):
        q, k = _positions(case["seq_len"])
        own = own & (k <= q)
    hidden = ~mask & own
    if hidden.any():
        hint = (
            "the query's own chunk up to and including itself"
            if _causal(ctx)
            else "the query's whole chunk; a mask causal inside its chunks declares WITHIN_CHUNK = 'causal'"
        )
        fail(f"own-chunk key hidden: {_first(hidden)} ({_variant(ctx)}: {hint})")


@register("mask.left_span", mask_geometry())
def mask_left_span(ctx: CheckContext, case: Case) -> None:
    """Exactly chunks max(0, qc-L) .. qc visible (causal variant: up to the query).

    Each row's count is that span's, ``min(T, (qc+1)C) - max(0, qc-L)C`` (causal variant:
    ``q + 1 - max(0, qc-L)C``), and its first and last visible keys are the span's ends.
    """
    seq_len, chunk, context = case["seq_len"], case["chunk_size"], case["context_chunks"]
    mask = target_mask(ctx, case)[0, 0]
    for q in range(seq_len):
        qc = q // chunk
        first = 0 if context is None else max(0, qc - context)
        last = q if _causal(ctx) else min(seq_len, (qc + 1) * chunk) - 1
        span = f"chunks {first}..{qc}" + (f" up to key {q}" if _causal(ctx) else "")
        want = last + 1 - first * chunk
        got = int(mask[q].sum())
        if got != want:
            fail(
                f"query {q} (chunk {qc}) sees {got} keys, expected {want} ({span}; {_variant(ctx)})"
            )
        visible = mask[q].nonzero().flatten()
        if int(visible[0]) != first * chunk or int(visible[-1]) != last:
            fail(
                f"query {q} (chunk {qc}) sees keys {int(visible[0])}..{int(visible[-1])}, "
                f"expected {first * chunk}..{last} ({span}; {_variant(ctx)})"
            )


_UNLIMITED_MAX_LEN = 48


@st.composite
def _unlimited_cases(draw) -> Case:
    kind = draw(st.sampled_from(["unlimited", "causal", "one_chunk"]))
    seq_len = draw(st.integers(1, _UNLIMITED_MAX_LEN))
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


@register(
    "mask.unlimited",
    Cases(
        _unlimited_cases(),
        Record(
            {
                "seq_len": Int(1, _UNLIMITED_MAX_LEN),
                "chunk_size": Int(1, _UNLIMITED_MAX_LEN + 8),
                "context_chunks": Optional(Int(0, cs.MAX_CONTEXT_CHUNKS)),
            }
        ),
    ),
)
def mask_unlimited(ctx: CheckContext, case: Case) -> None:
    """L=None is block lower-triangular; C=1 plain causal; C>=T all True (causal variant: tril).

    In the causal variant (``k <= q`` inside the chunk) all three are the plain causal mask.
    """
    seq_len, chunk, context = case["seq_len"], case["chunk_size"], case["context_chunks"]
    if chunk < seq_len and context is not None:
        return  # pinned (Target.fixed) out of the shapes this check knows: nothing to assert
    mask = target_mask(ctx, case)[0, 0]
    ones = torch.ones(seq_len, seq_len, dtype=torch.bool)
    if _causal(ctx):
        shape = "C >= T" if chunk >= seq_len else "C=1" if chunk == 1 else "L=None"
        want, what = ones.tril(), f"plain causal ({shape})"
    elif chunk >= seq_len:
        want, what = ones, "all True (C >= T)"
    elif chunk == 1:
        want, what = ones.tril(), "plain causal (C=1)"
    else:
        qc, kc = _chunks(seq_len, chunk)
        want, what = kc <= qc, "block lower-triangular (L=None)"
    wrong = mask != want
    if wrong.any():
        fail(f"expected {what}, {_variant(ctx)}; differs at {_first(wrong)}")


@register("mask.monotone", mask_geometry())
def mask_monotone(ctx: CheckContext, case: Case) -> None:
    """The mask for L is contained in the mask for L+1 (and in the unlimited mask)."""
    seq_len, chunk, context = case["seq_len"], case["chunk_size"], case["context_chunks"]
    smaller = target_mask(ctx, case)[0, 0]
    larger_l = None if context is None else context + 1
    others = {}
    for l_ in (larger_l, None):
        other = {**case, "context_chunks": l_}
        if ctx.target.pin(other) == other:  # only masks the target can build (Target.fixed)
            others[f"L={l_}"] = target_mask(ctx, other)[0, 0]
    for name, other in others.items():
        lost = smaller & ~other
        if lost.any():
            fail(f"visible with L={context} but not with {name}: {_first(lost)}")
    # T > (L+1)*C puts the last query in chunk qc >= L+1, so chunk qc-L-1 exists and lies wholly
    # before the query: all its keys are visible with L+1 and none with L, in either variant
    larger = others.get(f"L={larger_l}")
    if (
        context is not None
        and larger is not None
        and seq_len > chunk * (context + 1)
        and torch.equal(smaller, larger)
    ):
        fail(
            f"L={context} and L={context + 1} give the same mask though T > (L+1)*C "
            f"({_variant(ctx)})"
        )


@register("mask.matches_reference", mask_geometry(full_context=True), not_on_reference=True)
def mask_matches_reference(ctx: CheckContext, case: Case) -> None:
    """Equal to the naive reference (of the target's variant), element for element."""
    mask = target_mask(ctx, case)
    config = _config(ctx, case["chunk_size"], case["context_chunks"])
    want = reference_mask(case["seq_len"], config, within_chunk=ctx.target.within_chunk)
    if want is None:
        if mask is not None:
            fail("full context must return None")
        return
    wrong = mask[0, 0].cpu() != want[0, 0]
    if wrong.any():
        fail(f"differs from the reference ({_variant(ctx)}) at {_cell(wrong, mask[0, 0])}")


_BAD_CHUNKS, _BAD_CONTEXTS = (0, -1, -5), (-1, -3)


@register(
    "mask.rejects_bad_input",
    # a stored case may itself be the bad input: the values the check tries are allowed
    mask_geometry(campaign=False).allowing(
        chunk_size=Int(min(_BAD_CHUNKS), cs.MASK_MAX_LEN + cs.MASK_CHUNK_PAST_LEN),
        context_chunks=Optional(Int(min(_BAD_CONTEXTS), cs.MAX_CONTEXT_CHUNKS)),
    ),
)
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
        fail(
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
    mask_geometry(campaign=False).with_fields(mutation=OneOf(*sorted(_MUTATIONS))),
)
def mask_caller_owns(ctx: CheckContext, case: Case) -> None:
    """An in-place change to a returned mask never shows up in a later call."""
    geometry = {k: case[k] for k in ("seq_len", "chunk_size", "context_chunks")}
    first = target_mask(ctx, geometry)
    before = first.clone()
    _MUTATIONS[case["mutation"]](first)
    again = target_mask(ctx, geometry)
    if not torch.equal(again, before):
        fail(f"after {case['mutation']} on a returned mask, the next call returned a changed mask")


SMALL_SCOPE_MAX_LEN = 24


def _small_geometries(max_len: int):
    """Every ``(T, C, L)`` with ``T <= max_len``, ``C`` in ``1..T+1``, ``L`` in
    ``0..ceil(T/C)`` and ``None``."""
    for seq_len in range(1, max_len + 1):
        for chunk in range(1, seq_len + 2):
            for context in [*range(-(-seq_len // chunk) + 1), None]:
                yield seq_len, chunk, context


def _reference_cells(
    seq_len: int, chunk: int, context: int | None, within_chunk: str, max_len: int
) -> torch.Tensor:
    """The naive reference's ``(T, T)`` mask: the top-left corner of its ``max_len`` mask for
    the same ``C`` and ``L`` (whether ``q`` sees ``k`` depends on ``q``, ``k``, ``C`` and ``L``
    only), so the whole grid takes one reference mask per ``(C, L)``, not one per ``T``."""
    return _reference_square(chunk, context, within_chunk, max_len)[:seq_len, :seq_len]


@cache
def _reference_square(
    chunk: int, context: int | None, within_chunk: str, size: int
) -> torch.Tensor:
    """The naive reference's ``(size, size)`` mask, once per geometry, variant and process."""
    from chunkattn._internal.contract.core import ChunkConfig

    return reference_mask(size, ChunkConfig(chunk, context), within_chunk=within_chunk)[0, 0]


@register(
    "mask.small_scope",
    Cases(
        st.just({"max_len": SMALL_SCOPE_MAX_LEN}), Record({"max_len": Int(1, SMALL_SCOPE_MAX_LEN)})
    ),
    not_on_reference=True,
    example_share=0.0,
)
def mask_small_scope(ctx: CheckContext, case: Case) -> None:
    """Equals the reference at every T <= 24, C in 1..T+1, L in 0..ceil(T/C) and None.

    Exhaustive over small geometry, so a bug confined to one corner is found without luck; the
    reference is the target's variant's, and only the geometries the target builds
    (``Target.fixed``) are asked for.
    """
    with bulk_context(ctx, "mask.small_scope over every small geometry") as bulk:
        _small_scope(bulk, case["max_len"])


def _small_scope(ctx: CheckContext, max_len: int) -> None:
    within = ctx.target.within_chunk
    for seq_len, chunk, context in _small_geometries(max_len):
        geometry = {"seq_len": seq_len, "chunk_size": chunk, "context_chunks": context}
        if ctx.target.pin(geometry) != geometry:
            continue  # a geometry the target cannot build (Target.fixed)
        got = target_mask(ctx, geometry)[0, 0]
        wrong = got.cpu() != _reference_cells(seq_len, chunk, context, within, max_len)
        if wrong.any():
            fail(
                f"T={seq_len}, C={chunk}, L={context}: differs from the reference "
                f"({_variant(ctx)}) at {_cell(wrong, got.cpu())}"
            )
