"""One ``chunkattn verify`` run as a report object, assembled once and rendered as text or JSON.

:func:`build_report` takes the checks' results and gathers what a reader needs beside them:
the target's traits, the geometry in tokens (and seconds, only where a timestep is declared),
and for a model target what the model claims and its measured chunk dependencies next to the
promised ones. The text (:func:`header_line` and :func:`live_line` as the run goes, then
:func:`render_text`) and :meth:`VerifyReport.as_json` only format it, so the two outputs can
never tell different stories.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape

from chunkattn._internal.commands.render import (
    Geometry,
    block_picture,
    dependency_picture,
    geometry,
    json_safe,
)
from chunkattn._internal.contract.config import ProjectConfig
from chunkattn._internal.engine.results import CheckResult, ExitCode, Status, all_ok

__all__ = [
    "ModelClaims",
    "VerifyReport",
    "build_report",
    "explain_hint",
    "header_line",
    "live_line",
    "render_text",
    "result_line",
]

#: chunks of input the printed dependency matrix covers at most (enough for the left edge of
#: most stacks' receptive field; ``model.receptive_field`` itself reaches further)
MATRIX_CAP = 24
#: capabilities of the seed API and chunkattn's own code: checks that need them are not about a model
SEED_API_NEEDS = {"mask", "sampler", "own"}
#: a status's colour; fuzz also shows a check that got no example in its budget as "not run"
_STYLES = {
    Status.PASS: "green",
    Status.FAIL: "bold red",
    Status.ERROR: "bold red",
    Status.SKIP: "yellow",
    "not run": "yellow",
}


@dataclass
class ModelClaims:
    """What a model target declares, and the chunk dependencies measured on it."""

    declared: dict[str, Any]
    geometry: Geometry
    promised: list[list[bool]] = field(default_factory=list)
    measured: list[list[bool]] = field(default_factory=list)
    changes: list[list[float]] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {**self.declared, "claims": self.geometry.lines()}
        if self.error is not None:
            out["error"] = self.error
        else:
            out["dependency"] = {
                "measured": self.measured,
                "promised": self.promised,
                "changes": self.changes,
            }
        return out


@dataclass
class VerifyReport:
    target: Any
    config: ProjectConfig
    profile: str
    results: list[CheckResult]
    #: the shared database went away mid-run (the results are what was found before)
    lost: str | None = None
    model: ModelClaims | None = None
    #: stored database entries set aside by the case-schema screen: ``{"count", "reason"}``
    set_aside: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return all_ok(self.results)

    @property
    def exit_status(self) -> ExitCode:
        if self.lost is not None and self.ok:
            return ExitCode.USAGE
        return ExitCode.of(self.ok)

    def as_json(self) -> dict[str, Any]:
        out = {
            "ok": self.ok,
            "target": self.target.name,
            "within_chunk": self.target.within_chunk,
            "fixed_geometry": dict(self.target.fixed),
            "config": {
                "source": self.config.source,
                "block": self.config.block_path,
                **self.config.chunked.as_dict(),
            },
            "checks": [json_safe(r.as_dict()) for r in self.results],
        }
        if self.model is not None:
            out["model"] = json_safe(self.model.as_dict())
        if self.set_aside is not None:
            out["set_aside"] = self.set_aside
        if self.lost is not None:
            out["error"] = self.lost
        return out


def model_claims(model: Any) -> ModelClaims:
    """The declared geometry of a :class:`~chunkattn.testing.ModelTarget` and its measured
    chunk-dependency matrix beside the promised one."""
    from chunkattn._internal.checks.model import UNCHANGED_ATOL, dependency_matrix
    from chunkattn._internal.engine.limits import TargetTimeout

    layers = model.layer_context
    declared = {
        "chunk_size": model.chunk_size,
        "context_chunks": list(layers) if isinstance(model.context_chunks, tuple) else layers[0],
        "depth": model.depth,
        "samples_per_patch": model.samples_per_patch,
        "left_reach": model.left_reach,
        "lookahead_frames": model.lookahead_frames,
        "lookbehind_frames": model.lookbehind_frames,
        "right_reach": model.right_reach,
        "within_chunk": model.within_chunk,
        "timestep_sec": model.timestep_sec,
    }
    claims = ModelClaims(
        declared,
        Geometry(
            model.chunk_size,
            layers[0],
            model.timestep_sec,
            model.depth,
            layer_context=layers,
            left_reach=model.left_reach,
            lookahead_frames=model.lookahead_frames,
            lookbehind_frames=model.lookbehind_frames,
            samples_per_patch=model.samples_per_patch,
            within_chunk=model.within_chunk,
        ),
    )
    try:
        changes = dependency_matrix(model, model.window_chunks(cap=MATRIX_CAP))
    except (Exception, TargetTimeout) as exc:
        claims.error = f"could not measure: {exc.__class__.__name__}: {exc}"
        return claims
    chunks = len(changes)
    claims.changes = changes
    claims.measured = [[v > UNCHANGED_ATOL for v in row] for row in changes]
    # a cell the declaration leaves open (ModelTarget.allows) is promised as measured
    claims.promised = [
        [got if model.allows(o, i, got) else not got for i, got in enumerate(claims.measured[o])]
        for o in range(chunks)
    ]
    return claims


def build_report(
    target: Any,
    config: ProjectConfig,
    profile: str,
    results: list[CheckResult],
    lost: str | None = None,
) -> VerifyReport:
    """The report of one run; a model target's claims are measured here (seed 0's model)."""
    claims = None
    if target.model is not None and not target.own:
        from chunkattn._internal.checks.model import build_placed

        # measured in float32, on the run's device, as the geometry checks measure it
        claims = model_claims(build_placed(target.model, 0, device=target.device))
    return VerifyReport(target, config, profile, results, lost, claims)


def explain_hint(name: str) -> str:
    """What ends every FAIL line: the command that prints the check's page."""
    return f"(run: chunkattn explain {name})"


