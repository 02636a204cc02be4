"""``chunkattn doctor``: the seed's "tests pass but training fails", checked for real.

``chunkattn doctor [CONFIG]`` builds chunkattn's model from the config and reports, as a table:
finiteness under the extreme configs the sampler can draw, gradient flow per parameter, whether
one batch can be overfit, and the sampler's realised frequencies against the configured
probabilities. ``chunkattn doctor --model MODULE:NAME`` does the same for the user's own model
(docs/contract.md: The training side): forward and backward finite at the extremes (rows of length 0 and 1, padded
rows), every parameter's gradient norm with the names of those without one, and the overfitting
loss from start to end. Exit 0 healthy, 1 a finding (2, from the CLI: a bad config or target).

A command, like :mod:`chunkattn._internal.commands.cli`: it sits on top of the library and the checks and imports
down; the verdicts come from the same functions the registered checks use (the training-health
checks' gradient report and overfitting run, ``sampler.probabilities``' binomial bound), never
from a tolerance of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from chunkattn._internal.checks.sampler import binomial_consistent
from chunkattn._internal.checks.train import (
    OVERFIT_FACTOR,
    OVERFIT_STEPS,
    GradientReport,
    grad_flow_problems,
    gradient_report,
    nonfinite_gradients,
    overfit_run,
    overfit_verdict,
)
from chunkattn._internal.contract.config import ProjectConfig
from chunkattn._internal.contract.core import ChunkConfig, ConfigError, context_chunks_for
from chunkattn._internal.engine.model_target import ModelTarget
from chunkattn._internal.engine.precision import DEFAULT_PRECISIONS, Precision
from chunkattn._internal.engine.registry import CheckFailure
from chunkattn._internal.engine.results import ExitCode
from chunkattn._internal.impl.model import TransformerModel
from chunkattn._internal.impl.sampler import ChunkConfigSampler

__all__ = ["Finding", "diagnose", "diagnose_model", "run_doctor", "run_model_doctor", "sparkline"]


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str


def _batch(model: TransformerModel, frames: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    s = model.settings
    x = torch.randn(4, frames, s.features_list[0], generator=g)
    lengths = torch.tensor([frames, frames, frames * 3 // 4, max(1, frames // 3)])
    targets = torch.randint(1, s.nClasses, (4, 3), generator=g)
    day = None if s.nDays is None else torch.zeros(4, dtype=torch.long)
    return x, lengths, targets, day


def _ctc(model: TransformerModel, batch, config: ChunkConfig | None = None) -> torch.Tensor:
    x, lengths, targets, day = batch
    logits = model(x, lengths, 0, day, chunk_config=config)
    log_probs = logits.log_softmax(-1).transpose(0, 1)
    target_lengths = torch.full((x.shape[0],), targets.shape[1])
    return F.ctc_loss(
        log_probs, targets, model.output_lengths(lengths), target_lengths, zero_infinity=True
    )


def extreme_configs(config: ProjectConfig) -> list[ChunkConfig]:
    """The corners the sampler can draw, plus full context."""
    c = config.chunked
    out = [ChunkConfig(None, None)]
    for chunk, seconds in (
        (c.chunk_size_min, c.context_sec_min),
        (c.chunk_size_max, c.context_sec_max),
    ):
        out.append(ChunkConfig(chunk, context_chunks_for(seconds, c.timestep_duration_sec, chunk)))
        out.append(ChunkConfig(chunk, None))
    out.append(ChunkConfig(1, 0))
    return out


def _finiteness(model: TransformerModel, config: ProjectConfig) -> Finding:
    bad = []
    batch = _batch(model, 48 * model.settings.samples_per_patch, seed=1)
    model.train()
    for chunk_config in extreme_configs(config):
        model.zero_grad(set_to_none=True)
        loss = _ctc(model, batch, chunk_config)
        loss.backward()
        grads_ok = all(p.grad is None or torch.isfinite(p.grad).all() for p in model.parameters())
        if not torch.isfinite(loss) or not grads_ok:
            bad.append(str(chunk_config))
    tried = len(extreme_configs(config))
    detail = f"{tried} extreme configs with padded rows: loss and gradients finite"
    return Finding(
        "finite under extreme configs",
        not bad,
        detail if not bad else f"non-finite for {', '.join(bad)}",
    )


def _own_views(model: TransformerModel) -> list[ModelTarget]:
    """chunkattn's model as training targets, one per participant and day, so every
    participant's front end and every day's input layer is reached."""
    s = model.settings
    days = range(s.nDays) if s.nDays else [None]
    views = []
    for participant, features in enumerate(s.features_list):
        for day in days:

            def train_forward(x, lengths, participant=participant, day=day):
                model.train()
                day_idx = None if day is None else torch.full((x.shape[0],), day)
                return model(x, lengths, participant, day_idx)

            views.append(
                ModelTarget(
                    forward=train_forward,
                    features=features,
                    samples_per_patch=s.samples_per_patch,
                    chunk_size=1,
                    context_chunks=None,
                    depth=s.depth,
                    module=model,
                    train_forward=train_forward,
                )
            )
    return views


def _grad_flow(model: TransformerModel) -> Finding:
    """The training-health gradient report for every participant and day, merged: a parameter
    learns if any of them gives it a nonzero gradient."""
    frames = 24 * model.settings.samples_per_patch
    reports = [
        gradient_report(view, [frames, frames // 2, 1, 0], frames, seed=3)
        for view in _own_views(model)
    ]
    norms = {
        name: max((r.norms[name] for r in reports if r.norms[name] is not None), default=None)
        for name in reports[0].norms
    }
    problems = grad_flow_problems(norms, limit=None)
    bad = sorted({n for r in reports for n in nonfinite_gradients(r.norms)})
    if bad:
        problems.append(f"non-finite gradient: {', '.join(bad)}")
    frozen = reports[0].frozen
    detail = f"all {len(norms)} trainable parameters get a finite, nonzero gradient" + (
        f" ({len(frozen)} frozen: {', '.join(frozen)})" if frozen else ""
    )
    return Finding("gradient flow", not problems, "; ".join(problems) or detail)


def _overfit(model: TransformerModel, steps: int, console: Console) -> Finding:
    batch = _batch(model, 24 * model.settings.samples_per_patch, seed=2)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = last = None
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("overfitting one batch", total=steps)
        for step in range(steps):
            optimizer.zero_grad(set_to_none=True)
            loss = _ctc(model, batch)
            loss.backward()
            optimizer.step()
            last = float(loss.detach())
            first = last if first is None else first
            progress.advance(task)
            if last <= first / 2:
                return Finding(
                    "overfit one batch", True, f"loss {first:.3g} -> {last:.3g} in {step + 1} steps"
                )
    return Finding(
        "overfit one batch",
        False,
        f"loss {first:.3g} -> {last:.3g} after {steps} steps: not halved",
    )


def _frequencies(config: ProjectConfig, draws: int = 20000) -> Finding:
    c = config.chunked
    sampler = ChunkConfigSampler.from_settings(c, seed=0)
    configs = [sampler.sample() for _ in range(draws)]
    chunked = [x for x in configs if x.chunk_size is not None]
    limited = sum(x.context_chunks is not None for x in chunked)
    shares = (
        f"full {1 - len(chunked) / draws:.3f}, chunked-unlimited {(len(chunked) - limited) / draws:.3f}, "
        f"left-limited {limited / draws:.3f} (configured chunkwise_prob={c.chunkwise_prob}, "
        f"left_constrain_prob={c.left_constrain_prob})"
    )
    if not chunked:
        return Finding("sampler frequencies", False, f"the sampler never chunks: {shares}")
    ok = binomial_consistent(len(chunked), draws, c.chunkwise_prob) and binomial_consistent(
        limited, len(chunked), c.left_constrain_prob
    )
    return Finding("sampler frequencies", ok, shares)


def diagnose(
    config: ProjectConfig,
    *,
    model: TransformerModel | None = None,
    steps: int = 300,
    console: Console | None = None,
) -> list[Finding]:
    """All findings for ``config`` (and ``model``, default: built from the config, seed 0)."""
    console = console or Console(stderr=True)
    if model is None:
        if config.model is None:
            raise ConfigError(
                "missing key (doctor needs a model.transformer block)",
                key="model.transformer",
                source=config.source,
            )
        model = TransformerModel(config.model, config.chunked, seed=0)
    return [
        _finiteness(model, config),
        _grad_flow(model),
        _overfit(model, steps, console),
        _frequencies(config),
    ]


def run_doctor(
    config: ProjectConfig, *, model: TransformerModel | None = None, steps: int = 300
) -> ExitCode:
    """Print the findings table; 0 healthy, 1 a finding."""
    out = Console(highlight=False, soft_wrap=True)
    findings = diagnose(config, model=model, steps=steps)
    return _print_findings(out, f"chunkattn doctor: {config.source}", findings)


# --------------------------------------------------------------------------- the user's model

#: blocks of a sparkline, lowest first
_SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int = 40) -> str:
    """``values`` as a row of block characters (log scale, ``width`` at most), NaN as ``?``."""
    if not values:
        return ""
    step = max(1, math.ceil(len(values) / width))
    points = [values[i] for i in range(0, len(values), step)]
    if points[-1] is not values[-1]:
        points.append(values[-1])
    logs = [math.log(v) if math.isfinite(v) and v > 0 else None for v in points]
    finite = [v for v in logs if v is not None]
    low, high = (min(finite), max(finite)) if finite else (0.0, 0.0)
    span = high - low or 1.0
    return "".join(
        "?" if v is None else _SPARKS[round((v - low) / span * (len(_SPARKS) - 1))] for v in logs
    )


@dataclass(frozen=True)
class ModelDiagnosis:
    """The doctor's findings on a user's model, the gradient report they come from, and the
    overfitting run's losses."""

    findings: list[Finding]
    gradients: GradientReport
    losses: list[float]


