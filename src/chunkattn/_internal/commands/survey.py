"""``chunkattn survey``: every adapter whose library is installed, checked (docs/field.md).

For each mask adapter in :data:`chunkattn.adapters.ADAPTERS`, the target
``chunkattn.adapters.NAME`` is loaded and run through the same checks, profile, regression
seeds and config as ``chunkattn verify --impl chunkattn.adapters.NAME --profile PROFILE``; for
each model adapter in :data:`~chunkattn.adapters.MODEL_ADAPTERS` (``kind`` ``"model"``), the
factory ``chunkattn.adapters.MODULE:FACTORY`` as ``chunkattn verify --model TARGET``, so the
two always give the same verdict. A model that cannot be built or run is that entry's error. One row per adapter (library, version, variant and
mapping, checks passed / failed / skipped), then each failure with its shrunk counterexample.
Exit 1 if any adapter failed, 0 otherwise.

With ``workers`` above 1 the entries are surveyed in that many worker processes (the pool
``chunkattn fuzz`` runs in, forked after torch is imported), each entry whole in one process,
as the same :func:`survey_adapter` call the sequential survey makes; the entries come back in
the survey's order, so the table and the JSON are the same as with one worker. The entries of a
module that declares ``SURVEY_TOGETHER = True`` (NeMo's: importing NeMo is most of what they
cost) go to one worker together, so the library is imported once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chunkattn._internal.commands.render import json_safe, name_matches, progress_bar
from chunkattn._internal.engine.results import ExitCode, Status

__all__ = ["SHRINK_CALLS", "run_survey", "survey_adapter"]

#: calls a failing check of the survey may make shrinking its counterexample, after the first
#: failing one: shrinking the field's failures was most of the survey's time. A cap of calls,
#: not of seconds, so a machine's speed or load does not decide how far a failure is shrunk
#: (the shrinker's path is not always the same from run to run, so the last steps, a noise
#: seed say, may differ). Hypothesis makes its largest reductions first; a failure cut short
#: says so in its message. ``verify`` has no such cap.
SHRINK_CALLS = 40


def survey_adapter(
    name: str,
    *,
    profile: str = "ci",
    select: str | None = None,
    seeds: dict[str, list[dict[str, Any]]] | None = None,
    config: Any = None,
    timeout: float | None = None,
    on_check: Any = None,
    precisions: Any = None,
) -> dict[str, Any]:
    """One adapter's survey entry: ``{"adapter", "kind", "target", "library", "version",
    "variant", "mapping", "installed", "ok", "checks"}`` (and ``"error"`` for a model that
    cannot be built); ``ok`` is None when its library is missing, with the reason in
    ``"skipped"``.

    ``name`` is an adapter of :data:`~chunkattn.adapters.ADAPTERS` or
    :data:`~chunkattn.adapters.MODEL_ADAPTERS`, any dotted target module, or a model target
    ``MODULE:FACTORY`` (metadata it lacks is left empty). ``on_check(name)`` is called before
    each check runs. ``precisions``: each ``model.*``/``stream.*`` check once per precision
    (None: what the target declares, else ``32-true``).
    """
    from chunkattn._internal.checks import CHECKS
    from chunkattn._internal.contract.loader import load_config
    from chunkattn._internal.engine.limits import DEFAULT_TIMEOUT
    from chunkattn._internal.engine.profiles import profile_settings
    from chunkattn._internal.engine.registry import CheckContext
    from chunkattn._internal.engine.runner import run_checks
    from chunkattn._internal.engine.seeds import load_seeds
    from chunkattn._internal.engine.target import TargetError, load_target

    entry = _entry(name)
    if not entry["installed"]:
        entry["skipped"] = f"{entry['library'] or name} is not installed"
        return entry
    limit = DEFAULT_TIMEOUT if timeout is None else timeout
    try:
        if entry["kind"] == "model":
            target = load_target(model=entry["target"], timeout=limit)
        else:
            target = load_target(entry["target"], timeout=limit)
    except TargetError as exc:
        if entry["kind"] == "mask":
            raise
        entry["ok"], entry["error"] = False, str(exc)
        return entry
    ctx = CheckContext(target, load_config() if config is None else config)
    settings = profile_settings(profile)
    seeds = load_seeds() if seeds is None else seeds
    checks = [check for name, check in CHECKS.items() if name_matches(name, select)]
    outcome = run_checks(
        checks,
        ctx,
        settings,
        seeds,
        on_check=on_check,
        precisions=precisions or target.precisions,
        shrink_calls=SHRINK_CALLS,
    )
    entry["ok"] = outcome.ok
    entry["checks"] = [json_safe(r.as_dict()) for r in outcome.results]
    return entry


def _entry(name: str) -> dict[str, Any]:
    """An adapter's entry before its checks run: what it is, and whether it is installed."""
    from chunkattn import adapters

    module = adapters.load(name)
    kind = adapters.kind(name)
    available = getattr(module, "available", None)
    version = getattr(module, "version", None)
    installed = bool(available()) if callable(available) else True
    variant = getattr(module, "VARIANT", ""), getattr(module, "MAPPING", "")
    if kind == "model":
        variant = getattr(module, "FACTORIES", {}).get(name.rpartition(":")[2], ("", ""))
    return {
        "adapter": name,
        "kind": kind,
        "target": adapters.target_name(name),
        "library": getattr(module, "LIBRARY", ""),
        "version": version() if installed and callable(version) else None,
        "variant": variant[0],
        "mapping": variant[1],
        "installed": installed,
        "ok": None,
        "checks": [],
    }


