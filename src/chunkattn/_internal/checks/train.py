"""Training health on any model that exposes its ``module`` (docs/contract.md: The training side).

"Tests pass but training fails": a model can pass every forward and streaming check and still not
train. An additive ``-inf`` mask whose forward zeroes the rows that see no key is finite forward
and NaN backward; a parameter never used, a branch detached by mistake, a front end run under
``no_grad`` each silently stop part of the model from learning. Three checks, each a real
backward pass or a real optimizer run through the model's ``train_forward``:

- ``model.grad_finite``: a generic loss backpropagated through a batch with rows of length 0 and
  1 and padded rows gives every parameter a finite gradient;
- ``model.grad_flow``: every parameter with ``requires_grad`` gets a nonzero gradient (those
  frozen on purpose, ``requires_grad=False``, are not findings); the failure names the others;
- ``model.overfits``: a few hundred Adam steps on one small batch cut the loss at least tenfold.

The generic loss is the mean squared error of the valid outputs (patches ``< ceil(length /
samples_per_patch)``) against a fixed random target (standard normal, from a seeded generator),
so the model's outputs must be free to take any value: logits or features, not log-probabilities
(give such a model a ``train_forward`` that returns the logits).

Each is also a plain function of a :class:`~chunkattn._internal.engine.model_target.ModelTarget`, and each
leaves the module as it found it (training flags, parameters, buffers, gradients).
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch

from chunkattn._internal.checks.model import check_output
from chunkattn._internal.engine.cases import LENGTHS, fields, model_inputs
from chunkattn._internal.engine.limits import limited
from chunkattn._internal.engine.model_target import ModelTarget, accepts_device
from chunkattn._internal.engine.placement import place
from chunkattn._internal.engine.registry import Case, CheckContext, fail, register
from chunkattn._internal.engine.schema import Int, ListOf, OneOf
from chunkattn._internal.engine.target import Capability

__all__ = [
    "OVERFIT_FACTOR",
    "OVERFIT_STEPS",
    "GradientReport",
    "OverfitRun",
    "overfit_run",
    "check_grad_finite",
    "check_grad_flow",
    "check_overfits",
    "gradient_report",
    "grad_flow_problems",
    "nonfinite_gradients",
    "overfit",
    "overfit_verdict",
    "generic_loss",
    "restored",
    "train_call",
    "training_batch",
]

#: the loss must fall at least this many times over one batch
OVERFIT_FACTOR = 10.0
#: optimizer steps ``model.overfits`` allows (it stops as soon as the loss has fallen enough)
OVERFIT_STEPS = 300
#: Adam's learning rate for the overfitting run
OVERFIT_LR = 3e-3
#: losses averaged (median) at the start and at the end of the run: with dropout in the
#: training forward single losses are noisy, and one lucky or unlucky step decides nothing
START_WINDOW, END_WINDOW = 5, 10


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def train_call(model: ModelTarget) -> Callable[..., Any]:
    """The forward as training runs it: ``train_forward``, else ``module.train()`` then
    ``module(x, lengths)``."""
    if model.train_forward is not None:
        return model.train_forward
    if model.module is None:
        raise ValueError("the model target has no module: nothing to train")

    def default(x: torch.Tensor, lengths: torch.Tensor) -> Any:
        model.module.train()
        return model.module(x, lengths)

    return default


@contextmanager
def restored(module: torch.nn.Module) -> Iterator[None]:
    """Run the block, then put back every submodule's mode, the parameters and buffers, and
    the gradients, so a check leaves the model as it found it."""
    modes = [(m, m.training) for m in module.modules()]
    state = {k: v.detach().clone() for k, v in module.state_dict(keep_vars=True).items()}
    grads = [(p, None if p.grad is None else p.grad.clone()) for p in module.parameters()]
    try:
        yield
    finally:
        with torch.no_grad():
            module.load_state_dict(state)
        for p, grad in grads:
            p.grad = grad
        for m, training in modes:
            m.training = training


@contextmanager
def own_randomness(seed: int) -> Iterator[None]:
    """Run the block with torch's global generator seeded by ``seed`` and put it back after: a
    module that draws dropout from the global generator (``nn.Dropout`` does) gets the same
    draws every run, and the caller's random state is not touched."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def training_batch(
    model: ModelTarget, lengths: list[int], frames: int, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x, lengths)``: random frames, garbage past each row's length (as padding holds)."""
    g = _generator(seed)
    frames = max(frames, max(lengths), 1)
    x = torch.randn(len(lengths), frames, model.features, generator=g)
    for row, length in enumerate(lengths):
        x[row, length:] = 10.0 * torch.randn(x[row, length:].shape, generator=g)
    return x, torch.tensor(lengths, dtype=torch.int64)


