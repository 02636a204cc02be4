"""``chunkattn fuzz``: a long campaign of the named checks in worker processes, one database.

The engines are existing ones: a :class:`~concurrent.futures.ProcessPoolExecutor` runs the
workers, Hypothesis generates and shrinks, and the example database (``--db``: Redis through
Hypothesis's ``RedisExampleDatabase``, or a directory) holds the corpus. The campaign only keeps
the pool fed with *slices* — one check, explored by Hypothesis for a few seconds under a seed of
its own — round-robin over the checks that are still open, until the time budget is spent or
every check has failed. Each worker replays what the database holds before it explores, so a
failure found by any worker, process or machine is found again by every later run.

Slices use the campaign scope (:attr:`CheckContext.wide`): long sequences and deep left context
that a pytest run cannot afford.
"""

from __future__ import annotations

import dataclasses
import itertools
import multiprocessing
import random
import secrets
import signal
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from rich.console import Console
from rich.live import Live
from rich.table import Table

from chunkattn._internal.checks import CHECKS
from chunkattn._internal.commands.report import result_line
from chunkattn._internal.engine.database import DatabaseLost, open_database, screen_failures
from chunkattn._internal.engine.limits import TargetTimeout
from chunkattn._internal.engine.profiles import profile_settings
from chunkattn._internal.engine.registry import CheckContext
from chunkattn._internal.engine.runner import CheckResult, run_check
from chunkattn._internal.engine.seeds import add_seed, format_seeds
from chunkattn._internal.engine.target import load_target

__all__ = ["Campaign", "explore_slice", "run_fuzz", "seeds_from_database"]

#: examples one slice asks Hypothesis for, and the most seconds it may take
SLICE_EXAMPLES = 200
SLICE_SECONDS = 15.0
#: seconds past the budget after which slices still running are stopped
OVERRUN = 30.0
#: where a campaign keeps what it found when the shared database went away
FOUND_FILE = "chunkattn-found.yaml"
#: the directory database a campaign uses without --db (Hypothesis's own default location)
LOCAL_DB = ".hypothesis/examples"


@dataclass(frozen=True)
class Campaign:
    """What every worker needs to rebuild the run on its side (plain values: it is pickled)."""

    impl: str | None
    model: str | None
    db: str
    timeout: float | None


@dataclass
class Tally:
    """One check's progress over the campaign."""

    examples: int = 0
    slices: int = 0
    running: int = 0
    result: CheckResult | None = None  # the failure, or the exhaustive check's verdict

    @property
    def open(self) -> bool:
        return self.result is None


@dataclass
class SliceOutcome:
    result: CheckResult | None
    lost: str | None = None


@cache
def _worker_context(campaign: Campaign) -> tuple[CheckContext, settings]:
    """The target and settings of this worker process, built once per process."""
    import torch

    torch.set_num_threads(1)
    target = load_target(campaign.impl, campaign.model, timeout=campaign.timeout)
    profile = settings(
        profile_settings("dev"),
        max_examples=SLICE_EXAMPLES,
        database=open_database(campaign.db),
        derandomize=False,
        print_blob=False,
        suppress_health_check=list(HealthCheck),
    )
    return CheckContext(target, wide=True), profile


def explore_slice(campaign: Campaign, name: str, seed: int, seconds: float) -> SliceOutcome:
    """Run check ``name`` for at most ``seconds`` (a worker task). Never raises: whatever goes
    wrong is this slice's ``error``, so one broken check cannot end the campaign."""
    try:
        ctx, profile = _worker_context(campaign)
        stop_at = time.monotonic() + max(0.0, seconds)
        return SliceOutcome(run_check(CHECKS[name], ctx, profile, seed=seed, stop_at=stop_at))
    except DatabaseLost as exc:
        return SliceOutcome(getattr(exc, "result", None), lost=str(exc))
    except (Exception, TargetTimeout) as exc:
        message = f"the slice itself failed: {exc.__class__.__name__}: {exc}"
        return SliceOutcome(CheckResult(name, "error", message=message))


