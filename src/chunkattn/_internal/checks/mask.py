"""The ``mask.*`` checks (docs/contract.md: The mask; the named checks): the target's mask against the contract.

Each check asserts *behaviour* from docs/contract.md: The mask only, so a correct implementation never
fails, whatever its internals (its dataclass, its caching, its device handling).

Each check's expectation follows the target's variant (``ctx.target.within_chunk``,
docs/contract.md: Two variants): ``"full"``, a query sees its whole chunk; ``"causal"`` (Llama 4's chunked
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
    """The mask is a bool (1, 1, T, T) tensor on the requested device; None exactly for full context.

    ## What it asserts
    For `ChunkConfig(chunk_size=C, context_chunks=L)` and `seq_len=T`, `create_dynamic_chunk_mask`
    returns `None` when `C is None` (full context) and otherwise a `torch.Tensor` of dtype
    `torch.bool` and shape `(1, 1, T, T)`. `config.is_full_context()` is true exactly when `C is
    None`. The same geometry is asked for on several devices, in an order Hypothesis draws: no
    `device` argument (the default device), `"cpu"`, `torch.device("cpu")`, `"meta"`,
    `torch.device("meta")`, and `"cuda"` where CUDA is available. Every returned mask must be on the
    device asked for. PyTorch's `meta` device stands in for an accelerator on a CPU-only machine, so a
    mask built on the CPU and never moved is caught there. A target that cannot build a mask on
    `meta` at all (data-dependent code such as `.item()`) is not wrong for it: that one request is
    passed over and the CPU requests still run. Geometry: `T` from 1 to 48, `C` from 1 to `T + 4`
    (and exactly 1 and `T`), `L` in `None`, 0 or up to 12, and full context half the time.

    ## Why it matters
    The mask is combined with padding masks and handed to an attention kernel. A float 0/1 mask
    passed where a bool one is expected is *added* to the scores by most kernels (SDPA, eager
    `attn_mask`), so "hidden" keys get weight +0 instead of minus infinity and the chunking masks
    nothing. A `(T, T)` mask broadcasts differently against `(B, H, T, T)` scores than a `(1, 1, T, T)`
    one. A mask on the wrong device either raises in the middle of training on the GPU or, if it is
    served from a cache keyed without the device, is silently copied on every step.

    ## Example failure
    ```
    FAIL  mask.shape_dtype  1 examples  counterexample: {'seq_len': 1, 'chunk_size': 1,
      'context_chunks': 0, 'devices': ['cpu', 'meta', 'default', 'torch.device',
      'torch.device(meta)']}  regression seed failed: asked for device meta, mask is on cpu
      (after asking for cpu)
    ```
    The target first built the mask on the CPU, then was asked for `meta` and returned a CPU mask
    again: its cache is keyed by `(T, C, L)` but not by the device.

    ## Catches
    - `tests/impls/bug_cache_ignores_device.py` — masks cached by `(T, C, L)` but not by device.
    - `tests/impls/bug_device_ignored.py` — the `device` argument is ignored; always on the CPU.
    - `tests/impls/bug_device_object_ignored.py` — a device string is honoured, a `torch.device`
      object silently is not.
    - `tests/impls/bug_float_mask.py` — a float 0/1 mask where a bool one is expected.
    - `tests/impls/bug_square_mask.py` — returns `(T, T)` instead of `(1, 1, T, T)`.

    ## How to fix
    Build the mask with `torch.bool` on the device asked for, add the two broadcast dimensions, and
    key any cache by the device as well as the geometry (and return a copy, see
    [`mask.caller_owns`](mask.caller_owns.md)):

    ```python
    def create_dynamic_chunk_mask(seq_len, config, device=None):
        if config.chunk_size is None:
            return None
        idx = torch.arange(seq_len, device=device) // config.chunk_size
        q, k = idx[:, None], idx[None, :]
        mask = k <= q
        if config.context_chunks is not None:
            mask &= k >= q - config.context_chunks
        return mask[None, None]  # bool, (1, 1, T, T), on `device`
    ```
    Normalise the device with `torch.device(device)` before using it as a cache key, so `"cpu"` and
    `torch.device("cpu")` are the same entry.
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
    """No query sees a key in a later chunk (causal variant: no key after the query itself).

    ## What it asserts
    With `qc = q // C` and `kc = k // C`, `mask[0, 0, q, k]` is False whenever `kc > qc`: the mask
    never shows a query any key of a chunk after its own. For a target of the variant
    `within_chunk="causal"` (Llama 4's chunked attention, see
    [the variants](../contract.md#two-variants-full-and-causal-inside-the-chunk)) it also asserts
    `mask[0, 0, q, k]` is False whenever `k > q`: no future key even inside the query's own chunk.
    Inputs: `T` from 1 to 48, `C` from 1 to past `T` (and exactly 1 and `T`), `L` in `None`, 0 or up
    to 12; a campaign (`chunkattn fuzz`) also draws sequences up to 640 tokens, chunks up to 64
    (the common sizes 1, 2, 4, 8, 10, 16, 20, 25, 32, 40, 64 often) and `L` up to 128.

    ## Why it matters
    A model trained with a key from the next chunk visible learns to use frames that a stream has
    not received yet. Offline evaluation looks fine; deployed as a stream, the same model either
    waits a chunk longer than its config promises or runs without the frames it relies on, and its
    accuracy drops. For the causal variant, a query that sees the rest of its chunk is exactly the
    full variant: a decoder trained that way leaks the next token into its own prediction.

    ## Example failure
    ```
    FAIL  mask.causality  1 examples  counterexample: {'seq_len': 5, 'chunk_size': 2,
      'context_chunks': None}  regression seed failed: future chunk visible: query 0, key 2
      (within_chunk='full')
    ```
    With chunks of 2 tokens, query 0 (chunk 0) sees key 2, the first key of chunk 1.

    ## Catches
    - `tests/impls/bug_future_chunk.py` — upper bound `qc + 1`: the next chunk leaks in.
    - `tests/impls/bug_causal_whole_chunk.py` — causal variant: the full variant's block mask reused
      for Llama 4's chunked attention, so a query sees the future tokens of its own chunk.

    ## How to fix
    The upper bound is the query's own chunk, inclusive: `kc <= qc`. An exclusive end written as
    inclusive (`k < (qc + 1) * C + C`, or `kc <= qc + 1`) is the usual cause. For the causal variant
    add the token-level cut:

    ```python
    chunk = torch.arange(seq_len) // C
    mask = chunk[None, :] <= chunk[:, None]  # no later chunk
    pos = torch.arange(seq_len)
    mask &= pos[None, :] <= pos[:, None]  # within_chunk="causal" only
    ```
    If your mask really shows the whole chunk, the target is of the full variant: declare
    `WITHIN_CHUNK = "full"` (the default) rather than `"causal"`.
    """
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
    """Every key of the query's own chunk is visible (causal variant: every key up to the query).

    ## What it asserts
    With `qc = q // C` and `kc = k // C`, `mask[0, 0, q, k]` is True for every `k` with `kc == qc`,
    future keys of the chunk included: inside its chunk a query sees everything, which is the
    lookahead of up to `C - 1` tokens the chunk size promises. For a target of the variant
    `within_chunk="causal"` (see
    [the variants](../contract.md#two-variants-full-and-causal-inside-the-chunk)) it asserts the keys
    of the own chunk up to and including the query (`kc == qc and k <= q`). Inputs as for
    [`mask.causality`](mask.causality.md): `T` from 1, `C` from 1 to past `T`, `L` from 0 and `None`.

    ## Why it matters
    The chunk is what a streaming model waits for before it computes: its outputs are due once its
    last frame is in, so every token of the chunk may, and should, use every frame of it. A mask that
    hides part of the own chunk trains the model with less context than it will have when streaming;
    a mask that hides the query from itself (`k < q`) leaves the first token of the sequence with no
    visible key at all, which is a NaN row after the softmax.

    ## Example failure
    ```
    FAIL  mask.own_chunk  1 examples  counterexample: {'seq_len': 6, 'chunk_size': 3,
      'context_chunks': 0}  regression seed failed: own-chunk key hidden: query 2, key 0
      (within_chunk='causal': the query's own chunk up to and including itself)
    ```
    Query 2 is the last token of chunk 0 and does not see key 0 of its own chunk: its chunk index
    was computed as if it belonged to the next chunk.

    ## Catches
    - `tests/impls/bug_token_causal.py` — token-level causality inside the chunk, `k <= q`, hides the
      chunk's own future (full variant).
    - `tests/impls/bug_causal_one_based_positions.py` — causal variant: chunk indices from 1-based
      position ids, `(pos + 1) // C`, so every chunk boundary moves one token left.
    - `tests/impls/bug_causal_strict_diagonal.py` — causal variant: `k < q` (`tril(diagonal=-1)`),
      a query never sees itself and the first query sees nothing.

    ## How to fix
    Compute the chunk index from 0-based positions, `pos // C`, and compare chunk indices, not
    positions, for the full variant. A token-level `k <= q` kept from a causal decoder belongs only
    in the causal variant, and there it must include the diagonal:

    ```python
    pos = torch.arange(seq_len)  # 0-based, not position_ids + 1
    chunk = pos // C
    own = chunk[None, :] == chunk[:, None]  # full variant: the whole chunk
    own_causal = own & (pos[None, :] <= pos[:, None])  # causal variant: diagonal included
    ```
    A mask that is causal inside its chunks on purpose declares `WITHIN_CHUNK = "causal"`.
    """
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
    """Each query sees exactly chunks max(0, qc - L) .. qc (causal variant: up to the query itself).

    ## What it asserts
    For every query `q` with `qc = q // C`, the visible keys are one contiguous span: the first is
    `max(0, qc - L) * C` (key 0 when `L is None`), the last is the last key of the own chunk,
    `min(T, (qc + 1) * C) - 1` (causal variant: `q` itself), and the row holds exactly
    `min(T, (qc + 1) * C) - max(0, qc - L) * C` True cells (causal variant:
    `q + 1 - max(0, qc - L) * C`). So a query sees its own chunk and the `L` whole chunks before it,
    nothing else; `L = 0` is block-diagonal, not unlimited. The check walks every row of the mask.
    Inputs as for [`mask.causality`](mask.causality.md), including the partial last chunk when `C`
    does not divide `T`; a campaign adds sequences up to 640 tokens and `L` up to 128.

    ## Why it matters
    `L` is the left context the config promises, in whole chunks: the training config's
    `context_sec` is turned into `L` by the exact formula so that the model sees at least that many
    seconds. One chunk too few trains the model with less history than the stream will keep (and a
    stream that trims its cache to `L` chunks then differs from the forward); one chunk too many
    makes the stream's memory and the receptive field larger than declared, and a model trained
    with it loses accuracy when a correct stream cuts the extra chunk. A token-level window
    (`q - k <= L * C`) loses a different number of keys at every position of the chunk, which no
    streaming cache reproduces.

    ## Example failure
    ```
    FAIL  mask.left_span  1 examples  counterexample: {'seq_len': 7, 'chunk_size': 3,
      'context_chunks': 0}  regression seed failed: query 3 (chunk 1) sees 6 keys, expected 3
      (chunks 1..1; within_chunk='full')
    ```
    With `L = 0` query 3 should see only chunk 1 (keys 3..5) and sees chunk 0 as well: the lower
    bound is one chunk too far left.

    ## Catches
    - `tests/impls/bug_left_too_narrow.py` — lower bound `qc - L + 1`: one left chunk too few.
    - `tests/impls/bug_left_too_wide.py` — lower bound `qc - L - 1`: one left chunk too many.
    - `tests/impls/bug_token_window.py` — a token-level sliding window `q - k <= L*C` instead of
      whole left chunks.
    - `tests/impls/bug_zero_is_unlimited.py` — `if not config.context_chunks` treats `L = 0` as
      unlimited.
    - `tests/impls/bug_causal_offset_cut.py` — causal variant: the causal cut computed on offsets
      inside the chunk, `k % C <= q % C`, applied to every visible chunk.
    - `tests/impls/bug_causal_ragged_tail.py` — causal variant: chunk ids tiled for `T // C` whole
      chunks, so the partial last chunk is merged into the one before it.
    - `tests/impls/bug_causal_sliding_window.py` — causal variant: a causal window of the last
      `(L+1)*C` tokens instead of whole chunks.
    - `tests/impls/bug_causal_token_window.py` — causal variant: the left context as a token window
      from the query, not from its chunk's start.

    ## How to fix
    Bound the span by chunk indices, both ends inclusive, and test `L` against `None`, never for
    truthiness:

    ```python
    chunk = torch.arange(seq_len) // C  # covers the partial last chunk too
    q, k = chunk[:, None], chunk[None, :]
    mask = k <= q
    if L is not None:  # not `if L:` -- 0 is block-diagonal
        mask &= k >= q - L
    ```
    For the causal variant, add `pos[None, :] <= pos[:, None]` on positions after the chunk
    bounds, never a window measured in tokens.
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
    """L=None is block lower-triangular, C=1 plain causal, C>=T all True (causal variant: all tril).

    ## What it asserts
    Three special geometries have a known closed form, and the mask must equal it cell for cell:
    - `L = None` (unlimited left context): block lower-triangular, `kc <= qc`;
    - `C = 1`, `L = None`: the plain causal mask, `k <= q`;
    - `C >= T` (a chunk as long as the sequence, any `L`): all True.

    For the causal variant (`within_chunk="causal"`, see
    [the variants](../contract.md#two-variants-full-and-causal-inside-the-chunk)) all three are the
    plain causal mask (`torch.ones(T, T).tril()`). Inputs: `T` from 1 to 48 with, in turn, any `C`
    up to `T + 4` and `L = None`; `C = 1` and `L = None`; `C` from `T` to `T + 8` and any `L`.

    ## Why it matters
    These are the configs people use as baselines and at eval time: `context_sec: null` for an
    unlimited left context, a chunk size of 1 for token-level streaming, a chunk longer than the
    utterance for "offline" decoding. A fast path written for them is the usual place for a bug: the
    full variant's "a chunk as long as the sequence means no mask" copied into the causal variant lets
    every prompt shorter than `attention_chunk_size` attend to its own future.

    ## Example failure
    ```
    FAIL  mask.unlimited  1 examples  counterexample: {'seq_len': 5, 'chunk_size': 8,
      'context_chunks': 0}  regression seed failed: expected plain causal (C >= T),
      within_chunk='causal'; differs at query 0, key 1
    ```
    A causal-variant target with a chunk longer than the sequence returned an all-True mask: query 0
    sees key 1.

    ## Catches
    - `tests/impls/bug_causal_one_chunk_fast_path.py` — causal variant: the full variant's fast path
      "all True for `C >= T`" kept, where the causal variant is plain causal.

    ## How to fix
    Let the general formula handle these geometries, or make each fast path return what the general
    formula would for the target's variant:

    ```python
    if C >= seq_len:
        full = torch.ones(seq_len, seq_len, dtype=torch.bool, device=device)
        return (full.tril() if within_chunk == "causal" else full)[None, None]
    ```
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
    """The mask for L is contained in the mask for L+1 and in the unlimited mask; L+1 adds keys.

    ## What it asserts
    For the same `T` and `C`, every cell visible with `context_chunks = L` is also visible with
    `L + 1` and with `L = None`. And when `T > (L + 1) * C` (so the last query's chunk is at least
    `L + 1` and chunk `qc - L - 1` exists wholly before it), the masks for `L` and `L + 1` must
    differ: one more left chunk has to show more keys. Both variants. Only masks the target can
    build are compared (a library adapter with a fixed geometry, a sliding window with `C = 1`, say,
    is asked only for its own shapes). Inputs as for [`mask.causality`](mask.causality.md).

    ## Why it matters
    A config's `context_sec` is drawn from a range during training: more seconds must never mean
    less context. A mask that loses keys as `L` grows, or ignores `L` altogether, trains a model
    whose left context is not the one the sampler drew, and an ablation over `context_sec` measures
    nothing. Monotonicity is also the cheapest test that `L` reaches the mask at all.

    ## Example failure
    ```
    FAIL  mask.monotone  1 examples  counterexample: {'seq_len': 8, 'chunk_size': 2,
      'context_chunks': 0}  regression seed failed: visible with L=0 but not with L=None:
      query 0, key 0
    ```
    This is chunk-mask 0.0.1 (`chunkattn verify --impl chunkattn.adapters.chunk_mask_lib`): its own
    default `num_left_chunks=-1`, WeNet's "unlimited", returns an all-False mask, so the unlimited
    mask holds less than the `L = 0` one.

    ## Catches
    No catalogue module names it: the seeded mask bugs are each caught first by a more specific
    check. It exists for masks that ignore `L`, or read "unlimited" as "nothing"; in the field it
    flags chunk-mask's `num_left_chunks=-1` (see [the field report](../field.md)).

    ## How to fix
    Make `L = None` mean "no lower bound" explicitly, and check that `L` reaches the mask:

    ```python
    if L is None:  # unlimited: every earlier chunk
        mask = kc <= qc
    else:  # L >= 0 earlier chunks
        mask = (kc <= qc) & (kc >= qc - L)
    ```
    A library convention such as WeNet's `num_left_chunks=-1` must be translated to `None` before it
    reaches this formula (`chunkattn.adapters.conventions.from_wenet` does it).
    """
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
    """The mask equals the naive reference of the target's variant, element for element.

    ## What it asserts
    For every drawn geometry the target's mask equals chunkattn's naive reference cell for cell: the
    reference evaluates the contract's formula `kc <= qc and (L is None or kc >= qc - L)` (plus
    `k <= q` for the causal variant) in explicit Python loops over every (query, key) pair, sharing
    no code with the optimized mask. Full context must return `None`, as the reference
    does. Inputs as for [`mask.causality`](mask.causality.md), with full context half the time; a
    campaign adds long sequences and deep left context. It does not run on the naive reference
    itself. The failure names the first differing cell and which way it is wrong.

    ## Why it matters
    The specific mask checks each test one property; this one tests all of them at once, so it also
    catches a wrong cell that no single property describes (a chunk boundary off by one only in the
    last chunk, a window off by one only past some length). When it fails beside a specific check,
    read the specific one first: it says which property broke.

    ## Example failure
    ```
    FAIL  mask.matches_reference  1 examples  counterexample: {'seq_len': 13, 'chunk_size': 1,
      'context_chunks': 1}  regression seed failed: differs from the reference
      (within_chunk='full') at query 2, key 0 (visible in the mask, not in the reference)
    ```
    A sliding window with `C = 1`, `L = 1` lets query 2 see key 0, two tokens back: the window is
    one token too wide (`tests/adapters/hf_window_too_wide.py`).

    ## Catches
    Every seeded mask bug of `tests/impls/` that changes a cell fails it too, after the check it
    names. The adapter catalogue names it directly:
    - `tests/adapters/hf_window_too_wide.py` — transformers' sliding-window mask with the window one
      token too wide (`W = L + 2`).
    - `tests/adapters/flash_user_off_by_one.py` — a flash-attention-style window function that
      counts the current token in `left`: one token too narrow.
    - `tests/adapters/flex_reused.py` — a FlexAttention block mask reused at a longer length: keys
      past the first batch's length stay hidden under `torch.compile`.

    ## How to fix
    Print the two masks for the counterexample and compare them with the block picture:
    `chunkattn mask --seq-len T --chunk-size C --context-chunks L` draws the contract's mask. The
    usual causes are a library convention translated with the wrong offset (a window that counts
    the current token against one that does not: `sliding_window = L + 1` in Hugging Face's
    convention, `window_size = L` in flash-attention's) and a cached or precompiled mask reused for
    another length. Build block masks per batch, and convert conventions with
    `chunkattn.adapters.conventions` (`from_hf_sliding_window`, `from_flash_window`, `from_wenet`,
    `from_nemo`).
    """
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
    """A chunk size below 1 or a negative left context raises ValueError instead of building a mask.

    ## What it asserts `create_dynamic_chunk_mask(T, ChunkConfig(C, L))` raises `ValueError` for `C < 1`
    and for `L < 0`. Each example takes a valid geometry and tries every bad value on it: `C` in 0, -1,
    -5 (with the example's `L`) and `L` in -1, -3 (with the example's `C`, or 1). A stored regression
    seed whose geometry is itself bad is tried as it is. Returning anything (`None`, a mask) fails the
    check, and so does raising another exception type (`ZeroDivisionError`, `RuntimeError`): the failure
    then shows that exception's first line. The contract says nothing about `seq_len < 1` or
    non-integral sizes, so they are never tried.

    ## Why it matters
    A bad chunk size comes from a config typo or a convention mix-up (`sliding_window: 0` meant as
    "no window", flash-attention's `window_size=-1` read in another library's convention). Clamped or
    accepted silently, it trains a model with a geometry nobody asked for: a window of 0 hides every
    key from every query, `max(1, C)` turns a 0 into token-level chunks. An error at the call names
    the bad value before a GPU-day is spent on it.

    ## Example failure
    ```
    FAIL  mask.rejects_bad_input  1 examples  counterexample: {'seq_len': 4, 'chunk_size': 0,
      'context_chunks': None}  regression seed failed: chunk_size=0, context_chunks=None returned
      a (1, 1, 4, 4) mask instead of raising ValueError
    ```
    The target repaired `C = 0` (here by `max(1, C)`) and built a mask.

    ## Catches
    - `tests/impls/bug_clamps_mask_input.py` — `max(1, C)` and `max(0, L)` silently repair bad input.

    In the field (see [the field report](../field.md)): transformers' sliding-window and chunked masks,
    attn-gym's sliding window and chunk-mask accept or crash on such values.

    ## How to fix
    Validate before computing, and raise `ValueError` naming the value:

    ```python
    if config.chunk_size is not None and config.chunk_size < 1:
        raise ValueError(f"chunk_size must be None or an integer >= 1, got {config.chunk_size!r}")
    if config.context_chunks is not None and config.context_chunks < 0:
        raise ValueError(f"context_chunks must be None or >= 0, got {config.context_chunks!r}")
    ```
    Translate library sentinels (WeNet's `num_left_chunks=-1`) to `None` before this point, not
    inside it.
    """
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
    """Changing a returned mask in place never changes what a later call returns.

    ## What it asserts
    The check builds a mask, keeps a copy, changes the returned tensor in place with one of four
    mutations (`fill_(False)`, `fill_(True)`, `logical_not_()`, `&= zeros`, the last being what
    `mask &= padding` does), then asks for the same geometry again: the new mask must equal the
    kept copy. Geometry as for [`mask.causality`](mask.causality.md). A cache is allowed; handing
    out the cached tensor itself is not.

    ## Why it matters
    Callers combine the chunk mask with a padding mask, and `mask &= key_padding` is the natural way
    to write it. If the function returns its cached tensor, the first batch's padding is written
    into the cache, and every later call of that geometry gets a mask that hides the keys the first
    batch had padded. The corruption depends on batch order, so training and evaluation differ run
    to run.

    ## Example failure
    ```
    FAIL  mask.caller_owns  1 examples  counterexample: {'seq_len': 8, 'chunk_size': 2,
      'context_chunks': 1, 'mutation': 'and_padding'}  regression seed failed: after and_padding
      on a returned mask, the next call returned a changed mask
    ```
    The target returned its cached mask; the caller's `&=` changed the cache.

    ## Catches
    - `tests/impls/bug_shared_cache.py` — masks cached and returned as-is: `mask &= padding`
      corrupts later calls.

    ## How to fix
    Return a copy of the cached tensor (or cache on something immutable and build from it):

    ```python
    @functools.cache
    def _cached(seq_len, chunk, context, device):
        return _build(seq_len, chunk, context, device)


    def create_dynamic_chunk_mask(seq_len, config, device=None):
        if config.chunk_size is None:
            return None
        dev = torch.device(device or "cpu")
        return _cached(seq_len, config.chunk_size, config.context_chunks, dev).clone()
    ```
    """
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
    """The mask equals the reference at every T <= 24, every C in 1..T+1, every L in 0..ceil(T/C), None.

    ## What it asserts
    Exhaustively, not by sampling: for every sequence length `T` from 1 to 24, every chunk size `C`
    from 1 to `T + 1` and every left context `L` from 0 to `ceil(T / C)` plus `L = None`, the
    target's mask equals the naive reference of its variant cell for cell.
    One example runs the whole grid, under one time limit for all of its calls, in every profile but
    `seeds`; it does not run on the naive reference itself, and a target with a fixed geometry is
    asked only for the geometries it can build. The failure names the first geometry and cell that
    differ.

    ## Why it matters
    A bug confined to one corner is rarely hit by random examples: a hand-written fast path for the
    one eval geometry a team uses (`C = 5`, `L = 1`, say) that forgets the partial last chunk is right
    everywhere else, so a few dozen random draws over thousands of geometries usually miss it, and
    it ships. Every small geometry is cheap to try, so this check finds such a bug without luck.

    ## Example failure
    ```
    FAIL  mask.small_scope  2 examples  counterexample: {'max_len': 24}  T=6, C=5, L=1: differs
      from the reference (within_chunk='full') at query 5, key 0 (hidden in the mask, not in the
      reference)
    ```
    At `T = 6`, `C = 5`, `L = 1` query 5 (the partial second chunk) should see chunk 0 and does not.

    ## Catches
    - `tests/impls/bug_corner_fast_path.py` — a fast path for `C = 5`, `L = 1` that forgets the
      partial last chunk: its queries see only their own chunk.

    ## How to fix
    Remove the special case, or make it compute the general formula; the geometry and cell in the
    message reproduce it (`chunkattn mask --seq-len 6 --chunk-size 5 --context-chunks 1` draws the
    contract's mask). Fast paths keyed on a geometry must cover the partial last chunk
    (`T % C != 0`) and every `L`.
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
