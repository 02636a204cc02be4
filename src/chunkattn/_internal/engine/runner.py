"""Run one named check outside pytest: replay its seeds, then explore with Hypothesis.

The result records what a report needs: pass/fail/skip/error, how many examples ran, and the
shrunk counterexample (the last failing case Hypothesis replays is its minimal one).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from hypothesis import Phase, Verbosity, given, settings
from hypothesis.errors import HypothesisException

from chunkattn._internal.engine.database import (
    DatabaseLost,
    GuardedDatabase,
    record_failure,
    stored_cases,
)
from chunkattn._internal.engine.limits import TargetTimeout
from chunkattn._internal.engine.registry import Case, Check, CheckContext

__all__ = ["BudgetSpent", "CheckResult", "Outcome", "identifier", "run_check", "run_checks"]

#: seconds a found failure may go on shrinking past the time budget before it is reported as is
SHRINK_GRACE = 60.0


class BudgetSpent(BaseException):  # noqa: N818 (reads as what happened)
    """The run's time budget is spent (campaigns stop each check this way)."""


@dataclass
class CheckResult:
    name: str
    status: str  # pass | fail | skip | error
    examples: int = 0
    counterexample: Case | None = None
    message: str = ""
    #: wall time of the check (replays and exploration), so a report shows where a run's time goes
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Outcome:
    """What :func:`run_checks` ran: one result per check run, and why it stopped early."""

    results: list[CheckResult] = field(default_factory=list)
    #: the shared database went away (the results are what was found before)
    lost: str | None = None

    @property
    def ok(self) -> bool:
        return all(r.status in ("pass", "skip") for r in self.results)


def run_checks(
    checks: Iterable[Check],
    ctx: CheckContext,
    profile: settings,
    seeds: Mapping[str, list[Case]] | None = None,
    *,
    on_check: Callable[[str], None] | None = None,
) -> Outcome:
    """The one loop over selected checks that ``verify``, ``survey`` and ``doctor`` share: each
    check's seeds replayed, then explored; ``on_check(name)`` before each (a progress bar).
    A lost shared database ends the loop with what was found."""
    outcome = Outcome()
    for check in checks:
        if on_check is not None:
            on_check(check.name)
        try:
            outcome.results.append(
                run_check(check, ctx, profile, (seeds or {}).get(check.name, []))
            )
        except DatabaseLost as exc:
            if getattr(exc, "result", None) is not None:
                outcome.results.append(exc.result)
            outcome.lost = str(exc)
            break
    return outcome


def identifier(name: str) -> str:
    """``name`` as a Python identifier (Hypothesis keys its database on the function name)."""
    return re.sub(r"\W", "_", name)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return first if isinstance(exc, AssertionError) else f"{exc.__class__.__name__}: {first}"


def run_check(
    check: Check,
    ctx: CheckContext,
    profile: settings,
    seeds: list[Case] = (),
    *,
    seed: int | None = None,
    stop_at: float | None = None,
) -> CheckResult:
    """Replay ``seeds`` (failing one is reported as a replayed case), then run the property.

    With a shared database (``--db``, a :class:`GuardedDatabase` as the profile's database) the
    failing cases stored there are replayed after the seeds, and a new failure is stored.
    ``seed`` fixes Hypothesis's randomness; ``stop_at`` (a ``time.monotonic()`` instant) ends
    the exploration early, a pass with the examples run so far. Raises
    :class:`~chunkattn._internal.engine.database.DatabaseLost` (with ``.result``: the failure found, if
    any) when the shared database goes away.
    """
    started = time.monotonic()
    try:
        result = _run(check, ctx, profile, seeds, seed, stop_at)
    except DatabaseLost as exc:
        if getattr(exc, "result", None) is not None:
            exc.result.seconds = round(time.monotonic() - started, 3)
        raise
    result.seconds = round(time.monotonic() - started, 3)
    return result


def _run(
    check: Check,
    ctx: CheckContext,
    profile: settings,
    seeds: list[Case],
    seed: int | None,
    stop_at: float | None,
) -> CheckResult:
    reason = check.skip_reason(ctx.target)
    if reason:
        return CheckResult(check.name, "skip", message=reason)
    database = profile.database if isinstance(profile.database, GuardedDatabase) else None
    replays = [(ctx.target.pin(case), "regression seed failed") for case in seeds]
    if database is not None:
        replays += [
            (ctx.target.pin(case), "stored failure replayed from the database")
            for case in stored_cases(database, check.name, ctx.target.name)
        ]
    for case, what in replays:
        try:
            check.run(ctx, case)
        except TargetTimeout as exc:
            return CheckResult(check.name, "error", 1, case, str(exc))
        except Exception as exc:
            return CheckResult(check.name, "fail", 1, case, f"{what}: {_one_line(exc)}")
    result = _explore(check, ctx, profile, len(replays), seed, stop_at)
    if database is not None and result.status == "fail" and result.counterexample is not None:
        try:
            record_failure(database, check.name, ctx.target.name, result.counterexample)
        except DatabaseLost as exc:
            exc.result = result
            raise
    return result


def _explore(
    check: Check,
    ctx: CheckContext,
    profile: settings,
    replayed: int,
    seed: int | None,
    stop_at: float | None,
) -> CheckResult:
    if Phase.generate not in profile.phases:
        if not replayed:
            return CheckResult(check.name, "skip", message="no regression seeds to replay")
        return CheckResult(check.name, "pass", replayed, message="seeds only")

    calls = 0
    failure: dict[str, Any] = {}

    def prop(case: Case) -> None:
        nonlocal calls
        if stop_at is not None:
            late = time.monotonic() - stop_at
            if late > 0 and not failure or late > SHRINK_GRACE:
                raise BudgetSpent
        calls += 1
        try:
            check.run(ctx, case)
        except (Exception, TargetTimeout) as exc:
            failure.update(case=case, exc=exc)
            raise

    prop.__name__ = identifier(f"{check.name}__{ctx.target.name}")
    # every prop has the same source: the database key must tell checks, targets and scopes apart
    scope = "wide" if ctx.wide else "narrow"
    prop._hypothesis_internal_add_digest = f"{check.name}|{ctx.target.name}|{scope}".encode()
    if seed is not None:
        # what @hypothesis.seed sets, without the database=None that @seed also sets
        prop._hypothesis_internal_use_seed = seed
    examples = max(1, round(profile.max_examples * check.example_share))
    test = settings(
        profile, max_examples=examples, report_multiple_bugs=False, verbosity=Verbosity.quiet
    )(given(check.strategy(ctx.wide).map(ctx.target.pin))(prop))
    try:
        test()
    except BudgetSpent:
        if failure:
            return CheckResult(
                check.name,
                "fail",
                calls,
                failure["case"],
                f"{_one_line(failure['exc'])} (shrinking cut short by the time budget)",
            )
        return CheckResult(check.name, "pass", calls + replayed, message="time budget spent")
    except DatabaseLost as exc:
        if failure:
            exc.result = CheckResult(
                check.name, "fail", calls, failure["case"], _one_line(failure["exc"])
            )
        raise
    except TargetTimeout as exc:
        return CheckResult(check.name, "error", calls, failure.get("case"), str(exc))
    except HypothesisException as exc:
        if failure:
            return CheckResult(
                check.name, "fail", calls, failure["case"], _one_line(failure["exc"])
            )
        return CheckResult(check.name, "error", calls, message=_one_line(exc))
    except Exception:
        if failure:
            return CheckResult(
                check.name, "fail", calls, failure["case"], _one_line(failure["exc"])
            )
        raise
    return CheckResult(check.name, "pass", calls + replayed)