def run_survey(
    as_json: bool,
    profile: str = "ci",
    *,
    adapters: Sequence[str] | None = None,
    select: str | None = None,
    timeout: float | None = None,
    kind: str | None = None,
    library: str | None = None,
    repro: str | None = None,
    precisions: Any = None,
    workers: int = 1,
) -> ExitCode:
    """Run the survey and print it (a table, or with ``as_json`` a JSON list of entries as
    :func:`survey_adapter` makes them). Returns the exit status: 1 if any adapter failed.

    ``adapters``: names to survey instead of all of them; ``select``: only checks whose name
    matches (substring or glob, as ``verify -k``); ``timeout``: seconds per call into a target;
    ``kind``: ``"mask"`` or ``"model"`` adapters only (default both); ``library``: only the
    entries of that library (its name as the survey prints it); ``repro``: a directory to write
    a reproduction script per failing check to (:mod:`chunkattn.adapters.repro`);
    ``workers``: processes to survey the entries in (1: this one, in order).
    """
    names = _adapters_to_survey(profile, adapters, select, kind)
    if library is not None:
        from chunkattn.adapters.libraries import library_entries

        names = library_entries(names, library)
    entries = _survey_all(
        names,
        profile,
        select,
        timeout,
        progress=not as_json,
        precisions=precisions,
        workers=workers,
    )
    failed = any(e["ok"] is False for e in entries)
    if repro is not None:
        from chunkattn.adapters.repro import report_repros

        report_repros(entries, repro)
    if as_json:
        print(json.dumps(entries, indent=2))
    else:
        _render(entries, profile)
    return ExitCode.of(not failed)


def _adapters_to_survey(
    profile: str, adapters: Sequence[str] | None, select: str | None, kind: str | None
) -> list[str]:
    """The adapters to survey; a usage error (one line) before anything runs."""
    from chunkattn import adapters as registry
    from chunkattn._internal.checks import CHECKS
    from chunkattn._internal.engine.profiles import profile_settings

    profile_settings(profile)  # an unknown profile is a usage error before anything runs
    if not any(name_matches(name, select) for name in CHECKS):
        raise ValueError(f"survey -k {select!r} matches no check; known: {', '.join(CHECKS)}")
    if kind not in (None, "mask", "model"):
        raise ValueError(f"survey --kind: {kind!r} is not one of mask, model")
    every = (*registry.ADAPTERS, *registry.MODEL_ADAPTERS)
    return [
        n for n in (every if adapters is None else adapters) if kind in (None, registry.kind(n))
    ]


def _survey_all(
    names: list[str],
    profile: str,
    select: str | None,
    timeout: float | None,
    progress: bool,
    precisions: Any = None,
    workers: int = 1,
) -> list[dict[str, Any]]:
    """Each adapter's entry, in order, under one progress bar (in ``workers`` processes)."""
    import torch

    # the checks make many tiny calls: one intra-op thread is fastest (as chunkattn verify)
    torch.set_num_threads(1)
    if workers > 1 and len(names) > 1:
        return _survey_in_workers(
            names, workers, progress, _How(profile, select, timeout, precisions)
        )
    config, seeds = _inputs()
    bar = progress_bar("survey", 52, disable=not progress)
    entries = []
    with bar:
        task = bar.add_task("", total=len(names))
        for name in names:

            def show(check: str, name: str = name) -> None:
                bar.update(task, description=f"{name} {check}")

            entries.append(
                survey_adapter(
                    name,
                    profile=profile,
                    select=select,
                    seeds=seeds,
                    config=config,
                    timeout=timeout,
                    on_check=show,
                    precisions=precisions,
                )
            )
            bar.advance(task)
    return entries


def _inputs() -> tuple[Any, dict[str, Any]]:
    """The default config and the regression seeds, as ``verify`` loads them."""
    from chunkattn._internal.contract.loader import load_config
    from chunkattn._internal.engine.seeds import load_seeds

    return load_config(), load_seeds()


@dataclass(frozen=True)
class _How:
    """How each entry is surveyed, as a worker task is given it (plain values: it is pickled
    where workers are spawned rather than forked)."""

    profile: str
    select: str | None
    timeout: float | None
    precisions: Any