def _valid(model: ModelTarget, y: Any, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The ``(B, patches)`` positions that hold a row's valid outputs (checks the shape)."""
    patches = check_output(model, x, y, "the training forward")
    valid = -(-lengths // model.samples_per_patch)
    return torch.arange(patches, device=y.device)[None, :] < valid.to(y.device)[:, None]


def generic_loss(y: torch.Tensor, valid: torch.Tensor, seed: int) -> torch.Tensor:
    """Mean squared error of the valid outputs against a fixed standard-normal target (seeded).

    The valid outputs are selected, not multiplied by a mask, so what the model puts in padded
    positions never enters the loss or its gradient."""
    target = torch.randn(y.shape, generator=_generator(seed)).to(y.device)
    picked = y[valid].float() - target[valid]
    return picked.pow(2).sum() / max(picked.numel(), 1)


@dataclass(frozen=True)
class GradientReport:
    """One backward pass: the loss, and each parameter's gradient norm (None: no gradient;
    NaN: a gradient with a non-finite entry). ``frozen`` lists the ``requires_grad=False``."""

    loss: float
    norms: dict[str, float | None]
    frozen: tuple[str, ...]


#: Adam steps a parameter whose first gradient is exactly zero gets before it is named: a
#: zero-initialised gate (LoRA's B, ReZero, adaLN-zero, hyper-connections) zeroes the first
#: gradient of everything behind it, and one step opens it
SETTLE_STEPS = 3


def _norms(module: torch.nn.Module) -> tuple[dict[str, float | None], list[str]]:
    norms: dict[str, float | None] = {}
    frozen = []
    for name, p in module.named_parameters():
        if not p.requires_grad:
            frozen.append(name)
        elif p.grad is None:
            norms[name] = None
        elif not torch.isfinite(p.grad).all():
            norms[name] = math.nan
        else:
            norms[name] = float(p.grad.double().norm())
    return norms, frozen


def gradient_report(
    model: ModelTarget,
    lengths: list[int],
    frames: int = 0,
    seed: int = 0,
    settle_steps: int = SETTLE_STEPS,
) -> GradientReport:
    """Backpropagate the generic loss through ``train_forward`` once, for a batch of rows of
    ``lengths`` frames padded to ``frames``; the module is left as it was.

    A parameter whose gradient is exactly zero or None is given up to ``settle_steps`` Adam
    steps on the same batch and reported with the first nonzero gradient it gets, so a
    zero-initialised gate, or a parameter a random training forward uses on some batches only,
    is not mistaken for one that never learns. The module's own randomness (dropout from the
    global generator) is seeded and the caller's global generator left as it was."""
    module = model.module
    x, lens = training_batch(model, lengths, frames, seed)
    forward = train_call(model)

    def backward() -> float:
        module.zero_grad(set_to_none=True)
        y = forward(x, lens)
        loss = generic_loss(y, _valid(model, y, x, lens), seed + 1)
        if loss.requires_grad:
            loss.backward()
        return float(loss.detach())

    with restored(module), own_randomness(seed):
        loss = backward()
        norms, frozen = _norms(module)
        # zero, or none at all: a parameter used only on some batches (a learned mask
        # embedding under SpecAugment, an expert not routed to) gets its chance on the next
        zero = [n for n, g in norms.items() if g is None or g == 0.0]
        finite = all(g is None or math.isfinite(g) for g in norms.values())
        if zero and finite and settle_steps:
            params = [p for p in module.parameters() if p.requires_grad]
            optimizer = adam(params)
            for _ in range(settle_steps):
                optimizer.step()
                backward()
                later, _ = _norms(module)
                for name in zero:
                    if later[name]:
                        norms[name] = later[name]
                zero = [n for n in zero if not norms[n]]
                if not zero:
                    break
        return GradientReport(loss, norms, tuple(frozen))


def _names(names: list[str], limit: int | None = 12) -> str:
    if limit is None or len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f" and {len(names) - limit} more"


def grad_flow_problems(norms: dict[str, float | None], limit: int | None = 12) -> list[str]:
    """Parameters that do not learn, one line per kind naming them (the first ``limit``; None:
    all): no gradient (unused, detached, computed under ``no_grad``) or an exactly zero one.
    Empty: every one learns."""
    kinds = {
        "no gradient": [n for n, g in norms.items() if g is None],
        "zero gradient": [n for n, g in norms.items() if g == 0.0],
    }
    return [f"{kind}: {_names(names, limit)}" for kind, names in kinds.items() if names]


def nonfinite_gradients(norms: dict[str, float | None]) -> list[str]:
    """Parameters whose gradient holds a NaN or an inf."""
    return [n for n, g in norms.items() if g is not None and not math.isfinite(g)]


def check_grad_finite(model: ModelTarget, lengths: list[int], pad: int = 0, seed: int = 0) -> None:
    """The generic loss and every parameter's gradient are finite, for a batch with rows of
    ``lengths`` (rows of length 0 and 1 are added) padded by ``pad`` frames."""
    lengths = [*lengths, 0, 1]
    report = gradient_report(model, lengths, max(lengths) + pad, seed, settle_steps=0)
    bad = nonfinite_gradients(report.norms)
    if bad or not math.isfinite(report.loss):
        fail(
            f"one backward pass for lengths {lengths} gives a loss of {report.loss:.4g} and "
            f"non-finite gradients in {len(bad)} of {len(report.norms)} parameters: "
            f"{_names(bad) or 'none'} (the first optimizer step would destroy the model)"
        )


def check_grad_flow(model: ModelTarget, lengths: list[int], chunks: int = 2, seed: int = 0) -> None:
    """Every parameter with ``requires_grad`` gets a nonzero gradient from one backward pass
    (a full row of ``chunks`` chunks is added to ``lengths``, so every layer sees real tokens)."""
    full = chunks * model.frames_per_chunk
    lengths = [*lengths, full]
    report = gradient_report(model, lengths, full, seed)
    if not report.norms:
        fail(
            f"all {len(report.frozen)} parameters have requires_grad=False: nothing learns "
            "(frozen by mistake?)"
        )
    problems = grad_flow_problems(report.norms)
    if problems:
        fail(
            f"one backward pass for lengths {lengths} (and {SETTLE_STEPS} Adam steps for a zero "
            "or missing gradient): "
            + "; ".join(problems)
            + " (these do not learn: unused, detached, "
            "computed under no_grad, or multiplied by zero)"
        )


@dataclass(frozen=True)
class OverfitRun:
    """One overfitting run: the loss before each step, and the steps a ``16-mixed`` run's
    GradScaler skipped because the scaled gradients held an inf or a NaN (0-based)."""

    losses: list[float]
    skipped: tuple[int, ...] = ()

    @property
    def mostly_skipped(self) -> bool:
        """More than half the steps were skipped: the optimizer hardly ever stepped."""
        return 2 * len(self.skipped) > len(self.losses)


#: the devices whose fused Adam kernel torch has on every platform it ships for
FUSED_ADAM_DEVICES = ("cpu", "cuda")


def adam(params: list[torch.nn.Parameter], *, scaled: bool = False) -> torch.optim.Adam:
    """Adam at :data:`OVERFIT_LR`, stepped through a GradScaler if ``scaled``. With float16
    parameters (``16-true``) its ``eps`` is float16's smallest normal number (6.1e-5): the
    default 1e-8 is zero in float16, and the update of a correct model would divide by it.

    Fused (the same update in one kernel for every parameter: a step of a small model costs a
    fifth of the per-parameter loop's time on the CPU, and overfitting is most of a model
    check's time) when every parameter is a floating-point tensor on one device of
    :data:`FUSED_ADAM_DEVICES` and no GradScaler steps it; else torch's default, as people
    train. A GradScaler hands a fused optimizer its scale instead of unscaling the gradients
    itself, so it would never raise what it raises for the default Adam on a float16 gradient
    (``Attempting to unscale FP16 gradients``: a half parameter under ``16-mixed``)."""
    eps = 1e-8
    for p in params:
        if p.dtype == torch.float16:
            eps = max(eps, float(torch.finfo(torch.float16).tiny))
    devices = {p.device.type for p in params}
    fused = (
        not scaled
        and len(devices) == 1
        and devices <= set(FUSED_ADAM_DEVICES)
        and all(p.is_floating_point() for p in params)
    )
    return torch.optim.Adam(params, lr=OVERFIT_LR, eps=eps, fused=fused or None)


def overfit_run(
    model: ModelTarget,
    *,
    steps: int = OVERFIT_STEPS,
    seed: int = 0,
    chunks: int = 2,
    stop_early: bool = True,
    on_step: Callable[[int, float], None] | None = None,
) -> OverfitRun:
    """Up to ``steps`` Adam steps fitting one small batch (a full row of ``chunks`` chunks and a
    row half as long) to the generic loss's fixed target; stops once :func:`overfit_verdict` is
    met if ``stop_early`` (and, under ``16-mixed``, no fewer than twice the steps skipped, so the
    GradScaler's first calibrating skips are never most of a short run). ``16-mixed`` trains
    through a ``torch.amp.GradScaler``, as people train in float16. The module is left as it
    was."""
    module = model.module
    full = chunks * model.frames_per_chunk
    x, lens = training_batch(model, [full, max(1, full // 2)], full, seed)
    forward = train_call(model)
    losses: list[float] = []
    skipped: list[int] = []
    with restored(module), own_randomness(seed):
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            return OverfitRun(losses)
        scaler = model.precision.grad_scaler(model.device)
        optimizer = adam(params, scaled=scaler is not None)
        for step in range(steps):
            optimizer.zero_grad(set_to_none=True)
            y = forward(x, lens)
            loss = generic_loss(y, _valid(model, y, x, lens), seed + 1)
            if not loss.requires_grad:
                losses.append(float(loss))
                break
            if scaler is None:
                loss.backward()
                optimizer.step()
            else:
                scaler.scale(loss).backward()
                before = scaler.get_scale()
                scaler.step(optimizer)
                scaler.update()
                if scaler.get_scale() < before:
                    skipped.append(step)
            losses.append(float(loss.detach()))
            if on_step is not None:
                on_step(step, losses[-1])
            if not math.isfinite(losses[-1]):
                break
            if stop_early and overfit_verdict(losses)[0] and 2 * len(skipped) <= len(losses):
                break
    return OverfitRun(losses, tuple(skipped))


def overfit(
    model: ModelTarget,
    *,
    steps: int = OVERFIT_STEPS,
    seed: int = 0,
    chunks: int = 2,
    stop_early: bool = True,
    on_step: Callable[[int, float], None] | None = None,
) -> list[float]:
    """The losses of :func:`overfit_run`."""
    return overfit_run(
        model, steps=steps, seed=seed, chunks=chunks, stop_early=stop_early, on_step=on_step
    ).losses


def overfit_verdict(losses: list[float]) -> tuple[bool, float, float]:
    """``(fell tenfold, start, end)``: the median of the first few losses against the median of
    the last ten (medians, so dropout's noisy steps decide nothing)."""
    if len(losses) < START_WINDOW + END_WINDOW:
        start = losses[0] if losses else math.nan
        end = losses[-1] if losses else math.nan
        return False, start, end
    start = statistics.median(losses[:START_WINDOW])
    end = statistics.median(losses[-END_WINDOW:])
    fell = math.isfinite(start) and math.isfinite(end) and end * OVERFIT_FACTOR <= start
    return fell, start, end


def check_overfits(
    model: ModelTarget, seed: int = 0, chunks: int = 2, steps: int = OVERFIT_STEPS
) -> None:
    """A few hundred Adam steps on one small batch cut the loss at least tenfold."""
    trainable = [p for p in model.module.parameters() if p.requires_grad]
    if not trainable:
        fail("no parameter of the module has requires_grad: the optimizer has nothing to train")
    run = overfit_run(model, steps=steps, seed=seed, chunks=chunks)
    losses = run.losses
    if run.mostly_skipped:
        fail(
            f"under {model.precision} the GradScaler skipped {len(run.skipped)} of "
            f"{len(losses)} Adam steps on one batch of {chunks} chunks (inf or NaN in the "
            f"scaled gradients, first at step {run.skipped[0]}): the optimizer hardly ever "
            "stepped"
        )
    if losses and not math.isfinite(losses[-1]):
        fail(
            f"the loss became {losses[-1]} at Adam step {len(losses)} of one batch of {chunks} "
            f"chunks (from {losses[0]:.4g}): a non-finite gradient or forward in training"
        )
    fell, start, end = overfit_verdict(losses)
    if not fell:
        fail(
            f"{len(losses)} Adam steps (lr {OVERFIT_LR:g}) on one batch of {chunks} chunks: the "
            f"loss went from {start:.4g} to {end:.4g} (medians of the first {START_WINDOW} and "
            f"last {END_WINDOW}), not {OVERFIT_FACTOR:g}x lower; {len(trainable)} parameters "
            "train: the model cannot fit one batch"
        )


# --------------------------------------------------------------------------- registered checks


def _fresh(ctx: CheckContext, case: Case) -> ModelTarget:
    """A model built for this case alone (training changes generators and sampler state a
    cached model would carry into the next case), its default training call under the limit,
    in the context's precision on the target's device."""
    factory, device = ctx.target.model, ctx.target.device
    if device is not None and accepts_device(factory):
        model = factory(case["seed"], device=device)
    else:
        model = factory(case["seed"])
    if model.train_forward is None and ctx.target.timeout:
        model = dataclasses.replace(
            model, train_forward=limited(train_call(model), ctx.target.timeout, "train forward")
        )
    return place(model, ctx.precision, device)


#: a training batch: up to 3 rows, of length 0 and 1 among them
_LENGTHS = ListOf(LENGTHS.item, max_len=3, min_len=1)


@register(
    "model.grad_finite",
    model_inputs(lengths=_LENGTHS, pad=Int(0, 8)),
    needs=(Capability.MODEL, Capability.TRAIN),
    example_share=0.1,
)
def model_grad_finite(ctx: CheckContext, case: Case) -> None:
    """A backward pass through empty, one-frame and padded rows gives every parameter a finite gradient.

    ## What it asserts
    On a model target that exposes its `module` (the `torch.nn.Module` whose parameters are
    trained): a batch of 1 to 3 rows of 0 to 40 frames, plus a row of length 0 and a row of length
    1, padded to the longest plus 0 to 8 frames, with garbage (noise of scale 10) past each row's
    length. One forward as training runs it (`train_forward(x, lengths)`, default `module.train()`
    then `module(x, lengths)`) and one backward pass of a generic loss: the mean squared error of
    the valid outputs (patches `< ceil(length / S)`, selected, not multiplied by a mask) against a
    fixed standard-normal target. The loss and every parameter's gradient must be finite. Dropout
    drawn from torch's global generator is seeded for the check and the caller's generator put
    back; the module is left as it was (modes, parameters, buffers, gradients). Under a precision
    the training forward runs in it (autocast for `*-mixed`, the module cast for `*-true`); the
    loss is backpropagated unscaled, so an inf here is the model's, never a gradient scaler's.

    ## Why it matters
    A forward can be finite while its backward is not. An additive `-inf` mask whose fully masked
    rows are zeroed *after* the softmax gives zeros forward, but the softmax's backward multiplies
    its NaN by the zero gradient the guard lets through; `sqrt` of a zero mean square has an
    infinite derivative, so `0 * inf = NaN`. One padded batch with an empty row then puts NaN into
    every parameter upstream, and the first optimizer step destroys the model. `model.finite` passes
    for both.

    ## Example failure
    ```
    FAIL  model.grad_finite  103 examples  counterexample: {'seed': 0, 'noise': 0,
      'lengths': [0], 'pad': 0}  one backward pass for lengths [0, 0, 1] gives a loss of 2.023
      and non-finite gradients in 17 of 27 parameters: embedding.0, embedding.1,
      layers.0.norm1, ... and 5 more (the first optimizer step would destroy the model)
    ```
    The loss is finite, the gradients are not: a NaN backward through the rows of length 0.

    ## Catches
    - `tests/models/train_bug_inf_mask_nan_grad.py` — an additive `-inf` mask with the fully masked
      rows zeroed after the softmax
      ([pytorch/pytorch#41508](https://github.com/pytorch/pytorch/issues/41508),
      [pytorch/pytorch#40932](https://github.com/pytorch/pytorch/issues/40932); the fix,
      [pytorch/pytorch#42323](https://github.com/pytorch/pytorch/issues/42323)).
    - `tests/models/train_bug_sqrt_norm_nan_grad.py` — RMS norm with `eps` outside the square root,
      `h / (sqrt(mean(h**2)) + eps)`
      ([pytorch/pytorch#2421](https://github.com/pytorch/pytorch/issues/2421),
      [richzhang/PerceptualSimilarity#69](https://github.com/richzhang/PerceptualSimilarity/issues/69),
      [mpariente/pytorch_stoi#7](https://github.com/mpariente/pytorch_stoi/issues/7)).
    - `tests/models/amp_bug_additive_mask_cast.py` (`16-mixed`) — an additive mask built in float32
      (`-1e30`) and cast to float16, where it is `-inf`; the rows are guarded after the softmax
      ([NVIDIA/apex#93](https://github.com/NVIDIA/apex/issues/93), [GreatV/oar-ocr#178](https://github.com/GreatV/oar-ocr/pull/178), [google/flax#982](https://github.com/google/flax/issues/982)).
    - `tests/models/amp_bug_norm_in_half.py` (`16-true`) — RMS norms computed in float16 instead of
      upcast to float32: the backward of `rsqrt` overflows on a padded token
      ([pytorch/pytorch#133085](https://github.com/pytorch/pytorch/pull/133085), [meta-llama/llama#1048](https://github.com/meta-llama/llama/issues/1048),
      [huggingface/diffusers#13316](https://github.com/huggingface/diffusers/pull/13316)).

    ## How to fix
    Guard before the non-differentiable point, not after it:

    ```python
    scores = scores.masked_fill(empty_rows, 0.0)  # before the softmax
    weights = scores.softmax(-1).masked_fill(empty_rows, 0.0)

    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)  # eps inside the root
    ```
    `torch.where(cond, safe, value)` does not help if `value` is already NaN in the backward: make
    the input of the risky operation safe instead.
    """
    check_grad_finite(_fresh(ctx, case), case["lengths"], case["pad"], case["noise"])


@register(
    "model.grad_flow",
    model_inputs(lengths=_LENGTHS, chunks=Int(2, 4)),
    needs=(Capability.MODEL, Capability.TRAIN),
    example_share=0.1,
)
def model_grad_flow(ctx: CheckContext, case: Case) -> None:
    """Every parameter with requires_grad gets a nonzero gradient; the ones that do not are named.

    ## What it asserts
    On a model target with `module`: a batch of 1 to 3 rows of 0 to 40 frames plus one full row of
    2 to 4 chunks (so every layer sees real tokens), one backward pass of the generic loss of
    [`model.grad_finite`](model.grad_finite.md). Every parameter with `requires_grad=True` must get a
    gradient that is not `None` and not exactly zero. A parameter whose first gradient is zero or
    missing gets up to three Adam steps on the same batch (its training forward drawn again) before
    it is named: behind a zero-initialised gate (LoRA's `B`, ReZero, adaLN-zero, hyper-connections)
    the first gradient is zero by design and the second is not, and a parameter some batches do not
    use (a learned mask embedding, an expert not routed to) gets its batch. Parameters frozen on
    purpose (`requires_grad=False`) are not findings, but a module where all of them are frozen
    fails. The failure names the parameters, by kind: no gradient, zero gradient.

    ## Why it matters
    A parameter that never gets a gradient never learns, and nothing complains on one GPU: a bias
    read through `.data` is detached from autograd, a front end run under `torch.no_grad()` (copied
    from an inference path) stays at its initial weights, an auxiliary head that the forward no
    longer uses sits in the optimizer. Under DDP the last one is the familiar "Expected to have
    finished reduction in the prior iteration" error; everywhere else it is a silently smaller model.

    ## Example failure
    ```
    FAIL  model.grad_flow  103 examples  counterexample: {'seed': 0, 'noise': 0,
      'lengths': [0], 'chunks': 2}  one backward pass for lengths [0, 8] (and 3 Adam steps for a
      zero or missing gradient): no gradient: embedding.0, embedding.1 (these do not learn:
      unused, detached, computed under no_grad, or multiplied by zero)
    ```
    The front end's parameters get no gradient: it runs under `torch.no_grad()`.

    ## Catches
    - `tests/models/train_bug_bias_data.py` — the relative position bias read through `.data`, which
      detaches it ([pytorch/pytorch#6990](https://github.com/pytorch/pytorch/issues/6990),
      [pytorch/pytorch#7000](https://github.com/pytorch/pytorch/issues/7000),
      [queenie88/A-GCN#4](https://github.com/queenie88/A-GCN/issues/4)).
    - `tests/models/train_bug_no_grad_frontend.py` — the front end runs under `torch.no_grad()`
      ([hushell/sib_meta_learn#3](https://github.com/hushell/sib_meta_learn/issues/3),
      [pranoyr/cnn-lstm#6](https://github.com/pranoyr/cnn-lstm/issues/6)).
    - `tests/models/train_bug_unused_parameter.py` — an auxiliary head created and never used
      ([pytorch/pytorch#43259](https://github.com/pytorch/pytorch/issues/43259),
      [ImprintLab/MedSegDiff#27](https://github.com/ImprintLab/MedSegDiff/issues/27),
      [Megvii-BaseDetection/YOLOX#885](https://github.com/Megvii-BaseDetection/YOLOX/issues/885)).

    ## How to fix
    Find each named parameter's path to the loss:
    - `.data` or `.detach()` on a parameter in the forward: use the parameter itself;
    - `with torch.no_grad():` around a trainable module: remove it, or freeze the module on purpose
      with `module.requires_grad_(False)`;
    - a module that is built and not used: delete it, or set its `requires_grad=False` so the
      optimizer and DDP do not wait for it.

    `chunkattn doctor --model M:F` prints every parameter's gradient norm (`NO GRADIENT`, `0`,
    `NaN/inf`, `frozen`).
    """
    check_grad_flow(_fresh(ctx, case), case["lengths"], case["chunks"], case["noise"])


#: a few model seeds and batches: a failing run costs hundreds of steps, so the space is small
#: and shrinking takes a handful of them, not dozens
_OVERFIT = fields(seed=Int(0, 7), noise=Int(0, 7), chunks=OneOf(2, 1))


@register(
    "model.overfits",
    _OVERFIT,
    needs=(Capability.MODEL, Capability.TRAIN),
    example_share=0.05,
)
def model_overfits(ctx: CheckContext, case: Case) -> None:
    """A few hundred optimizer steps on one small batch cut the training loss at least tenfold.

    ## What it asserts
    On a model target with `module`: up to 300 Adam steps (learning rate 3e-3) through the training
    forward on one fixed batch (a full row of 1 or 2 chunks and a row half as long), fitting the
    generic loss of [`model.grad_finite`](model.grad_finite.md). The median of the last 10 losses
    must be at most a tenth of the median of the first 5 (medians, so dropout's noisy steps decide
    nothing); the run stops as soon as that holds. It fails at once if no parameter requires a
    gradient, and if the loss becomes non-finite. Model seeds and batches are drawn from a small
    space (0 to 7), since a failing run costs hundreds of steps. Under `16-mixed` the steps go
    through a `torch.amp.GradScaler`, as fp16 training runs; a step it skips (inf or NaN in the
    scaled gradients) is counted, and more than half the steps skipped is a failure (the run
    never stops early before twice the skipped steps, so the scaler's first calibrating skips are
    never most of it). With float16 parameters (`16-true`) Adam's `eps` is float16's smallest
    normal number, 6.1e-5 (1e-8 is zero there). Adam is torch's fused kernel (the same update,
    several times faster a step) when every parameter is floating point on one CPU or CUDA
    device, except under the GradScaler: there it is torch's default Adam, which the scaler
    unscales itself, as people's fp16 training does (a fused one would take the scale and hide a
    float16 parameter's `Attempting to unscale FP16 gradients`).

    ## Why it matters
    A model that cannot memorise one batch cannot learn a data set, whatever its forward checks
    say. The causes pass every other check: a keep probability passed as a drop probability
    (`dropout=0.9` where TensorFlow said `keep_prob=0.9`) trains through noise only, and a freeze
    that catches every parameter leaves the optimizer nothing to train, so `model.grad_flow` has
    nothing to flag. Finding this before a week of GPU time is the point.

    ## Example failure
    ```
    FAIL  model.overfits  98 examples  counterexample: {'seed': 0, 'noise': 0, 'chunks': 2}
      300 Adam steps (lr 0.003) on one batch of 2 chunks: the loss went from 1.925 to 0.7923
      (medians of the first 5 and last 10), not 10x lower; 27 parameters train: the model cannot
      fit one batch
    ```
    Every parameter trains and the loss still barely moves: 90% of the activations are dropped.

    ## Catches
    - `tests/models/train_bug_keep_prob_dropout.py` — a keep probability passed as PyTorch's drop
      probability: dropout 0.9
      ([hassony2/kinetics_i3d_pytorch#6](https://github.com/hassony2/kinetics_i3d_pytorch/issues/6),
      [piergiaj/pytorch-i3d#58](https://github.com/piergiaj/pytorch-i3d/issues/58),
      [candle-org/MindAct#387](https://github.com/candle-org/MindAct/issues/387)).
    - `tests/models/train_bug_frozen_by_mistake.py` — a freeze by name that catches every parameter
      ([facebookresearch/fairseq#4702](https://github.com/facebookresearch/fairseq/issues/4702),
      [amdegroot/ssd.pytorch#109](https://github.com/amdegroot/ssd.pytorch/issues/109),
      [pytorch/pytorch#1266](https://github.com/pytorch/pytorch/issues/1266)).
    - `tests/models/amp_bug_half_parameter.py` (`16-mixed`) — one parameter stored in float16; the
      GradScaler refuses it: "Attempting to unscale FP16 gradients."
      ([mk-minchul/AdaFace#127](https://github.com/mk-minchul/AdaFace/issues/127), [yk7333/d3po#6](https://github.com/yk7333/d3po/issues/6), [haotian-liu/LLaVA#363](https://github.com/haotian-liu/LLaVA/issues/363)).

    ## How to fix
    Check what trains and how much is dropped:

    ```python
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable, "everything is frozen"
    nn.Dropout(p=1 - keep_prob)  # PyTorch's p is the probability of zeroing
    ```
    The loss must be free to reach the target: the outputs the training forward returns should be
    logits or features, not log-probabilities (give the target a `train_forward` that returns the
    logits). `chunkattn doctor --model M:F` draws the loss curve as a sparkline.
    """
    check_overfits(_fresh(ctx, case), case["noise"], case["chunks"])