def result_line(
    result: CheckResult, examples_width: int = 5, status: str | None = None, seconds: bool = True
) -> str:
    """One check's line (rich markup): status, name, examples, seconds, and the counterexample
    of a failure (then the hint to ``chunkattn explain`` it) or the reason of a skip."""
    status = str(status or result.status)
    line = (
        f"[{_STYLES[status]}]{status.upper():<5}[/] {escape(result.label)}"
        f"{' ' * max(0, (28 if result.precision is None else 41) - len(result.label))} "
        f"{result.examples:>{examples_width}} examples"
    )
    if status != Status.SKIP and seconds:
        line += f" {result.seconds:>6.2f} s"
        if result.compile_seconds:  # of which torch.compile's, apart: a cost of the target's
            line += f" ({result.compile_seconds:.2f} s compiling)"
    if status in (Status.FAIL, Status.ERROR):
        line += f"  counterexample: {result.counterexample}  {result.message}"
        if status == Status.FAIL:
            line += f"  {escape(explain_hint(result.name))}"
    elif status == Status.SKIP:
        line += f"  ({result.message})"
    return line


def _is_model_target(report: VerifyReport) -> bool:
    return report.target.model is not None and not report.target.own


def _skip_lines(report: VerifyReport) -> list[str]:
    """A model target's skipped checks: those of the seed API in one line per reason, every
    other one in one more line (a seed-API target keeps one line per check, in order)."""
    from chunkattn._internal.engine.registry import CHECKS

    seed_api = defaultdict(list)
    model_side = []
    for r in report.results:
        if r.status is not Status.SKIP:
            continue
        check = CHECKS.get(r.name)
        if check is None or set(check.needs) & SEED_API_NEEDS:
            seed_api[r.message].append(r.name)
        else:
            model_side.append(r)
    lines = [_skip_group(names, reason) for reason, names in seed_api.items()]
    if model_side:
        by_reason = defaultdict(list)
        for r in model_side:
            by_reason[r.message].append(r.label)
        detail = "; ".join(f"{', '.join(names)}: {reason}" for reason, names in by_reason.items())
        # escaped: a label's "[bf16-mixed]" is not rich markup
        lines.append(f"[yellow]SKIP [/] {len(model_side)} model checks  ({escape(detail)})")
    return lines


