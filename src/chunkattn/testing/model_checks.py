"""The ``model.*`` checks (SPEC sections 5 and 9).

The black-box ones run on any model target (:mod:`chunkattn.testing.model_target`): a
``forward(x, lengths)`` and the geometry it claims. Hypothesis draws the model's seed, the inputs,
the lengths (0 and 1 included), the batch composition and the perturbed positions. Each is also a
plain function of a :class:`ModelTarget`, so a user can call it from their own tests::

    from chunkattn.testing.model_checks import check_receptive_field
    check_receptive_field(my_model_target, in_chunk=2)

The geometry a check holds the model to is what the model declares (SPEC 9.1): chunked
attention (``C``, ``L`` per layer, ``within_chunk``) plus what its convolutions reach left
(``left_reach``) and its front end reads ahead (``lookahead_frames``); see
:meth:`ModelTarget.expected_dependence`. The white-box checks of chunkattn's own model are in
:mod:`chunkattn.testing.own_model_checks`.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import torch
from hypothesis import strategies as st

from .model_target import ModelTarget
from .registry import Case, CheckContext, fail, register

__all__ = [
    "check_batch_invariance",
    "check_chunk_causality",
    "check_finite",
    "check_lookahead",
    "check_output",
    "check_padding_invariance",
    "check_receptive_field",
    "dependency_matrix",
    "differs",
    "model_of",
    "noise_generator",
    "run_forward",
    "target_model_cases",
]

#: an output is "unchanged" within this: a masked key gets exactly zero weight, so independence
#: is exact; a large perturbation moves a real dependence far above it
UNCHANGED_ATOL = 1e-7
#: input chunks ``model.receptive_field`` may feed, so the left edge of a deep stack's receptive
#: field (``sum(L_i + ceil(left_reach/C))`` chunks back) is inside the input and tested
RECEPTIVE_FIELD_CAP = 64
#: "equal" outputs: this much absolute, plus this much relative to the output's scale
EQUAL_ATOL = 1e-5
EQUAL_RTOL = 1e-5


def noise_generator(seed: int) -> torch.Generator:
    """The explicit generator every random input of a model check is drawn from."""
    return torch.Generator().manual_seed(seed)


def check_output(model: ModelTarget, x: torch.Tensor, y: Any, what: str = "forward") -> int:
    """Fail unless ``y`` is a tensor ``(B, patches, ...)`` for input ``x``; the patch count."""
    if not isinstance(y, torch.Tensor):
        fail(f"{what} returned {type(y).__name__}, not a tensor")
    patches = -(-x.shape[1] // model.samples_per_patch)
    if y.dim() < 2 or tuple(y.shape[:2]) != (x.shape[0], patches):
        fail(
            f"{what} on {x.shape[0]} rows of {x.shape[1]} frames returned shape "
            f"{tuple(y.shape)}; expected ({x.shape[0]}, {patches}, ...) with "
            f"samples_per_patch={model.samples_per_patch}"
        )
    return patches


def run_forward(model: ModelTarget, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """``model.forward`` with its output checked to be ``(B, patches, ...)``, as float."""
    with torch.no_grad():
        y = model.forward(x, lengths)
    check_output(model, x, y)
    return y.detach().float().cpu()


def differs(a: torch.Tensor, b: torch.Tensor) -> float:
    """How far ``a`` is from ``b`` beyond float rounding at their scale (0.0 = equal)."""
    if not b.numel():
        return 0.0
    gap = (a - b).abs().max()
    if not torch.isfinite(gap):
        return math.inf  # NaN compares as nothing: a NaN on either side is a difference
    return max(0.0, float(gap) - (EQUAL_ATOL + EQUAL_RTOL * float(b.abs().max())))


def _chunk_changes(model: ModelTarget, y: torch.Tensor, y2: torch.Tensor) -> list[float]:
    """Largest absolute change per output chunk (first row)."""
    diff = (y - y2).abs()[0].reshape(y.shape[1], -1).amax(-1)
    c = model.chunk_size
    return [float(diff[i : i + c].max()) for i in range(0, diff.shape[0], c)]


def _input(model: ModelTarget, chunks: int, seed: int) -> torch.Tensor:
    """One row of ``chunks`` whole chunks of frames, plus the lookahead the last one reads."""
    frames = chunks * model.frames_per_chunk + model.ahead_frames
    return torch.randn(1, frames, model.features, generator=noise_generator(seed))


def _perturbed(x: torch.Tensor, frames: slice, seed: int, scale: float) -> torch.Tensor:
    x2 = x.clone()
    x2[:, frames] += scale * torch.randn(x2[:, frames].shape, generator=noise_generator(seed))
    return x2


def _changes_after(
    model: ModelTarget, x: torch.Tensor, y: torch.Tensor, frames: slice, seed: int
) -> list[float]:
    """Per output chunk, the larger change under two perturbations of ``frames`` (a moderate
    and a strong one, so a real dependence is never lost in a saturated nonlinearity)."""
    lengths = torch.tensor([x.shape[1]])
    first = _chunk_changes(model, y, run_forward(model, _perturbed(x, frames, seed, 5.0), lengths))
    second = _chunk_changes(
        model, y, run_forward(model, _perturbed(x, frames, seed + 1, 50.0), lengths)
    )
    return [max(a, b) for a, b in zip(first, second, strict=True)]


def _token_change(
    model: ModelTarget, x: torch.Tensor, y: torch.Tensor, token: int, frames: slice, seed: int
) -> float:
    """How much output token ``token`` changes under the two perturbations of ``frames``."""
    lengths = torch.tensor([x.shape[1]])
    return max(
        float(
            (run_forward(model, _perturbed(x, frames, seed + s, scale), lengths) - y)[0, token]
            .abs()
            .max()
        )
        for s, scale in ((0, 5.0), (1, 50.0))
    )


def _geometry(model: ModelTarget) -> str:
    parts = [f"C={model.chunk_size}", f"L={_layers(model)}"]
    if model.left_reach:
        parts.append(f"left_reach={model.left_reach}")
    if model.lookahead_frames:
        parts.append(f"lookahead_frames={model.lookahead_frames}")
    if model.lookbehind_frames:
        parts.append(f"lookbehind_frames={model.lookbehind_frames}")
    if model.right_reach:
        parts.append(f"right_reach={model.right_reach}")
    return ", ".join(parts)


def _layers(model: ModelTarget) -> str:
    if isinstance(model.context_chunks, tuple):
        return str(list(model.context_chunks))
    return f"{model.context_chunks} x depth {model.depth}"


def _promise(model: ModelTarget) -> str:
    left = model.left_span
    low = "no left bound" if left is None else f"c - {left} <= j"
    return f"{low}, j <= c + {model.right_span}"


# --------------------------------------------------------------------------- black-box checks


def check_chunk_causality(model: ModelTarget, chunks: int = 4, cut: int = 1, seed: int = 0) -> None:
    """Changing input from chunk ``cut`` on (past the declared lookahead: frames from
    ``cut*C*S + lookahead_frames``) never changes the outputs of earlier chunks."""
    cut = 1 + cut % max(1, chunks - 1)
    x = _input(model, max(chunks, 2), seed)
    y = run_forward(model, x, torch.tensor([x.shape[1]]))
    start = cut * model.frames_per_chunk + model.ahead_frames
    changes = _changes_after(model, x, y, slice(start, None), seed + 7)
    for c in range(cut):
        if changes[c] > UNCHANGED_ATOL:
            past = f" + {model.ahead_frames} lookahead frames" if model.ahead_frames else ""
            fail(
                f"output chunk {c} changed by {changes[c]:.3g} when only input frames >= {start} "
                f"(chunk {cut}{past}) changed: a later chunk leaks into an earlier one"
            )


def dependency_matrix(
    model: ModelTarget, chunks: int | None = None, seed: int = 0
) -> list[list[float]]:
    """``m[c][j]``: how much output chunk ``c`` changes when input chunk ``j`` is perturbed."""
    chunks = chunks or model.window_chunks()
    x = _input(model, chunks, seed)
    y = run_forward(model, x, torch.tensor([x.shape[1]]))
    fpc = model.frames_per_chunk
    columns = [
        _changes_after(model, x, y, slice(j * fpc, (j + 1) * fpc), seed + 7 + j)
        for j in range(chunks)
    ]
    return [[columns[j][c] for j in range(chunks)] for c in range(chunks)]


def check_receptive_field(model: ModelTarget, in_chunk: int = 0, seed: int = 0) -> None:
    """Output chunk ``c`` depends on input chunk ``j`` iff ``c - sum(L_i + ceil(left_reach/C))
    <= j <= c + ceil(lookahead_frames/(C*S))`` (tight: no more and no less)."""
    chunks = model.window_chunks(cap=RECEPTIVE_FIELD_CAP)
    j = in_chunk % chunks
    x = _input(model, chunks, seed)
    y = run_forward(model, x, torch.tensor([x.shape[1]]))
    fpc = model.frames_per_chunk
    changes = _changes_after(model, x, y, slice(j * fpc, (j + 1) * fpc), seed + 7)
    for c, change in enumerate(changes[:chunks]):
        depends = change > UNCHANGED_ATOL
        if not model.allows(c, j, depends):
            what = "depends" if depends else "does not depend"
            fail(
                f"output chunk {c} {what} on input chunk {j} (change {change:.3g}); the declared "
                f"geometry ({_geometry(model)}) says dependence iff {_promise(model)}"
            )


def check_lookahead(model: ModelTarget, chunk: int = 0, token: int = 0, seed: int = 0) -> None:
    """Inside a chunk, exactly the lookahead the model declares.

    ``within_chunk="full"``: the first token of a chunk depends on the last token of the same
    chunk (the ``C - 1`` tokens of lookahead its chunk size promises). ``"causal"``: a token
    depends on no frame past its own patch and the declared ``lookahead_frames``.
    """
    c, spp = model.chunk_size, model.samples_per_patch
    chunk = chunk % 3
    x = _input(model, 3, seed)
    y = run_forward(model, x, torch.tensor([x.shape[1]]))
    if model.within_chunk == "causal":
        t = chunk * c + token % c
        start = (t + 1) * spp + model.ahead_frames
        change = _token_change(model, x, y, t, slice(start, None), seed + 7)
        if change > UNCHANGED_ATOL:
            fail(
                f"token {t} changed by {change:.3g} when only frames >= {start} changed: the model "
                f"declares chunks causal inside (within_chunk='causal'), so a token may read no "
                f"frame past its own patch + {model.lookahead_frames} lookahead frames"
            )
        return
    if c == 1:
        return  # the first token is the last: no lookahead is promised
    first, last = chunk * c, (chunk + 1) * c - 1
    # the frames the last token reads and the first does not (a front end's lookahead already
    # lets the first token read past its own patch)
    ahead = model.lookahead_frames
    frames = slice(last * spp + ahead, (last + 1) * spp + ahead)
    change = _token_change(model, x, y, first, frames, seed + 7)
    if not change > UNCHANGED_ATOL:
        fail(
            f"token {first} (first of chunk {chunk}) does not depend on token {last} (last of "
            f"its chunk): the model is causal inside its chunks, so its lookahead is not the "
            f"{c - 1} tokens its chunk_size={c} promises"
        )


def check_padding_invariance(
    model: ModelTarget, lengths: list[int], pad: int = 0, seed: int = 0
) -> None:
    """A row's valid outputs are the same alone and in a padded batch (garbage in the padding)."""
    g = noise_generator(seed)
    frames = max(max(lengths) + pad, 1)
    x = torch.randn(len(lengths), frames, model.features, generator=g)
    for row, length in enumerate(lengths):
        x[row, length:] = 1e3 * torch.randn(x[row, length:].shape, generator=g)  # garbage
    batch = run_forward(model, x, torch.tensor(lengths))
    for row, length in enumerate(lengths):
        if length == 0:
            continue
        alone = run_forward(model, x[row : row + 1, :length].clone(), torch.tensor([length]))[0]
        valid = -(-length // model.samples_per_patch)
        excess = differs(batch[row, :valid], alone[:valid])
        if excess:
            diff = float((batch[row, :valid] - alone[:valid]).abs().max())
            fail(
                f"row {row} (length {length} of {frames} frames) differs by {diff:.3g} alone vs "
                "in the padded batch: padding leaks into valid outputs"
            )


def check_batch_invariance(model: ModelTarget, rows: int, chunks: int = 2, seed: int = 0) -> None:
    """A row's outputs do not depend on the other rows of the batch or their order."""
    g = noise_generator(seed)
    frames = chunks * model.frames_per_chunk
    x = torch.randn(rows, frames, model.features, generator=g)
    lengths = torch.full((rows,), frames)
    y = run_forward(model, x, lengths)
    order = torch.randperm(rows, generator=g)
    shuffled = run_forward(model, x[order], lengths)
    single = run_forward(model, x[:1], lengths[:1])
    for what, got, want in (("reordered", shuffled, y[order]), ("alone", single, y[:1])):
        if differs(got, want):
            diff = float((got - want).abs().max())
            fail(f"outputs change by {diff:.3g} when the batch of {rows} rows is {what}")


def check_finite(model: ModelTarget, lengths: list[int], seed: int = 0) -> None:
    """No NaN or inf anywhere in the output, padded and fully masked rows included."""
    g = noise_generator(seed)
    x = torch.randn(len(lengths), max(max(lengths), 1), model.features, generator=g)
    y = run_forward(model, x, torch.tensor(lengths))
    if not torch.isfinite(y).all():
        bad = (~torch.isfinite(y)).nonzero()[0].tolist()
        fail(f"non-finite output at (row, patch, ...) {bad} for lengths {lengths}")


@lru_cache(maxsize=16)
def _built(factory: Any, seed: int) -> ModelTarget:
    return factory(seed)


def model_of(ctx: CheckContext, case: Case) -> ModelTarget:
    """The target's model for the case's seed (built once per seed)."""
    return _built(ctx.target.model, case["seed"])


def _model_seeds() -> st.SearchStrategy[int]:
    return st.one_of(st.just(0), st.integers(0, 2**16))


def target_model_cases(**fields: st.SearchStrategy) -> st.SearchStrategy[Case]:
    """A model seed (0, or any), an input-noise seed, and ``fields``."""
    return st.fixed_dictionaries({"seed": _model_seeds(), "noise": st.integers(0, 2**16), **fields})


def _lengths(max_frames: int = 40) -> st.SearchStrategy[list[int]]:
    return st.lists(
        st.one_of(st.just(0), st.just(1), st.integers(0, max_frames)), min_size=1, max_size=4
    )


@register(
    "model.chunk_causality",
    lambda ctx: target_model_cases(chunks=st.integers(2, 6), cut=st.integers(0, 5)),
    needs="model",
    example_share=0.3,
)
def model_chunk_causality(ctx: CheckContext, case: Case) -> None:
    """Changing input in later chunks (past the declared lookahead) never changes earlier
    outputs, any depth."""
    check_chunk_causality(model_of(ctx, case), case["chunks"], case["cut"], case["noise"])


@register(
    "model.receptive_field",
    lambda ctx: target_model_cases(in_chunk=st.integers(0, 11)),
    needs="model",
    example_share=0.3,
)
def model_receptive_field(ctx: CheckContext, case: Case) -> None:
    """Output chunk c depends on input chunk j iff c - sum(L_i + ceil(left_reach/C)) <= j <=
    c + ceil(lookahead_frames/(C*S)) (tight)."""
    check_receptive_field(model_of(ctx, case), case["in_chunk"], case["noise"])


@register(
    "model.lookahead",
    lambda ctx: target_model_cases(chunk=st.integers(0, 2), token=st.integers(0, 63)),
    needs="model",
    example_share=0.2,
)
def model_lookahead(ctx: CheckContext, case: Case) -> None:
    """Inside a chunk, the declared lookahead: the first token sees the chunk's last (or, for
    within_chunk='causal', no token reads past its own patch and lookahead_frames)."""
    check_lookahead(model_of(ctx, case), case["chunk"], case["token"], case["noise"])


@register(
    "model.padding_invariance",
    lambda ctx: target_model_cases(lengths=_lengths(), pad=st.integers(0, 8)),
    needs="model",
    example_share=0.3,
)
def model_padding_invariance(ctx: CheckContext, case: Case) -> None:
    """A row's valid outputs are the same alone and in a padded batch (garbage padding)."""
    check_padding_invariance(model_of(ctx, case), case["lengths"], case["pad"], case["noise"])


@register(
    "model.batch_invariance",
    lambda ctx: target_model_cases(rows=st.integers(2, 4), chunks=st.integers(1, 3)),
    needs="model",
    example_share=0.2,
)
def model_batch_invariance(ctx: CheckContext, case: Case) -> None:
    """A row's outputs do not depend on the rest of the batch or its order."""
    check_batch_invariance(model_of(ctx, case), case["rows"], case["chunks"], case["noise"])


@register(
    "model.finite",
    lambda ctx: target_model_cases(lengths=_lengths()),
    needs="model",
    example_share=0.3,
)
def model_finite(ctx: CheckContext, case: Case) -> None:
    """No NaN/inf for any input, rows of length 0 and padded positions included."""
    check_finite(model_of(ctx, case), [*case["lengths"], 0], case["noise"])
