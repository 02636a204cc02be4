"""The ``model.*`` checks (docs/contract.md: chunkattn's own model; Model targets).

The black-box ones run on any model target (:mod:`chunkattn._internal.engine.model_target`): a
``forward(x, lengths)`` and the geometry it claims. Hypothesis draws the model's seed, the inputs,
the lengths (0 and 1 included), the batch composition and the perturbed positions. Each is also a
plain function of a :class:`ModelTarget`, so a user can call it from their own tests::

    from chunkattn._internal.checks.model import check_receptive_field
    check_receptive_field(my_model_target, in_chunk=2)

The geometry a check holds the model to is what the model declares (docs/contract.md: What a model declares it reaches): chunked
attention (``C``, ``L`` per layer, ``within_chunk``) plus what its convolutions reach left
(``left_reach``) and its front end reads ahead (``lookahead_frames``); see
:meth:`ModelTarget.expected_dependence`. The white-box checks of chunkattn's own model are in
:mod:`chunkattn._internal.checks.own_model`.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import torch

from chunkattn._internal.engine import precision as _precision
from chunkattn._internal.engine.cases import LENGTHS, model_inputs
from chunkattn._internal.engine.model_target import ModelTarget, accepts_device
from chunkattn._internal.engine.placement import place
from chunkattn._internal.engine.precision import Precision, Tolerance
from chunkattn._internal.engine.registry import Case, CheckContext, CheckFailure, fail, register
from chunkattn._internal.engine.schema import Int
from chunkattn._internal.engine.target import Capability

__all__ = [
    "check_batch_invariance",
    "check_chunk_causality",
    "check_exact_integer_corner",
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
]

#: an output is "unchanged" within this: a masked key gets exactly zero weight, so independence
#: is exact; a large perturbation moves a real dependence far above it
UNCHANGED_ATOL = 1e-7
#: input chunks ``model.receptive_field`` may feed, so the left edge of a deep stack's receptive
#: field (``sum(L_i + ceil(left_reach/C))`` chunks back) is inside the input and tested
RECEPTIVE_FIELD_CAP = 64
#: "equal" outputs in float32: this much absolute, plus this much relative to the output's
#: scale; a reduced precision scales both with its dtype's eps (``Precision.tolerance``)
EQUAL_ATOL = _precision.EQUAL_ATOL
EQUAL_RTOL = _precision.EQUAL_RTOL


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


def differs(a: torch.Tensor, b: torch.Tensor, tolerance: Tolerance | None = None) -> float:
    """How far ``a`` is from ``b`` beyond rounding at their scale (0.0 = equal): float32's
    unless ``tolerance`` (a precision's, ``Precision.tolerance``) says otherwise."""
    if not b.numel():
        return 0.0
    tolerance = tolerance or Precision.TRUE_32.tolerance
    gap = (a - b).abs().max()
    if not torch.isfinite(gap):
        return math.inf  # NaN compares as nothing: a NaN on either side is a difference
    return max(0.0, float(gap) - tolerance.bound(float(b.abs().max())))


def tolerance_note(model: ModelTarget) -> str:
    """What "equal" meant, for a failure message under a reduced precision ('' in float32)."""
    if not model.precision.reduced:
        return ""
    return f" (beyond the {model.precision} tolerance {model.precision.tolerance.text})"


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


#: the exact-integer corner's verdict per (target, precision, device) in this run: None when it
#: held, else the failure (it is deterministic: a failing corner fails every case alike)
_CORNERS: dict[tuple[str, Precision, str | None], str | None] = {}
#: whole chunks past the exact-integer range the corner's row reaches (its cuts)
CORNER_CHUNKS = 2


def check_exact_integer_corner(model: ModelTarget, seed: int = 0) -> str | None:
    """Under a reduced precision: on one row of tokens past the compute dtype's exact-integer
    range (more than 256 tokens for bfloat16, 2048 for float16), changing input from each chunk
    boundary past the range on never changes the outputs of earlier chunks.

    Positions and chunk indices computed in the compute dtype round past that range, so a mask
    that is exact on every short input leaks the next chunk there. A model whose forward raises on
    a row that long (a maximum sequence length) is not held to it: the error's line is returned
    (None: the corner was checked)."""
    exact = model.precision.exact_integers
    first = exact // model.chunk_size + 1
    chunks = first + CORNER_CHUNKS
    x = _input(model, chunks, seed)
    try:
        y = run_forward(model, x, torch.tensor([x.shape[1]]))
    except CheckFailure:
        raise
    except Exception as exc:
        # a model that cannot take this many tokens (a maximum sequence length) is not held
        # to the corner; an error it raises on every input is found by the case itself
        first = (str(exc).strip().splitlines() or [""])[0]
        return f"{exc.__class__.__name__}: {first}"
    lengths = torch.tensor([x.shape[1]])
    for cut in range(first, chunks):
        start = cut * model.frames_per_chunk + model.lookahead_frames
        perturbed = _perturbed(x, slice(start, None), seed + 7 + cut, 5.0)
        changes = _chunk_changes(model, y, run_forward(model, perturbed, lengths))
        for c in range(cut):
            if changes[c] > UNCHANGED_ATOL:
                fail(
                    f"under {model.precision}, on one row of {chunks * model.chunk_size} tokens "
                    f"(past {model.precision.short}'s exact integers, {exact}): output chunk {c} "
                    f"changed by {changes[c]:.3g} when only input frames >= {start} (chunk "
                    f"{cut}) changed: a later chunk leaks into an earlier one this far "
                    f"(positions or chunk indices computed in {model.precision.short} round here)"
                )
    return None


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
        excess = differs(batch[row, :valid], alone[:valid], model.precision.tolerance)
        if excess:
            diff = float((batch[row, :valid] - alone[:valid]).abs().max())
            fail(
                f"row {row} (length {length} of {frames} frames) differs by {diff:.3g} alone vs "
                f"in the padded batch{tolerance_note(model)}: padding leaks into valid outputs"
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
        if differs(got, want, model.precision.tolerance):
            diff = float((got - want).abs().max())
            fail(
                f"outputs change by {diff:.3g} when the batch of {rows} rows is {what}"
                f"{tolerance_note(model)}"
            )


def check_finite(model: ModelTarget, lengths: list[int], seed: int = 0) -> None:
    """No NaN or inf anywhere in the output, padded and fully masked rows included."""
    g = noise_generator(seed)
    x = torch.randn(len(lengths), max(max(lengths), 1), model.features, generator=g)
    y = run_forward(model, x, torch.tensor(lengths))
    if not torch.isfinite(y).all():
        bad = (~torch.isfinite(y)).nonzero()[0].tolist()
        fail(f"non-finite output at (row, patch, ...) {bad} for lengths {lengths}")


def build_placed(
    factory: Any, seed: int, precision: Precision = Precision.TRUE_32, device: str | None = None
) -> ModelTarget:
    """A new model of ``factory`` for ``seed``, in ``precision`` on ``device`` (a factory that
    takes ``device=`` builds it there)."""
    if device is not None and accepts_device(factory):
        model = factory(seed, device=device)
    else:
        model = factory(seed)
    return place(model, precision, device)


@lru_cache(maxsize=16)
def _built(factory: Any, seed: int, precision: Precision, device: str | None) -> ModelTarget:
    return build_placed(factory, seed, precision, device)


def model_of(ctx: CheckContext, case: Case) -> ModelTarget:
    """The target's model for the case's seed, in the context's precision on the target's
    device (built once per seed, precision and device)."""
    return _built(ctx.target.model, case["seed"], ctx.precision, ctx.target.device)


@register(
    "model.chunk_causality",
    model_inputs(chunks=Int(2, 6), cut=Int(0, 5)),
    needs=Capability.MODEL,
    example_share=0.3,
)
def model_chunk_causality(ctx: CheckContext, case: Case) -> None:
    """Changing input frames of later chunks (past the declared lookahead) never changes earlier outputs.

    ## What it asserts
    On the model target's `forward(x, lengths)` in eval mode: one row of `n` whole chunks (`n` from
    2 to 6, `C` tokens of `S` frames each) plus the `lookahead_frames` the last chunk reads. A cut
    chunk `cut` (1 to `n - 1`) is drawn; every frame from `cut * C * S + lookahead_frames` on is
    perturbed twice (noise 5x and 50x, so a real dependence is not lost in a saturated
    nonlinearity). Every output chunk before `cut` must stay unchanged within 1e-7: a masked key
    contributes exactly zero, so independence is exact whatever the depth. The declared lookahead
    is allowed (the frames a front end legitimately reads past a chunk), one frame more is a leak.
    Hypothesis draws the model seed (0, or any up to 65536) and the input noise.

    Under a reduced precision (`--precision bf16-mixed` and the rest) the check also runs, once a
    run, one row past the compute dtype's exact-integer range (more than 256 tokens for bfloat16,
    more than 2048 for float16), cut at each of the two chunks after it: positions or chunk indices
    computed in the compute dtype round only there (a model whose forward raises on a row
    that long, a maximum sequence length, is not held to it). Independence stays exact in every
    dtype.

    ## Why it matters
    An output that depends on a later chunk cannot be computed when its chunk is complete: a stream
    has to wait for the next chunk (the latency the config promises is wrong), or it runs without
    those frames and computes something the model was never trained to compute. Offline evaluation,
    which always has the whole utterance, hides it completely.

    ## Example failure
    ```
    FAIL  model.chunk_causality  103 examples  counterexample: {'seed': 0, 'noise': 0,
      'chunks': 2, 'cut': 0}  output chunk 0 changed by 0.73 when only input frames >= 4
      (chunk 1) changed: a later chunk leaks into an earlier one
    ```
    A "same"-padded convolution lets the last token of chunk 0 read the first frames of chunk 1.

    ## Catches
    - `tests/models/bug_conformer_same_padded_conv.py` — the depthwise convolution padded "same"
      instead of causally, as WeNet's `ConvolutionModule(causal=False)`
      ([wenet-e2e/wenet#1690](https://github.com/wenet-e2e/wenet/issues/1690)).
    - `tests/models/bug_conformer_undeclared_right_context.py` — a subsampling front end that reads
      frames past each token's patch (WeNet's `Conv2dSubsampling4`), declared as
      `lookahead_frames = 0` ([wenet-e2e/wenet#17](https://github.com/wenet-e2e/wenet/issues/17),
      [wenet-e2e/wenet#1040](https://github.com/wenet-e2e/wenet/issues/1040)).
    - `tests/models/bug_next_chunk_leak.py` — each chunk also sees the next: the upper bound is
      `(qc + 2) * C`.
    - `tests/models/amp_bug_chunk_index_in_compute_dtype.py` (`bf16-mixed`) — token positions
      created in the activations' dtype, `torch.arange(T, dtype=h.dtype) // C`: past 256 tokens
      bfloat16 rounds them and a token sees the next chunk
      ([pytorch/pytorch#114544](https://github.com/pytorch/pytorch/issues/114544), [huggingface/transformers#28685](https://github.com/huggingface/transformers/issues/28685),
      [NVIDIA/Megatron-LM#535](https://github.com/NVIDIA/Megatron-LM/issues/535)).

    ## How to fix
    Find the module that reads ahead. In attention it is the mask's upper bound (`kc <= qc`); in a
    convolution, symmetric padding; in a front end, its right context. Make the convolution causal
    (pad `K - 1` on the left only), or, if reading ahead is intended, declare it:

    ```python
    conv = nn.Conv1d(d, d, K, groups=d, padding=0)
    y = conv(F.pad(x, (K - 1, 0)))  # causal: reads K - 1 frames back, none ahead

    ModelTarget(..., lookahead_frames=6)  # a front end that reads 6 frames past each patch
    ```
    """
    check_chunk_causality(model_of(ctx, case), case["chunks"], case["cut"], case["noise"])
    if ctx.precision.reduced:
        key = (ctx.target.name, ctx.precision, ctx.target.device)
        if key not in _CORNERS:
            try:
                check_exact_integer_corner(model_of(ctx, {"seed": 0}))
                _CORNERS[key] = None
            except CheckFailure as exc:
                _CORNERS[key] = str(exc)
        if _CORNERS[key] is not None:  # the same verdict for every case, without its cost
            fail(_CORNERS[key])


@register(
    "model.receptive_field",
    model_inputs(in_chunk=Int(0, 11)),
    needs=Capability.MODEL,
    example_share=0.3,
)
def model_receptive_field(ctx: CheckContext, case: Case) -> None:
    """Output chunk c depends on input chunk j exactly within the declared reach, no more and no less.

    ## What it asserts
    With `C` tokens a chunk, `S` frames a token and per-layer left contexts `L_i`, output chunk `c`
    depends on input chunk `j` if and only if

    ```
    c - sum_i (L_i + ceil(left_reach / C)) - ceil(lookbehind_frames / (C*S))
        <= j <= c + ceil(lookahead_frames / (C*S))
    ```

    with no left bound if any layer is global (`L_i = None`); see the
    [declarations](../contract.md#what-a-model-declares-it-reaches). The check feeds enough whole chunks
    to see the stack's whole receptive field and past it on both sides (the stack's reach plus 3 chunks,
    at most 64; a stack with a global layer gets all 64), perturbs one input chunk `j` (5x and 50x
    noise) and measures every output chunk: a change above 1e-7 is a dependence. Both directions are
    failures: a dependence the declaration does not allow, and a missing one it promises. One cell is
    left open: with both `lookbehind_frames` and `left_reach` declared, the left-edge chunk of the
    formula may go either way (the front end's look back and a convolution before the first attention
    merge, and the order is not declared).

    ## Why it matters
    The receptive field is what a stream must keep and what the report states in seconds. A
    window one chunk wider than claimed (counting the current chunk into `L`) passes streaming
    checks when mask and cache agree, but the model reads more history than its config says; a
    window that never reaches the attention (a sliding window dropped on the way to SDPA) attends
    the whole history, which only inputs longer than the stack's reach reveal. An overclaimed reach
    is as wrong: a stream sized from it keeps memory for nothing, and a global layer silently
    windowed forgets everything past the stack's finite reach.

    ## Example failure
    ```
    FAIL  model.receptive_field  147 examples  counterexample: {'seed': 0, 'noise': 0,
      'in_chunk': 0}  output chunk 13 depends on input chunk 0 (change 0.675); the declared
      geometry (C=1, L=3 x depth 4) says dependence iff c - 12 <= j, j <= c + 0
    ```
    Four layers of a 4-token window reach 12 tokens back, yet output 13 still depends on input 0:
    the window never reaches the attention.

    ## Catches
    - `tests/models/bug_context_too_wide.py` — the left context one chunk wider than claimed,
      `context_chunks + 1`.
    - `tests/models/bug_window_never_applied.py` — a sliding window that never reaches the
      attention, the Mistral-style bug of unsloth PR #8253.
    - `tests/models/bug_conformer_global_layer_windowed.py` — a global layer in a mixed stack gets the
      default window (`context_chunks[i] or default`)
      ([huggingface/transformers#35896](https://github.com/huggingface/transformers/issues/35896),
      [vllm-project/vllm-metal#282](https://github.com/vllm-project/vllm-metal/issues/282)).
    - `tests/models/bug_conformer_overclaimed_reach.py` — `left_reach = K - 1` read off the config's
      `cnn_module_kernel` while the convolution module is switched off.
    - `tests/models/bug_conformer_undeclared_lookbehind.py` — a causal subsampling front end (NeMo's
      `causal_downsampling`) that reads frames before each patch, declared `lookbehind_frames=0`.

    ## How to fix
    Compare the printed dependency matrix (`chunkattn verify --model M:F` shows it beside the
    promised one) with the formula. A dependence past the left edge is a wider window or an
    undeclared reach: fix the mask (`kc >= qc - L`, not `qc - L - 1`), or declare what the model
    really reads (`left_reach = K - 1` for a causal depthwise kernel `K`, `lookbehind_frames` for a
    front end that reads back). A missing dependence is an overclaim or a layer that should be
    global: declare `left_reach = 0` when the convolution is off, and test a per-layer `L` against
    `None`, not for truthiness:

    ```python
    windows = [1, None, 1]  # None: a global layer
    for layer, window in zip(layers, windows):
        layer.context_chunks = window  # not `window or default`: None must stay global
    ```
    """
    check_receptive_field(model_of(ctx, case), case["in_chunk"], case["noise"])


@register(
    "model.lookahead",
    model_inputs(chunk=Int(0, 2), token=Int(0, 63)),
    needs=Capability.MODEL,
    example_share=0.2,
)
def model_lookahead(ctx: CheckContext, case: Case) -> None:
    """Inside a chunk, the declared lookahead: the first token reads the last (causal: nothing past it).

    ## What it asserts
    On three whole chunks of input (plus the declared `lookahead_frames`):
    - variant `within_chunk="full"` (the default): the first token of a chunk depends on the frames
      that the chunk's last token reads and its first token does not, frames
      `last * S + lookahead_frames` up to `(last + 1) * S + lookahead_frames`, where `last` is the
      last token of the chunk. That is the lookahead of `C - 1` tokens that `chunk_size = C`
      promises. With `C = 1` there is nothing to check (the first token is the last);
    - variant `within_chunk="causal"`: a token `t` depends on no frame from
      `(t + 1) * S + lookahead_frames` on: nothing past its own patch and the declared lookahead.

    Perturbations as for [`model.chunk_causality`](model.chunk_causality.md) (5x and 50x noise,
    dependence above 1e-7). Hypothesis draws which chunk and which token.

    ## Why it matters
    A model whose config says `chunk_size = C` is trained and streamed as if every token could use
    its whole chunk. If the model is token-causal inside its chunks (a `k <= q` mask kept from a
    causal decoder, and-ed with the chunk mask), it waits a whole chunk for frames it never reads:
    the latency is spent and the accuracy that the in-chunk lookahead should buy is not there.
    Forward and stream agree with each other, so no other check notices. The reverse, for a model
    declared causal inside its chunks, is a leak of future tokens.

    ## Example failure
    ```
    FAIL  model.lookahead  103 examples  counterexample: {'seed': 0, 'noise': 0, 'chunk': 0,
      'token': 0}  token 0 (first of chunk 0) does not depend on token 1 (last of its chunk): the
      model is causal inside its chunks, so its lookahead is not the 1 tokens its chunk_size=2
      promises
    ```
    With `C = 2`, token 0 ignores token 1 of its own chunk: the attention is causal inside the chunk.

    ## Catches
    - `tests/models/bug_token_causal.py` — the chunk mask and-ed with a causal `k <= q` mask, so a
      token never sees the later tokens of its own chunk.
    - `tests/models/bug_conformer_causal_inside_with_lookahead.py` — attention causal inside the chunk
      behind a front end with right context (WeNet's `Conv2dSubsampling4`), where only the frames the
      last token reads and the first does not tell the two apart (the front end's right context is
      discussed in [wenet-e2e/wenet#1040](https://github.com/wenet-e2e/wenet/issues/1040)).

    ## How to fix
    Drop the token-level causal mask from a chunked model, so the chunk mask alone decides:

    ```python
    mask = chunk_mask(T, C, L)  # kc <= qc and kc >= qc - L
    # not: mask &= torch.ones(T, T, dtype=torch.bool).tril()
    ```
    If the model is causal inside its chunks on purpose (Llama 4's chunked attention,
    local-attention with `causal=True`), declare `within_chunk="causal"` on the model target.
    """
    check_lookahead(model_of(ctx, case), case["chunk"], case["token"], case["noise"])


@register(
    "model.padding_invariance",
    model_inputs(lengths=LENGTHS, pad=Int(0, 8)),
    needs=Capability.MODEL,
    example_share=0.3,
)
def model_padding_invariance(ctx: CheckContext, case: Case) -> None:
    """A row's valid outputs are the same alone as in a padded batch whose padding holds garbage.

    ## What it asserts
    A batch of 1 to 4 rows with lengths of 0, 1 or up to 40 frames, padded to the longest plus 0 to
    8 frames; every frame past a row's length is filled with garbage (noise of scale 1000). For each
    non-empty row, the batch's outputs at the row's valid patches (`ceil(length / S)`) must equal
    the outputs of the same row alone, cut to its length, within 1e-5 plus 1e-5 of the output's
    scale (a NaN on either side is always a difference). Rows of length 0 are in the batch but not
    compared. Under a reduced precision the tolerance scales with the compute dtype: 32 of its `eps`
    absolute and as much relative (0.25 for bfloat16, 0.031 for float16), stated in the failure.

    ## Why it matters
    Training and batched inference always pad. If padded frames reach a valid output (keys without
    a key-padding mask, a normalisation over time that includes padding, a convolution front end
    that reads past the length), the model learns on inputs that depend on which utterances share
    its batch, and at inference a stream (one row, never padded) computes something else. Zero
    padding is not enough to hide it: zeroed frames still carry biases and normalisation shifts.

    ## Example failure
    ```
    FAIL  model.padding_invariance  172 examples  counterexample: {'seed': 0, 'noise': 0,
      'lengths': [1], 'pad': 1}  row 0 (length 1 of 2 frames) differs by 2.19 alone vs in the
      padded batch: padding leaks into valid outputs
    ```
    A row of 1 frame padded by 1 frame differs from the row alone: the padded frame inside the
    row's last patch was not zeroed.

    ## Catches
    - `tests/models/bug_no_key_padding.py` — no key padding: a row's last chunk also attends the
      padded tokens after its end.
    - `tests/models/bug_patch_not_zeroed.py` — padding zeroed patch by patch, so the frames past the
      length inside a partly filled last patch keep their garbage.
    - `tests/models/bug_conformer_cmvn_after_mask.py` — padded frames zeroed before the global CMVN
      instead of after, so the padding becomes `-mean / std` and the front end's right context feeds
      it into the last valid tokens
      ([wenet-e2e/wenet#2806](https://github.com/wenet-e2e/wenet/issues/2806),
      [wenet-e2e/wenet#75](https://github.com/wenet-e2e/wenet/issues/75),
      [espnet/espnet#6571](https://github.com/espnet/espnet/issues/6571)).

    ## How to fix
    Mask at the frame level after every step that can move padding (normalisation, CMVN), and add a
    key-padding mask to the attention mask:

    ```python
    frame_ok = torch.arange(x.shape[1])[None, :] < lengths[:, None]  # (B, frames)
    x = cmvn(x) * frame_ok[..., None]  # zero after CMVN
    key_ok = torch.arange(T)[None, :] < (-(-lengths // S))[:, None]  # (B, tokens)
    attn_mask = chunk_mask[None, None] & key_ok[:, None, None, :]  # (B, 1, T, T)
    ```
    """
    check_padding_invariance(model_of(ctx, case), case["lengths"], case["pad"], case["noise"])


@register(
    "model.batch_invariance",
    model_inputs(rows=Int(2, 4), chunks=Int(1, 3)),
    needs=Capability.MODEL,
    example_share=0.2,
)
def model_batch_invariance(ctx: CheckContext, case: Case) -> None:
    """A row's outputs do not depend on the other rows of its batch or on their order.

    ## What it asserts
    A batch of 2 to 4 full-length rows (1 to 3 whole chunks each, no padding) is run as drawn, with
    its rows permuted, and its first row alone. The permuted batch's outputs must equal the original
    ones permuted the same way, and the row alone must equal its outputs in the batch, within 1e-5
    plus 1e-5 of the output's scale. Under a reduced precision the tolerance scales with the compute dtype: 32 of its `eps`
    absolute and as much relative (0.25 for bfloat16, 0.031 for float16), stated in the failure.

    ## Why it matters
    A model's output for an utterance must not depend on what else is in the batch. Batch
    statistics (a BatchNorm in training mode, or with `track_running_stats=False`, a norm reduced
    over the batch dimension) make every result depend on the batch size and its other rows: test
    scores that change with the test batch size, and a stream (one row) that computes something
    else than the batched training forward.

    ## Example failure
    ```
    FAIL  model.batch_invariance  103 examples  counterexample: {'seed': 0, 'noise': 0,
      'rows': 2, 'chunks': 1}  outputs change by 0.236 when the batch of 2 rows is alone
    ```
    The first row gives other outputs when run alone than beside a second row: something reduces
    over the batch.

    ## Catches
    - `tests/models/bug_batch_norm_dims.py` — the final RMS norm reduces over `dim=(0, -1)`, batch
      and features, instead of the features only.
    - `tests/models/bug_conformer_batchnorm_batch_stats.py` — the convolution module's BatchNorm
      normalises with the statistics of the batch in hand instead of its running statistics
      ([pytorch/audio#4205](https://github.com/pytorch/audio/issues/4205),
      [hulianyuyy/CorrNet#61](https://github.com/hulianyuyy/CorrNet/issues/61)).

    ## How to fix
    Reduce normalisations over the feature dimension only, and use running statistics at inference
    (or a per-sample norm such as LayerNorm):

    ```python
    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)  # not .mean((0, -1))
    bn = nn.BatchNorm1d(d)  # track_running_stats=True
    model.eval()  # before exporting or streaming
    ```
    """
    check_batch_invariance(model_of(ctx, case), case["rows"], case["chunks"], case["noise"])


@register(
    "model.finite",
    model_inputs(lengths=LENGTHS),
    needs=Capability.MODEL,
    example_share=0.3,
)
def model_finite(ctx: CheckContext, case: Case) -> None:
    """No NaN or inf in the output for any input, rows of length 0 and padded positions included.

    ## What it asserts
    A batch of 1 to 4 rows with lengths of 0, 1 or up to 40 frames, plus one more row of length 0,
    padded to the longest (standard-normal inputs everywhere), run through `forward`: every output
    value, at valid and padded positions alike, must be finite. Under a reduced precision an
    error the forward raises (a fill constant the compute dtype cannot hold) is the failure, with
    the error's first line.

    ## Why it matters
    With chunked attention and key padding, a query can have no visible key: a padded token past
    its row's window, or every token of a row of length 0. A masked softmax over a row of all
    `-inf` is NaN, and a NaN at a padded position does not stay there: the next layer's attention,
    a normalisation over time or the loss (if the padding is multiplied by zero instead of being
    selected out) spreads it. A batch with one empty row then ruins a training step.

    ## Example failure
    ```
    FAIL  model.finite  103 examples  counterexample: {'seed': 0, 'noise': 0, 'lengths': [0]}
      non-finite output at (row, patch, ...) [0, 0, 0] for lengths [0, 0]
    ```
    A row of length 0 gives NaN: its queries see no key and the softmax divides zero by zero.

    ## Catches
    - `tests/models/bug_nan_empty_rows.py` — the masked softmax has no guard for a query without any
      visible key: `-inf` everywhere gives NaN.
    - `tests/models/amp_bug_fill_minus_1e9.py` (`16-mixed`) — hidden scores filled with `-1e9`,
      which float16 cannot hold: the forward raises "value cannot be converted to type at::Half
      without overflow" ([facebookresearch/fairseq#3575](https://github.com/facebookresearch/fairseq/issues/3575), [NVIDIA/apex#1052](https://github.com/NVIDIA/apex/issues/1052),
      [NVIDIA/apex#1105](https://github.com/NVIDIA/apex/issues/1105), [bentrevett/pytorch-seq2seq#191](https://github.com/bentrevett/pytorch-seq2seq/issues/191)).
    - `tests/models/amp_bug_fill_float32_min.py` (`bf16-mixed`) — hidden scores filled with
      `torch.finfo(torch.float32).min`, below bfloat16's range ([espnet/espnet#4584](https://github.com/espnet/espnet/pull/4584),
      [dotnet/TorchSharp#1135](https://github.com/dotnet/TorchSharp/issues/1135), [huggingface/lerobot#710](https://github.com/huggingface/lerobot/issues/710)).

    ## How to fix
    Guard the rows that see no key before the softmax, not after it (the guard after it keeps the
    forward finite and the backward NaN, see [`model.grad_finite`](model.grad_finite.md)):

    ```python
    scores = scores.masked_fill(~mask, float("-inf"))
    empty = ~mask.any(-1, keepdim=True)  # queries with no visible key
    scores = scores.masked_fill(empty, 0.0)  # finite row, then zero its weights
    weights = scores.softmax(-1).masked_fill(empty, 0.0)
    ```
    `torch.nn.functional.scaled_dot_product_attention` with a bool mask that has empty rows also
    returns NaN on some backends; guard the same way.
    """
    check_finite(model_of(ctx, case), [*case["lengths"], 0], case["noise"])