def _skip_group(names: list[str], reason: str) -> str:
    families = list(dict.fromkeys(n.split(".")[0] + ".*" for n in names))
    return f"[yellow]SKIP [/] {len(names)} checks {', '.join(families)}  ({escape(reason)})"


def header_line(target: Any, config: ProjectConfig, profile: str) -> str:
    """The first line of ``chunkattn verify``'s text: the target, its traits, config, profile
    (printed before any check runs)."""
    traits = [f"within_chunk={target.within_chunk}"] if target.within_chunk != "full" else []
    traits += [f"{key}={value}" for key, value in target.fixed]
    shown = f"{target.name} ({', '.join(traits)})" if traits else target.name
    return f"target: {shown}   config: {config.source} ({config.block_path})   profile: {profile}"


def live_line(result: CheckResult, target: Any) -> str | None:
    """The line ``verify`` prints as soon as ``result``'s check finishes, or None for a model
    target's skipped check (those are grouped by reason after the run, see :func:`render_text`)."""
    grouped = target.model is not None and not target.own
    if grouped and result.status is Status.SKIP:
        return None
    return result_line(result)


def render_text(report: VerifyReport, out: Console) -> None:
    """What ``chunkattn verify`` prints after the run: its header (:func:`header_line`) and each
    check's :func:`live_line` were printed as the run went, so this is the grouped skips, the
    model's claims or the eval geometry, and the counts."""
    for line in _skip_lines(report) if _is_model_target(report) else []:
        out.print(line)
    if report.model is not None:
        _print_model(out, report.model)
    else:
        _print_eval_geometry(out, report.config)
    counts = {s: sum(r.status == s for r in report.results) for s in (Status.PASS, Status.SKIP)}
    failed = sum(r.status.failed for r in report.results)
    out.print(
        f"{counts[Status.PASS]} passed, {failed} failed"
        + (f", {counts[Status.SKIP]} skipped" if counts[Status.SKIP] else "")
    )


def _print_model(out: Console, claims: ModelClaims) -> None:
    d = claims.declared
    extras = [
        f"{key}={d[key]}"
        for key in (
            "left_reach",
            "lookahead_frames",
            "lookbehind_frames",
            "right_reach",
            "within_chunk",
            "timestep_sec",
        )
        if d.get(key) not in (0, None, "full")
    ]
    unit = "" if d["timestep_sec"] is not None else " (no timestep_sec declared: sizes in tokens)"
    out.print(
        f"\nmodel claims: chunk_size={d['chunk_size']}, context_chunks={d['context_chunks']}, "
        f"depth={d['depth']}, samples_per_patch={d['samples_per_patch']}"
        + "".join(f", {e}" for e in extras)
        + unit,
        markup=False,
    )
    for line in claims.geometry.lines():
        out.print(f"  {line}", markup=False)
    if claims.error is not None:
        out.print(f"chunk dependencies: {claims.error}", markup=False)
        return
    out.print(
        "\nchunk dependencies of the whole stack (rows: output chunk, columns: input chunk; "
        "█ depends, · does not, ✗ measured differs from promised):",
        markup=False,
    )
    out.print(dependency_picture(claims.promised, claims.measured), markup=False)
    out.print("")


def _print_eval_geometry(out: Console, config: ProjectConfig) -> None:
    settings = config.chunked
    eval_config = settings.eval_config()
    depth = config.model.depth if config.model else None
    out.print(
        f"\neval config: chunk_size={settings.eval_chunk_size}, context_sec={settings.eval_context_sec}"
        f" -> {eval_config}",
        markup=False,
    )
    for line in geometry(eval_config, settings.timestep_duration_sec, depth).lines():
        out.print(f"  {line}", markup=False)
    if eval_config.chunk_size is not None:
        from chunkattn._internal.impl.masks import create_dynamic_chunk_mask

        chunk, context = eval_config.chunk_size, eval_config.context_chunks
        seq_len = chunk * ((context if context is not None else 2) + 3)
        mask = create_dynamic_chunk_mask(seq_len, eval_config)
        out.print(f"\neval mask, T={seq_len} (rows: queries, █ = may attend):", markup=False)
        out.print(block_picture(mask, chunk, max_tokens=24), markup=False)
    out.print("")