def _worker_start() -> None:
    # Ctrl-C is the parent's to handle: it stops the campaign and prints what was found
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _start_method() -> str:
    # on Linux, fork shares the parent's imported torch and target (no second import per
    # worker); elsewhere fork is unsafe with torch
    return "fork" if sys.platform == "linux" else "spawn"


def run_fuzz(
    *,
    impl: str | None,
    model: str | None,
    db: str | None,
    workers: int,
    max_time: float,
    select: Any,
    timeout: float | None,
    seed: int | None,
) -> int:
    """Run the campaign, show its progress, print the verdict; the exit status (0, 1, 2)."""
    import torch

    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    url = db or LOCAL_DB
    # unreachable: DatabaseLost, one line and exit 2 from the command
    screened = screen_failures(open_database(url))
    torch.set_num_threads(1)
    campaign = Campaign(impl, model, url, timeout)
    target = load_target(impl, model, timeout=timeout)
    checks = [c for c in CHECKS.values() if select(c.name) and c.skip_reason(target) is None]
    if not checks:
        raise ValueError(f"no check that applies to {target.name} matches -k")
    seed = secrets.randbits(32) if seed is None else seed
    rng = random.Random(seed)
    tallies = {c.name: Tally() for c in checks}
    out.print(
        f"fuzz: {target.name}   {len(checks)} checks   {workers} workers   {max_time:g} s   "
        f"database: {url}   seed: {seed}",
        markup=False,
    )
    note = screened.note(url)
    if note:
        err.print(f"chunkattn: {note}", markup=False)

    deadline = time.monotonic() + max_time
    started = time.monotonic()
    lost: str | None = None
    pending: dict[Future, str] = {}
    rotation = itertools.cycle([c.name for c in checks])

    def next_open() -> str | None:
        for _ in range(len(checks)):
            name = next(rotation)
            tally = tallies[name]
            if tally.open and not (CHECKS[name].exhaustive and tally.running):
                return name
        return None

    def submit(pool: ProcessPoolExecutor) -> bool:
        name = next_open()
        remaining = deadline - time.monotonic()
        if name is None or remaining <= 0:
            return False
        # short enough that every check gets a slice within the budget
        seconds = min(SLICE_SECONDS, remaining, max(2.0, max_time * workers / len(checks)))
        future = pool.submit(explore_slice, campaign, name, rng.getrandbits(64), seconds)
        pending[future] = name
        tallies[name].running += 1
        return True

    def record(name: str, outcome: SliceOutcome) -> None:
        tally = tallies[name]
        result = outcome.result
        if result is None:
            return
        tally.slices += 1
        tally.examples += result.examples
        if result.status in ("fail", "error"):
            if tally.result is None:
                err.print(
                    f"found: {name} after {tally.examples} examples, "
                    f"{time.monotonic() - started:.0f} s: {result.counterexample}  "
                    f"{result.message}",
                    markup=False,
                )
                tally.result = result
        elif CHECKS[name].exhaustive and result.examples and "budget" not in result.message:
            tally.result = result

    context = multiprocessing.get_context(_start_method())
    hard_stop = deadline + OVERRUN + (timeout or 0.0)
    interrupted = False
    try:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_start) as pool:
            # the workers start (fork) here, before the live display and its thread exist
            while len(pending) < workers and submit(pool):
                pass
            with Live(
                _table(tallies, started, deadline), console=err, refresh_per_second=2
            ) as live:
                while pending:
                    if time.monotonic() > hard_stop:
                        for child in multiprocessing.active_children():
                            child.terminate()
                        lost = lost or (
                            f"{', '.join(sorted(set(pending.values())))} still running "
                            f"{OVERRUN:g} s past the time budget: stopped"
                        )
                        break
                    done, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                    for future in done:
                        name = pending.pop(future)
                        tallies[name].running -= 1
                        outcome = future.result()
                        record(name, outcome)
                        if outcome.lost and lost is None:
                            lost = outcome.lost
                    while lost is None and len(pending) < workers and submit(pool):
                        pass
                    live.update(_table(tallies, started, deadline))
            pool.shutdown(wait=False, cancel_futures=True)
        err.print()
    except KeyboardInterrupt:
        interrupted = True
    except BrokenProcessPool as exc:
        lost = lost or f"a worker process died: {exc}"

    return _report(out, err, target.name, tallies, started, lost, interrupted, checks)


