"""``chunkattn verify``: every check that applies to the target, run and reported.

:func:`main` schedules: it loads the config and target, starts the helper process, runs the
checks (some in the helper meanwhile) and hands the results to :mod:`.report`, which renders
them as text or JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from chunkattn._internal.commands.render import name_matches, progress_bar
from chunkattn._internal.contract.loader import load_config
from chunkattn._internal.engine.options import UsageError
from chunkattn._internal.engine.results import ExitCode

__all__ = ["main"]


@dataclass
class _Run:
    """What the checks run with: the target, profile, seeds, database and selection."""

    ctx: Any
    profile_name: str
    profile: Any
    seeds: dict
    checks: list
    screened: Any = None
    #: what the model.* and stream.* checks run in, each once per precision
    precisions: tuple = ()


def main(args: argparse.Namespace) -> ExitCode:
    config = load_config(args.config)  # a bad config is one line before anything heavy starts
    _start_helper(args)
    run = _prepare(args, config)
    from chunkattn._internal.commands.report import build_report, header_line

    # text output is streamed: the header now, each check's line as it finishes
    out = None if args.json else Console(highlight=False, soft_wrap=True)
    if out is not None:
        out.print(header_line(run.ctx.target, config, run.profile_name), markup=False)
    outcome = _run_checks(run, args, out)

    report = build_report(run.ctx.target, config, run.profile_name, outcome.results, outcome.lost)
    if run.screened is not None:
        report.set_aside = {
            "count": run.screened.set_aside,
            "reason": run.screened.reason,
            "not_replayed": run.screened.over_cap,
        }
    if args.repro:
        from chunkattn.adapters.repro import report_verify_repros

        target = run.ctx.target
        report_verify_repros(
            args.impl, args.model, outcome.results, args.repro, target.within_chunk
        )
    return _render(report, out)


def _start_helper(args: argparse.Namespace) -> None:
    from chunkattn._internal.engine.helper import NEEDED_BY, helper

    if (args.impl is not None or args.model is None) and any(
        name_matches(name, args.select) for name in NEEDED_BY
    ):
        # the second process (sampler.isolation, offloaded checks) imports while this one does
        helper(args.impl or "chunkattn")


def _prepare(args: argparse.Namespace, config: Any) -> _Run:
    import torch

    from chunkattn._internal.checks import CHECKS
    from chunkattn._internal.engine.precision import DEFAULT_PRECISIONS
    from chunkattn._internal.engine.profiles import active_profile_name, profile_settings
    from chunkattn._internal.engine.registry import CheckContext
    from chunkattn._internal.engine.seeds import load_seeds
    from chunkattn._internal.engine.target import load_target

    # the checks run many tiny forwards: one intra-op thread is fastest, and never oversubscribes
    torch.set_num_threads(1)
    target = load_target(args.impl, args.model, timeout=args.timeout, device=args.device)
    if args.whole_process:
        # what torch, Hypothesis and the target left lives to the end of the command: no full
        # collection need scan it again (each costs a quarter of a second; Hypothesis starts
        # with one). Not when called in-process, where later garbage would be kept for good.
        gc.freeze()
    profile_name = active_profile_name(args.profile)
    profile = profile_settings(profile_name)
    screened = None
    if args.db:
        from hypothesis import settings

        from chunkattn._internal.engine.database import open_database

        profile = settings(profile, database=open_database(args.db))
        screened = _set_aside(profile.database, args.db)
    seeds = load_seeds(args.seeds)
    checks = [c for name, c in CHECKS.items() if name_matches(name, args.select)]
    if not checks:
        raise UsageError(f"-k {args.select!r} matches no check; known: {', '.join(CHECKS)}")
    ctx = CheckContext(target, config)
    precisions = args.precision or target.precisions or DEFAULT_PRECISIONS
    return _Run(ctx, profile_name, profile, seeds, checks, screened, tuple(precisions))


def _run_checks(run: _Run, args: argparse.Namespace, out: Console | None) -> Any:
    """Run the checks, printing each check's line on ``out`` as it finishes (None: ``--json``,
    nothing printed); on a terminal a progress bar stays below the lines."""
    from chunkattn._internal.commands.report import live_line
    from chunkattn._internal.engine.offload import offload
    from chunkattn._internal.engine.runner import run_checks

    checks, ctx = run.checks, run.ctx
    # a check run in the helper process meanwhile (never with a shared database)
    offloaded = (
        offload(checks, ctx, run.profile_name, run.seeds, config=args.config)
        if not args.db
        else None
    )
    here = [c for c in checks if not (offloaded and c.name in offloaded)]
    terminal = out if out is not None and out.is_terminal else None
    progress = progress_bar("verify", 28, disable=out is None, console=terminal)
    per = len(run.precisions) or 1
    total = sum(per if c.per_precision else 1 for c in checks)
    printed: set[int] = set()

    def show(result: Any) -> None:
        printed.add(id(result))
        line = live_line(result, ctx.target) if out is not None else None
        if line is not None:
            out.print(line)

    with progress:
        task = progress.add_task("", total=total)
        done = iter(range(total - sum(per if c.per_precision else 1 for c in here), total))
        outcome = run_checks(
            here,
            ctx,
            run.profile,
            run.seeds,
            on_check=lambda name: progress.update(task, description=name, completed=next(done)),
            precisions=run.precisions or None,
            on_result=show,
        )
        if offloaded:
            outcome.results = offloaded.merge(outcome.results, checks, ctx, run.profile, run.seeds)
            for result in outcome.results:
                if id(result) not in printed:
                    show(result)
    return outcome


def _render(report: Any, out: Console | None) -> ExitCode:
    """What follows the streamed lines (``out``), or the whole report as JSON (``out`` None)."""
    from chunkattn._internal.commands.report import render_text

    if out is None:
        print(json.dumps(report.as_json(), indent=2))
        return report.exit_status
    render_text(report, out)
    if report.lost is not None:
        Console(stderr=True, highlight=False).print(
            f"chunkattn: error: {report.lost}; verify stopped", markup=False, soft_wrap=True
        )
    return report.exit_status


def _set_aside(database: Any, url: str) -> Any:
    """Screen the stored failures of ``database``; say on stderr how many are set aside."""
    from chunkattn._internal.engine.database import screen_failures

    screened = screen_failures(database)
    note = screened.note(url)
    if note:
        Console(stderr=True, highlight=False).print(
            f"chunkattn: {note}", markup=False, soft_wrap=True
        )
    return screened
