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
from dataclasses import dataclass, field
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
from chunkattn._internal.engine.precision import DEFAULT_PRECISIONS, Precision
from chunkattn._internal.engine.profiles import profile_settings
from chunkattn._internal.engine.registry import Check, CheckContext
from chunkattn._internal.engine.results import CheckResult, ExitCode, Status
from chunkattn._internal.engine.runner import run_check
from chunkattn._internal.engine.seeds import add_seed, format_seeds
from chunkattn._internal.engine.target import load_target

__all__ = ["Campaign", "explore_slice", "run_fuzz", "seeds_from_database", "worker_pool"]

#: examples one slice asks Hypothesis for, and the most seconds it may take
SLICE_EXAMPLES = 200
SLICE_SECONDS = 15.0
#: seconds past the budget after which slices still running are stopped
OVERRUN = 30.0
#: how the verdict shows a check no slice explored within the budget (not a Status: no check
#: ends so, only a campaign's report)
NOT_RUN = "not run"
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
    device: str | None = None


@dataclass(frozen=True)
class Unit:
    """What a slice explores: one check, in one precision for a ``model.*``/``stream.*`` check."""

    check: Check
    precision: str | None = None

    @property
    def name(self) -> str:
        """The check's name, and its precision: ``model.finite [16-mixed]``."""
        return (
            self.check.name if self.precision is None else f"{self.check.name} [{self.precision}]"
        )

    @property
    def exhaustive(self) -> bool:
        return self.check.exhaustive


def units(checks: list[Check], precisions: tuple[Any, ...]) -> list[Unit]:
    """Each check once, a ``model.*``/``stream.*`` check once per precision."""
    return [
        unit
        for check in checks
        for unit in (
            [Unit(check, str(p)) for p in precisions] if check.per_precision else [Unit(check)]
        )
    ]


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


@cache
def _worker_context(campaign: Campaign) -> tuple[CheckContext, settings]:
    """The target and settings of this worker process, built once per process."""
    import torch

    torch.set_num_threads(1)
    target = load_target(
        campaign.impl, campaign.model, timeout=campaign.timeout, device=campaign.device
    )
    profile = settings(
        profile_settings("dev"),
        max_examples=SLICE_EXAMPLES,
        database=open_database(campaign.db),
        derandomize=False,
        print_blob=False,
        suppress_health_check=list(HealthCheck),
    )
    return CheckContext(target, wide=True), profile


def explore_slice(campaign: Campaign, name: str, seed: int, seconds: float) -> CheckResult:
    """Run check ``name`` (``model.finite [16-mixed]``: in that precision) for at most
    ``seconds`` (a worker task). Never raises: whatever goes wrong is this slice's ``error``,
    so one broken check cannot end the campaign; a lost database is the result's ``lost``."""
    name, _, precision = name.partition(" [")
    try:
        ctx, profile = _worker_context(campaign)
        if precision:
            ctx = dataclasses.replace(ctx, precision=Precision(precision.rstrip("]")))
        stop_at = time.monotonic() + max(0.0, seconds)
        return run_check(CHECKS[name], ctx, profile, seed=seed, stop_at=stop_at)
    except DatabaseLost as exc:  # opening the database, before the check ran
        return CheckResult(name, Status.ERROR, message=str(exc), lost=str(exc))
    except (Exception, TargetTimeout) as exc:
        message = f"the slice itself failed: {exc.__class__.__name__}: {exc}"
        return CheckResult(name, Status.ERROR, message=message)


def _worker_start() -> None:
    # Ctrl-C is the parent's to handle: it stops the campaign and prints what was found
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _start_method() -> str:
    # on Linux, fork shares the parent's imported torch and target (no second import per
    # worker); elsewhere fork is unsafe with torch
    return "fork" if sys.platform == "linux" else "spawn"


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """The pool of ``workers`` processes that ``fuzz`` (and ``survey``) run their work in:
    forked on Linux, so each shares what the parent imported (torch above all), and deaf to
    Ctrl-C, which the parent handles. The processes start with the first task submitted:
    submit before starting any thread (a live display) in the parent."""
    context = multiprocessing.get_context(_start_method())
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_start)


