"""``chunkattn doctor``: the seed's "tests pass but training fails", checked for real.

Builds the model from the config and reports, as a table: finiteness under the extreme configs
the sampler can draw, gradient flow per parameter, whether one batch can be overfit, and the
sampler's realised frequencies against the configured probabilities. Exit 0 healthy, 1 a finding.

A command, like :mod:`chunkattn.cli`: it sits on top of the library and the checks and imports
down; the verdicts come from the same functions the registered checks use (``model.grad_flow``'s
gradient report, ``sampler.probabilities``' binomial bound), never from a tolerance of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from .config import ProjectConfig
from .core import ChunkConfig, ConfigError, context_chunks_for
from .model import TransformerModel
from .sampler import ChunkConfigSampler
from .testing.own_model_checks import grad_flow_problems, gradient_report
from .testing.sampler_checks import binomial_consistent

__all__ = ["Finding", "diagnose", "run_doctor"]


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


def _grad_flow(model: TransformerModel) -> Finding:
    report = gradient_report(model)
    problems = grad_flow_problems(report)
    detail = f"all {len(report)} parameters get a finite, non-zero gradient"
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
) -> int:
    """Print the findings table; 0 healthy, 1 a finding."""
    out = Console(highlight=False, soft_wrap=True)
    findings = diagnose(config, model=model, steps=steps)
    table = Table(title=f"chunkattn doctor: {config.source}")
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    for f in findings:
        table.add_row(f.check, "[green]ok[/]" if f.ok else "[bold red]FINDING[/]", f.detail)
    out.print(table)
    healthy = all(f.ok for f in findings)
    out.print("healthy" if healthy else f"{sum(not f.ok for f in findings)} finding(s)")
    return 0 if healthy else 1