def _extreme_lengths(model: ModelTarget) -> list[int]:
    """Rows of length 0 and 1, a padded row ending mid-patch, and a full row of 4 chunks."""
    full = 4 * model.frames_per_chunk
    return [full, max(1, full // 2 - 1), 1, 0]


def _forward_finite(model: ModelTarget) -> Finding:
    from chunkattn._internal.checks.model import check_finite

    lengths = _extreme_lengths(model)
    try:
        check_finite(model, lengths)
    except CheckFailure as exc:
        return Finding("forward finite", False, str(exc))
    return Finding("forward finite", True, f"eval forward finite for lengths {lengths}")


def _backward_rows(report: GradientReport, lengths: list[int]) -> list[Finding]:
    bad = nonfinite_gradients(report.norms)
    first = f" (first: {bad[0]})" if bad else ""
    finite = Finding(
        "backward finite",
        not bad and math.isfinite(report.loss),
        f"loss {report.loss:.4g}; non-finite gradients in {len(bad)} of {len(report.norms)} "
        f"parameters{first}: {', '.join(bad)}"
        if bad or not math.isfinite(report.loss)
        else f"loss and every gradient finite for lengths {lengths}",
    )
    problems = grad_flow_problems(report.norms, limit=None)
    if not report.norms:
        problems = [f"all {len(report.frozen)} parameters have requires_grad=False"]
    learning = len(report.norms) - sum(g is None or g == 0.0 for g in report.norms.values())
    detail = f"{learning} of {len(report.norms)} trainable parameters get a nonzero gradient"
    if report.frozen:
        detail += f"; {len(report.frozen)} frozen on purpose (requires_grad=False)"
    flow = Finding("gradient flow", not problems, "; ".join([*problems, detail]))
    return [finite, flow]


def _overfit_row(model: ModelTarget, steps: int, console: Console) -> tuple[Finding, list[float]]:
    if not any(p.requires_grad for p in model.module.parameters()):
        return Finding("overfit one batch", False, "no parameter requires grad: nothing trains"), []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("overfitting one batch", total=steps)
        run = overfit_run(model, steps=steps, on_step=lambda step, loss: progress.advance(task))
    losses = run.losses
    fell, start, end = overfit_verdict(losses)
    verdict = "met" if fell else "NOT met"
    detail = (
        f"loss {start:.4g} -> {end:.4g} in {len(losses)} Adam steps ({OVERFIT_FACTOR:g}x lower: "
        f"{verdict})  {sparkline(losses)}"
    )
    if model.precision.scaled:
        detail += f"; GradScaler skipped {len(run.skipped)} of {len(losses)} steps (inf/NaN)"
        if run.mostly_skipped:
            detail += ": more than half, the optimizer hardly ever stepped"
    return Finding("overfit one batch", fell and not run.mostly_skipped, detail), losses


def diagnose_model(
    model: ModelTarget, *, steps: int = OVERFIT_STEPS, console: Console | None = None
) -> ModelDiagnosis:
    """The doctor's findings for a model target with a ``module`` (docs/contract.md: The training side)."""
    if model.module is None:
        raise ValueError(
            "the model exposes no module: give it the torch.nn.Module whose parameters are "
            "trained (ModelTarget(module=...), docs/contract.md: The training side)"
        )
    console = console or Console(stderr=True)
    lengths = _extreme_lengths(model)
    if not model.precision.reduced:
        report = gradient_report(model, lengths, lengths[0], seed=0)
        overfit_finding, losses = _overfit_row(model, steps, console)
        findings = [_forward_finite(model), *_backward_rows(report, lengths), overfit_finding]
        return ModelDiagnosis(findings, report, losses)
    # under a reduced precision an error raised by the model is that row's finding
    forward = _failing("forward finite", lambda: _forward_finite(model))
    report = None
    try:
        report = gradient_report(model, lengths, lengths[0], seed=0)
        backward = _backward_rows(report, lengths)
    except Exception as exc:
        backward = [Finding("backward finite", False, _one_line(exc))]
        backward.append(Finding("gradient flow", False, "no gradient: the backward pass failed"))
    losses: list[float] = []
    try:
        overfit_finding, losses = _overfit_row(model, steps, console)
    except Exception as exc:
        overfit_finding = Finding("overfit one batch", False, _one_line(exc))
    report = report or GradientReport(math.nan, {}, ())
    corner = _failing(CORNER_ROW, lambda: _corner(model))
    return ModelDiagnosis([forward, corner, *backward, overfit_finding], report, losses)


#: the doctor's row for the exact-integer corner (a reduced precision only)
CORNER_ROW = "long-row causality"


def _corner(model: ModelTarget) -> Finding:
    """Chunk causality on a row past the compute dtype's exact integers (positions or chunk
    indices computed in bfloat16 round past 256 tokens, in float16 past 2048)."""
    from chunkattn._internal.checks.model import check_exact_integer_corner

    try:
        unreached = check_exact_integer_corner(model)
    except CheckFailure as exc:
        return Finding(CORNER_ROW, False, str(exc))
    exact = model.precision.exact_integers
    if unreached is not None:
        return Finding(
            CORNER_ROW,
            True,
            f"not checked: the forward raised on a row past {exact} tokens: {unreached}",
        )
    return Finding(
        CORNER_ROW,
        True,
        f"no later chunk leaks into an earlier one past {model.precision.short}'s exact "
        f"integers ({exact} tokens)",
    )


def _one_line(exc: BaseException) -> str:
    first = (str(exc).strip().splitlines() or [""])[0]
    return first if isinstance(exc, CheckFailure) else f"{exc.__class__.__name__}: {first}"


def _failing(row: str, run) -> Finding:
    try:
        return run()
    except Exception as exc:
        return Finding(row, False, _one_line(exc))


def _print_findings(out: Console, title: str, findings: list[Finding]) -> ExitCode:
    table = Table(title=title)
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    for f in findings:
        table.add_row(f.check, "[green]ok[/]" if f.ok else "[bold red]FINDING[/]", f.detail)
    out.print(table)
    healthy = all(f.ok for f in findings)
    out.print("healthy" if healthy else f"{sum(not f.ok for f in findings)} finding(s)")
    return ExitCode.of(healthy)


def run_model_doctor(
    spec: str,
    *,
    steps: int = OVERFIT_STEPS,
    timeout: float | None = None,
    precisions: tuple[Precision, ...] | None = None,
    device: str | None = None,
) -> ExitCode:
    """``chunkattn doctor --model MODULE:NAME``: print the findings and every parameter's
    gradient norm, once per precision of ``precisions`` (None: what the model declares, else
    ``32-true``) on ``device``; 0 healthy, 1 a finding. A bad target raises ``TargetError``
    (one line)."""
    from chunkattn._internal.engine.limits import DEFAULT_TIMEOUT
    from chunkattn._internal.engine.target import load_target

    target = load_target(
        model=spec, timeout=DEFAULT_TIMEOUT if timeout is None else timeout, device=device
    )
    chosen = tuple(precisions or target.precisions or DEFAULT_PRECISIONS)
    torch.set_num_threads(1)
    out = Console(highlight=False, soft_wrap=True)
    codes = [
        _doctor_one(spec, target, precision, steps, out, tagged=chosen != DEFAULT_PRECISIONS)
        for precision in chosen
    ]
    return ExitCode.of(all(code is ExitCode.OK for code in codes))


def _doctor_one(
    spec: str, target, precision: Precision, steps: int, out: Console, *, tagged: bool
) -> ExitCode:
    """The doctor's tables for one precision."""
    from chunkattn._internal.engine.limits import TargetTimeout, limited
    from chunkattn._internal.engine.model_target import accepts_device
    from chunkattn._internal.engine.placement import place
    from chunkattn._internal.engine.target import TargetError

    factory, device = target.model, target.device
    model = factory(0, device=device) if device and accepts_device(factory) else factory(0)
    if model.module is None:
        raise TargetError(
            f"{spec}: exposes no module; doctor --model needs the torch.nn.Module whose "
            "parameters are trained (module=..., docs/contract.md: The training side)"
        )
    if model.train_forward is None and target.timeout:
        from chunkattn._internal.checks.train import train_call

        model = replace(
            model, train_forward=limited(train_call(model), target.timeout, "train forward")
        )
    model = place(model, precision, device)
    tag = f" [{precision}]" if tagged else ""
    try:
        diagnosis = diagnose_model(model, steps=steps)
    except CheckFailure as exc:
        raise TargetError(f"{spec}: {exc}") from None
    except (Exception, TargetTimeout) as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        raise TargetError(f"{spec}: the model failed: {exc.__class__.__name__}: {first}") from None
    grads = Table(
        title=f"gradient norm per parameter{tag} (one backward pass, lengths "
        f"{_extreme_lengths(model)})"
    )
    grads.add_column("parameter")
    grads.add_column("shape")
    grads.add_column("gradient norm", justify="right")
    shapes = {n: tuple(p.shape) for n, p in model.module.named_parameters()}
    for name, norm in diagnosis.gradients.norms.items():
        shown = (
            "[bold red]NO GRADIENT[/]"
            if norm is None
            else "[bold red]0 (zero)[/]"
            if norm == 0.0
            else "[bold red]NaN/inf[/]"
            if not math.isfinite(norm)
            else f"{norm:.3g}"
        )
        grads.add_row(name, str(shapes[name]), shown)
    for name in diagnosis.gradients.frozen:
        grads.add_row(name, str(shapes[name]), "[dim]frozen[/]")
    out.print(grads)
    return _print_findings(out, f"chunkattn doctor: {spec}{tag}", diagnosis.findings)