@dataclass
class _Schedule:
    """Which check the next slice explores, and for how long; what the slices found.

    Slices go round-robin over the checks still open (an exhaustive check one at a time),
    each short enough that every check gets one within the budget.
    """

    campaign: Campaign
    checks: list[Unit]
    workers: int
    max_time: float
    rng: random.Random
    started: float = field(default_factory=time.monotonic)
    tallies: dict[str, Tally] = field(default_factory=dict)
    pending: dict[Future, str] = field(default_factory=dict)
    lost: str | None = None

    def __post_init__(self) -> None:
        self.deadline = self.started + self.max_time
        self.tallies = {c.name: Tally() for c in self.checks}
        self.units = {c.name: c for c in self.checks}
        self._rotation = itertools.cycle([c.name for c in self.checks])

    def _next_open(self) -> str | None:
        for _ in range(len(self.checks)):
            name = next(self._rotation)
            tally = self.tallies[name]
            if tally.open and not (self.units[name].exhaustive and tally.running):
                return name
        return None

    def submit(self, pool: ProcessPoolExecutor) -> bool:
        """Start one more slice in ``pool``; False when none is left to start."""
        if self.lost is not None or len(self.pending) >= self.workers:
            return False
        name = self._next_open()
        remaining = self.deadline - time.monotonic()
        if name is None or remaining <= 0:
            return False
        share = max(2.0, self.max_time * self.workers / len(self.checks))
        seconds = min(SLICE_SECONDS, remaining, share)
        future = pool.submit(explore_slice, self.campaign, name, self.rng.getrandbits(64), seconds)
        self.pending[future] = name
        self.tallies[name].running += 1
        return True

    def record(self, future: Future) -> CheckResult | None:
        """Count the finished slice ``future``; the failure it found first, if any."""
        name = self.pending.pop(future)
        tally = self.tallies[name]
        tally.running -= 1
        result = future.result()
        if result.lost is not None:
            self.lost = self.lost or result.lost
            if result.status is not Status.FAIL:
                return None
        tally.slices += 1
        tally.examples += result.examples
        if result.status.failed:
            if tally.result is None:
                tally.result = result
                return result
        elif self.units[name].exhaustive and result.examples and "budget" not in result.message:
            tally.result = result
        return None

    def overdue(self) -> bool:
        """Slices still running past the budget, its grace and one call's limit: say so."""
        if time.monotonic() <= self.deadline + OVERRUN + (self.campaign.timeout or 0.0):
            return False
        running = ", ".join(sorted(set(self.pending.values())))
        self.lost = self.lost or (
            f"{running} still running {OVERRUN:g} s past the time budget: stopped"
        )
        return True


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
    precisions: tuple[Any, ...] | None = None,
    device: str | None = None,
) -> ExitCode:
    """Run the campaign, show its progress, print the verdict; the exit status. A
    ``model.*``/``stream.*`` check is explored once per precision of ``precisions`` (None:
    what the model declares, else ``32-true``), on ``device``."""
    import torch

    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    url = db or LOCAL_DB
    # unreachable: DatabaseLost, one line and exit 2 from the command
    screened = screen_failures(open_database(url))
    torch.set_num_threads(1)
    target = load_target(impl, model, timeout=timeout, device=device)
    chosen = precisions or target.precisions or DEFAULT_PRECISIONS
    checks = [c for c in CHECKS.values() if select(c.name) and c.skip_reason(target) is None]
    if not checks:
        raise ValueError(f"no check that applies to {target.name} matches -k")
    checks = units(checks, tuple(chosen))
    seed = secrets.randbits(32) if seed is None else seed
    out.print(
        f"fuzz: {target.name}   {len(checks)} checks   {workers} workers   {max_time:g} s   "
        f"database: {url}   seed: {seed}",
        markup=False,
    )
    note = screened.note(url)
    if note:
        err.print(f"chunkattn: {note}", markup=False)
    campaign = Campaign(impl, model, url, timeout, target.device)
    schedule = _Schedule(campaign, checks, workers, max_time, random.Random(seed))
    interrupted = _drive(schedule, err)
    return _report(out, err, target.name, schedule, interrupted)