def _table(tallies: dict[str, Tally], started: float, deadline: float) -> Table:
    now = time.monotonic()
    table = Table(
        title=f"fuzz: {now - started:.0f} s elapsed, {max(0.0, deadline - now):.0f} s left",
        title_justify="left",
    )
    for column in ("check", "examples", "state"):
        table.add_column(column)
    for name, tally in tallies.items():
        if tally.result is None:
            state = "exploring" if tally.running else "open"
        else:
            state = tally.result.status
        table.add_row(name, str(tally.examples), state)
    found = sum(t.result is not None and t.result.status != "pass" for t in tallies.values())
    table.caption = f"{sum(t.examples for t in tallies.values())} examples, {found} failures found"
    return table


def _report(
    out: Console,
    err: Console,
    target: str,
    tallies: dict[str, Tally],
    started: float,
    lost: str | None,
    interrupted: bool,
    checks: list,
) -> int:
    failures, unexplored = [], 0
    for check in checks:
        tally = tallies[check.name]
        result = tally.result or CheckResult(check.name, "pass")
        status = (
            result.status if tally.result is not None else "pass" if tally.examples else "not run"
        )
        unexplored += status == "not run"
        if status in ("fail", "error"):
            failures.append((check.name, result))
        shown = dataclasses.replace(result, examples=tally.examples)
        out.print(result_line(shown, examples_width=7, status=status, seconds=False))
    total = sum(t.examples for t in tallies.values())
    passed = len(checks) - len(failures) - unexplored
    out.print(
        f"{len(failures)} failed, {passed} passed"
        + (f", {unexplored} not run (no example within the budget)" if unexplored else "")
        + f": {total} examples on {target} in {time.monotonic() - started:.0f} s",
        markup=False,
    )
    if lost is not None:
        kept = _keep(failures)
        err.print(f"chunkattn: error: {lost}; the campaign stopped{kept}", markup=False)
        return 1 if failures else 2
    if interrupted:
        return 130
    return 1 if failures else 0


def _keep(failures: list[tuple[str, CheckResult]]) -> str:
    """Write what was found to a local seeds file (the shared database is gone)."""
    if not failures:
        return ""
    path = Path(FOUND_FILE)
    try:
        for name, result in failures:
            if result.counterexample is not None:
                add_seed(path, name, result.counterexample)
    except (OSError, ValueError) as exc:
        return f"; could not keep the failures in {path}: {exc}"
    return f"; the failures found are kept in {path} (replay: chunkattn verify --seeds {path})"


def seeds_from_database(url: str, out: str | None) -> int:
    """``chunkattn seeds export``: the failing cases stored in ``url`` as regression seeds;
    entries that do not fit their check's case schema are left out, with one line saying so."""
    screened = screen_failures(open_database(url))
    entries = screened.entries
    if screened.set_aside:
        Console(stderr=True, highlight=False).print(
            f"chunkattn: left out {screened.described()} (first: {screened.reason})",
            markup=False,
            soft_wrap=True,
        )
    if out is None:
        grouped: dict[str, list] = {}
        for entry in entries:
            cases = grouped.setdefault(entry["check"], [])
            if entry["case"] not in cases:
                cases.append(entry["case"])
        sys.stdout.write(format_seeds(grouped))
        return 0
    added = sum(add_seed(out, e["check"], e["case"]) for e in entries)
    Console(stderr=True, highlight=False).print(
        f"{added} new seeds from {len(entries)} stored failures in {out}", markup=False
    )
    return 0