def _survey_group(names: list[str], how: _How) -> list[dict[str, Any]]:
    """The entries of ``names``, one after the other in this (worker) process."""
    config, seeds = _inputs()
    return [
        survey_adapter(
            name,
            profile=how.profile,
            select=how.select,
            seeds=seeds,
            config=config,
            timeout=how.timeout,
            precisions=how.precisions,
        )
        for name in names
    ]


def _groups(names: list[str]) -> list[list[str]]:
    """What each worker task surveys: one entry, or every entry of a module that declares
    ``SURVEY_TOGETHER`` (first: those tasks are the long ones, so they start first)."""
    from chunkattn import adapters

    together: dict[str, list[str]] = {}
    alone: list[list[str]] = []
    for name in names:
        module = adapters.load(name)
        if getattr(module, "SURVEY_TOGETHER", False):
            together.setdefault(module.__name__, []).append(name)
        else:
            alone.append([name])
    return [*together.values(), *alone]


def _survey_in_workers(
    names: list[str], workers: int, progress: bool, how: _How
) -> list[dict[str, Any]]:
    """Each adapter's entry, surveyed in ``workers`` processes, returned in ``names``' order."""
    from concurrent.futures import as_completed

    from chunkattn._internal.commands.fuzz import worker_pool

    found: dict[str, dict[str, Any]] = {}
    with worker_pool(workers) as pool:
        # the workers fork at the first submit: before the progress bar's thread exists
        tasks = {pool.submit(_survey_group, group, how): group for group in _groups(names)}
        bar = progress_bar("survey", 52, disable=not progress)
        with bar:
            task = bar.add_task("", total=len(names))
            for future in as_completed(tasks):
                group = tasks[future]
                for entry in future.result():
                    found[entry["adapter"]] = entry
                bar.update(task, description=group[-1], advance=len(group))
    return [found[name] for name in names]


def _render(entries: list[dict[str, Any]], profile: str) -> None:
    """The survey as a table, then each failure with its counterexample."""
    from rich.console import Console
    from rich.table import Table

    out = Console(highlight=False, soft_wrap=True)
    table = Table(
        title=f"chunkattn survey (profile {profile})", title_justify="left", show_lines=True
    )
    table.add_column("adapter: variant, mapping", ratio=1, overflow="fold")
    table.add_column("kind", no_wrap=True)
    table.add_column("library", no_wrap=True)
    table.add_column("pass/fail/skip", justify="right", no_wrap=True)
    for e in entries:
        table.add_row(*_row(e))
    out.print(table)
    for e in entries:
        for line in _failure_lines(e):
            out.print(line)
    surveyed = sum(e["installed"] for e in entries)
    failing = sum(e["ok"] is False for e in entries)
    out.print(f"{surveyed} adapters surveyed, {failing} with failures")


def _row(e: dict[str, Any]) -> tuple[str, str, str, str]:
    """One adapter's row of the table (rich markup)."""
    from rich.markup import escape

    if not e["installed"]:
        library, counts = f"{escape(e['library'])}\n[yellow]not installed[/]", "-"
    elif "error" in e:
        library = f"{escape(e['library'])}\n{escape(e['version'] or '?')}"
        counts = "[bold red]error[/]"
    else:
        statuses = [Status(c["status"]) for c in e["checks"]]
        bad = sum(s.failed for s in statuses)
        library = f"{escape(e['library'])}\n{escape(e['version'] or '?')}"
        counts = "/".join(
            (
                str(statuses.count(Status.PASS)),
                f"[bold red]{bad}[/]" if bad else "0",
                str(statuses.count(Status.SKIP)),
            )
        )
    adapter = (
        f"[bold]{escape(e['adapter'])}[/]\n{escape(e['variant'])}\n[dim]{escape(e['mapping'])}[/]"
    )
    return adapter, e["kind"], library, counts


def _failure_lines(e: dict[str, Any]) -> list[str]:
    """An adapter's error and its failing checks (rich markup); FAIL lines end with the hint."""
    from rich.markup import escape

    from chunkattn._internal.commands.report import explain_hint

    lines = []
    if "error" in e:
        lines.append(f"[bold red]ERROR[/] {escape(e['adapter'])}: {escape(e['error'])}")
    for c in e["checks"]:
        status = Status(c["status"])
        if status.failed:
            detail = (
                f"{e['adapter']} ({e['library']} {e['version']}) {c['name']}{' [' + c['precision'] + ']' if 'precision' in c else ''}  "
                f"counterexample: {c['counterexample']}  {c['message']}"
            )
            if status is Status.FAIL:
                detail += f"  {explain_hint(c['name'])}"
            lines.append(f"[bold red]{status.upper()}[/] {escape(detail)}")
    return lines