def _drive(schedule: _Schedule, err: Console) -> bool:
    """Keep the pool fed with slices until the budget is spent or nothing is open; print each
    failure as it is found and the live table. True if interrupted (Ctrl-C)."""
    try:
        with worker_pool(schedule.workers) as pool:
            # the workers start (fork) here, before the live display and its thread exist
            while schedule.submit(pool):
                pass
            with Live(_table(schedule), console=err, refresh_per_second=2) as live:
                while schedule.pending:
                    if schedule.overdue():
                        for child in multiprocessing.active_children():
                            child.terminate()
                        break
                    done, _ = wait(schedule.pending, timeout=0.5, return_when=FIRST_COMPLETED)
                    for future in done:
                        name = schedule.pending[future]
                        found = schedule.record(future)
                        if found is not None:
                            err.print(_found_line(schedule, name, found), markup=False)
                    while schedule.submit(pool):
                        pass
                    live.update(_table(schedule))
            # wait: the pool's manager thread must be gone before the interpreter exits.
            # Python < 3.12.8 wakes it at exit without a lock while it closes that pipe, and
            # the race prints 'OSError: [Errno 9] Bad file descriptor' (CPython gh-125451)
            pool.shutdown(wait=True, cancel_futures=True)
        err.print()
    except KeyboardInterrupt:
        return True
    except BrokenProcessPool as exc:
        schedule.lost = schedule.lost or f"a worker process died: {exc}"
    return False


def _found_line(schedule: _Schedule, name: str, result: CheckResult) -> str:
    return (
        f"found: {name} after {schedule.tallies[name].examples} examples, "
        f"{time.monotonic() - schedule.started:.0f} s: {result.counterexample}  "
        f"{result.message}"
    )


def _table(schedule: _Schedule) -> Table:
    now, tallies = time.monotonic(), schedule.tallies
    table = Table(
        title=f"fuzz: {now - schedule.started:.0f} s elapsed, "
        f"{max(0.0, schedule.deadline - now):.0f} s left",
        title_justify="left",
    )
    for column in ("check", "examples", "state"):
        table.add_column(column)
    for name, tally in tallies.items():
        if tally.result is None:
            state = "exploring" if tally.running else "open"
        else:
            state = str(tally.result.status)
        table.add_row(name, str(tally.examples), state)
    found = sum(t.result is not None and t.result.status != Status.PASS for t in tallies.values())
    table.caption = f"{sum(t.examples for t in tallies.values())} examples, {found} failures found"
    return table


def _report(
    out: Console, err: Console, target: str, schedule: _Schedule, interrupted: bool
) -> ExitCode:
    failures, unexplored = [], 0
    for unit in schedule.checks:
        tally = schedule.tallies[unit.name]
        result = tally.result or CheckResult(unit.check.name, Status.PASS, precision=unit.precision)
        status = (
            result.status
            if tally.result is not None
            else Status.PASS
            if tally.examples
            else NOT_RUN
        )
        unexplored += status == NOT_RUN
        if status in (Status.FAIL, Status.ERROR):
            failures.append((unit.check.name, result))
        shown = dataclasses.replace(result, examples=tally.examples)
        out.print(result_line(shown, examples_width=7, status=status, seconds=False))
    total = sum(t.examples for t in schedule.tallies.values())
    passed = len(schedule.checks) - len(failures) - unexplored
    out.print(
        f"{len(failures)} failed, {passed} passed"
        + (f", {unexplored} not run (no example within the budget)" if unexplored else "")
        + f": {total} examples on {target} in {time.monotonic() - schedule.started:.0f} s",
        markup=False,
    )
    if schedule.lost is not None:
        kept = _keep(failures)
        err.print(f"chunkattn: error: {schedule.lost}; the campaign stopped{kept}", markup=False)
        return ExitCode.FINDING if failures else ExitCode.USAGE
    if interrupted:
        return ExitCode.INTERRUPTED
    return ExitCode.of(not failures)


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


def seeds_from_database(url: str, out: str | None) -> ExitCode:
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
        return ExitCode.OK
    added = sum(add_seed(out, e["check"], e["case"]) for e in entries)
    Console(stderr=True, highlight=False).print(
        f"{added} new seeds from {len(entries)} stored failures in {out}", markup=False
    )
    return ExitCode.OK
