"""Run one named check outside pytest: replay its seeds, then explore with Hypothesis.

The result (:class:`~chunkattn._internal.engine.results.CheckResult`) records what a report
needs: pass/fail/skip/error, how many examples ran, and the shrunk counterexample (the last
failing case Hypothesis replays is its minimal one). A shared database that goes away is part
of the result (``CheckResult.lost``), never an exception past this module.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from hypothesis import Phase, Verbosity, given, settings
from hypothesis.errors import HypothesisException

from chunkattn._internal.engine.database import (
    DatabaseLost,
    GuardedDatabase,
    record_failure,
    stored_cases,
)
from chunkattn._internal.engine.limits import TargetTimeout
from chunkattn._internal.engine.precision import Precision
from chunkattn._internal.engine.registry import Case, Check, CheckContext
from chunkattn._internal.engine.results import CheckResult, Status, all_ok

__all__ = [
    "SHRINK_BUDGET",
    "BudgetSpent",
    "Outcome",
    "compile_seconds",
    "database_key",
    "identifier",
    "precision_skip",
    "run_check",
    "run_checks",
    "runs",
]

#: seconds a found failure may go on shrinking past the time budget before it is reported as is
SHRINK_GRACE = 60.0
#: seconds a check may spend shrinking a failure it found (from the first failing call) before
#: the failure is reported as shrunk so far, with or without a time budget: the verdict is
#: known at the first failure, and a target whose every shrink step is slow (a new input shape
#: is a new ``torch.compile`` compilation) would otherwise keep ``verify`` silent for minutes
SHRINK_BUDGET = 60.0


class BudgetSpent(BaseException):  # noqa: N818 (reads as what happened)
    """The run's time budget is spent (campaigns stop each check this way)."""


@dataclass
class Outcome:
    """What :func:`run_checks` ran: one result per check run, and why it stopped early."""

    results: list[CheckResult] = field(default_factory=list)
    #: the shared database went away (the results are what was found before)
    lost: str | None = None

    @property
    def ok(self) -> bool:
        return all_ok(self.results)


def run_checks(
    checks: Iterable[Check],
    ctx: CheckContext,
    profile: settings,
    seeds: Mapping[str, list[Case]] | None = None,
    *,
    on_check: Callable[[str], None] | None = None,
    precisions: Iterable[Precision] | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
    shrink_calls: int | None = None,
) -> Outcome:
    """The one loop over selected checks that ``verify``, ``survey`` and ``doctor`` share: each
    check's seeds replayed, then explored; ``on_check(name)`` before each (a progress bar),
    ``on_result(result)`` as each finishes (``verify`` prints its line then, so a long run is
    never silent).
    A ``model.*`` or ``stream.*`` check runs once per precision of ``precisions`` (None: the
    context's). ``shrink_calls``: see :func:`run_check`. A lost shared database ends the loop
    with what was found."""
    outcome = Outcome()
    for check, run_ctx in runs(checks, ctx, precisions):
        if on_check is not None:
            on_check(
                check.name if not check.per_precision else f"{check.name} [{run_ctx.precision}]"
            )
        result = run_check(
            check, run_ctx, profile, (seeds or {}).get(check.name, []), shrink_calls=shrink_calls
        )
        if result.lost is None or result.status is Status.FAIL:
            outcome.results.append(result)
            if on_result is not None:
                on_result(result)
        if result.lost is not None:
            outcome.lost = result.lost
            break
    return outcome


def runs(
    checks: Iterable[Check], ctx: CheckContext, precisions: Iterable[Precision] | None = None
) -> list[tuple[Check, CheckContext]]:
    """Each check with the context it runs in: a ``model.*`` or ``stream.*`` check once per
    precision (None: the context's own), any other once."""
    chosen = tuple(precisions) if precisions is not None else (ctx.precision,)
    out = []
    for check in checks:
        if not check.per_precision:
            out.append((check, ctx))
            continue
        out.extend((check, dataclasses.replace(ctx, precision=p)) for p in chosen)
    return out


def database_key(ctx: CheckContext) -> str:
    """The name a check's stored failures are kept under: the target's, and its precision when
    that is not ``32-true`` (a failure found in float16 is not replayed in float32)."""
    name = ctx.target.name
    return name if not ctx.precision.reduced else f"{name} [{ctx.precision}]"


def precision_skip(check: Check, ctx: CheckContext) -> str | None:
    """Why ``check`` does not run in the context's precision: ``*-true`` casts the model's
    parameters, which a target without ``module`` does not expose."""
    if (
        check.per_precision
        and ctx.precision.cast
        and not (ctx.target.model_trains or ctx.target.own)
    ):
        return (
            f"{ctx.precision} casts the model's parameters: give the model target its module "
            "(the torch.nn.Module it trains)"
        )
    return None


def identifier(name: str) -> str:
    """``name`` as a Python identifier (Hypothesis keys its database on the function name)."""
    return re.sub(r"\W", "_", name)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    if isinstance(exc, AssertionError) and first:
        return first
    if not first:  # a bare ``assert`` in the target's code: say where it is
        frames = traceback.extract_tb(exc.__traceback__)
        if frames:
            where = frames[-1]
            return f"{exc.__class__.__name__} at {where.filename}:{where.lineno}: {where.line}"
    return f"{exc.__class__.__name__}: {first}"


def run_check(
    check: Check,
    ctx: CheckContext,
    profile: settings,
    seeds: list[Case] = (),
    *,
    seed: int | None = None,
    stop_at: float | None = None,
    shrink_calls: int | None = None,
) -> CheckResult:
    """Replay ``seeds`` (failing one is reported as a replayed case), then run the property.

    With a shared database (``--db``, a :class:`GuardedDatabase` as the profile's database) the
    failing cases stored there are replayed after the seeds, and a new failure is stored.
    ``seed`` fixes Hypothesis's randomness; ``stop_at`` (a ``time.monotonic()`` instant) ends
    the exploration early, a pass with the examples run so far. When the shared database goes
    away the result says so (``lost``): the failure found before, or an ``error``.
    A found failure is shrunk for at most :data:`SHRINK_BUDGET` seconds and, with
    ``shrink_calls``, at most that many calls after the first failing one: a cap that, unlike
    a time, does not let a machine's speed or load decide how far a failure is shrunk.
    """
    started, compiling = time.monotonic(), compile_seconds()
    found: list[CheckResult] = []  # a failure found before the database went away
    try:
        result = _run(check, ctx, profile, seeds, seed, (stop_at, shrink_calls), found)
    except DatabaseLost as exc:
        result = found[-1] if found else CheckResult(check.name, Status.ERROR, message=str(exc))
        result.lost = str(exc)
    result.seconds = round(time.monotonic() - started, 3)
    result.compile_seconds = round(min(compile_seconds() - compiling, result.seconds), 3)
    if check.per_precision:
        result.precision = str(ctx.precision)
    return result


def compile_seconds() -> float:
    """Seconds this process has spent in ``torch.compile`` so far: the sum of torch's own
    per-compilation timings (``torch._dynamo.utils.compilation_time_metrics``, the
    ``_compile.compile_inner`` entries, which time Dynamo's tracing and the backend's
    compilation, Inductor's code generation and C++ build included). 0.0 while nothing has
    compiled; torch is never imported for it."""
    utils = sys.modules.get("torch._dynamo.utils")
    metrics = getattr(utils, "compilation_time_metrics", None)
    if not isinstance(metrics, Mapping):
        return 0.0
    return float(sum(metrics.get("_compile.compile_inner", ())))


def _run(
    check: Check,
    ctx: CheckContext,
    profile: settings,
    seeds: list[Case],
    seed: int | None,
    limits: tuple[float | None, int | None],
    found: list[CheckResult],
) -> CheckResult:
    reason = check.skip_reason(ctx.target) or precision_skip(check, ctx)
    if reason:
        return CheckResult(check.name, Status.SKIP, message=reason)
    database = profile.database if isinstance(profile.database, GuardedDatabase) else None
    replays = [(ctx.target.pin(case), "regression seed failed") for case in seeds]
    if database is not None:
        replays += [
            (ctx.target.pin(case), "stored failure replayed from the database")
            for case in stored_cases(database, check.name, database_key(ctx))
        ]
    for case, what in replays:
        try:
            check.run(ctx, case)
        except TargetTimeout as exc:
            return CheckResult(check.name, Status.ERROR, 1, case, str(exc))
        except Exception as exc:
            return CheckResult(check.name, Status.FAIL, 1, case, f"{what}: {_one_line(exc)}")
    result = _explore(check, ctx, profile, len(replays), seed, limits, found)
    if database is not None and result.status is Status.FAIL and result.counterexample is not None:
        found.append(result)
        record_failure(database, check.name, database_key(ctx), result.counterexample)
    return result


@dataclass
class _Exploration:
    """What the property saw while Hypothesis explored: calls made, the last failing case."""

    check: Check
    ctx: CheckContext
    stop_at: float | None
    calls: int = 0
    case: Case | None = None
    exc: BaseException | None = None
    #: when the first failure was found (``time.monotonic()``); shrinking ends
    #: :data:`SHRINK_BUDGET` seconds later
    failed_at: float | None = None
    #: calls that may follow the first failing one (None: no cap), and those made so far
    shrink_calls: int | None = None
    shrunk: int = 0
    #: why the exploration was cut short (ends the failure's message)
    cut: str = " (shrinking cut short by the time budget)"

    def __call__(self, case: Case) -> None:
        now = time.monotonic()
        if self.stop_at is not None:
            late = now - self.stop_at
            if late > 0 and self.exc is None or late > SHRINK_GRACE:
                raise BudgetSpent
        if self.failed_at is not None:
            if self.shrink_calls is not None and self.shrunk >= self.shrink_calls:
                self.cut = f" (shrinking cut short after {self.shrink_calls} calls)"
                raise BudgetSpent
            if now - self.failed_at > SHRINK_BUDGET:
                raise BudgetSpent
            self.shrunk += 1
        self.calls += 1
        try:
            self.check.run(self.ctx, case)
        except (Exception, TargetTimeout) as exc:
            self.case, self.exc = case, exc
            if self.failed_at is None:
                self.failed_at = time.monotonic()
            raise

    def failure(self, note: str = "") -> CheckResult:
        """The failure found (Hypothesis's last failing call is its shrunk case)."""
        message = _one_line(self.exc) + note
        return CheckResult(self.check.name, Status.FAIL, self.calls, self.case, message)


def _explore(
    check: Check,
    ctx: CheckContext,
    profile: settings,
    replayed: int,
    seed: int | None,
    limits: tuple[float | None, int | None],
    found: list[CheckResult],
) -> CheckResult:
    if Phase.generate not in profile.phases:
        if not replayed:
            return CheckResult(check.name, Status.SKIP, message="no regression seeds to replay")
        return CheckResult(check.name, Status.PASS, replayed, message="seeds only")
    stop_at, shrink_calls = limits
    seen = _Exploration(check, ctx, stop_at, shrink_calls=shrink_calls)
    try:
        _property_test(seen, profile, seed)()
    except DatabaseLost:
        if seen.exc is not None:
            found.append(seen.failure())
        raise
    except BudgetSpent:
        if seen.exc is not None:
            return seen.failure(seen.cut)
        return CheckResult(
            check.name, Status.PASS, seen.calls + replayed, message="time budget spent"
        )
    except TargetTimeout as exc:
        return CheckResult(check.name, Status.ERROR, seen.calls, seen.case, str(exc))
    except Exception as exc:
        if seen.exc is not None:
            return seen.failure()
        if isinstance(exc, HypothesisException):
            return CheckResult(check.name, Status.ERROR, seen.calls, message=_one_line(exc))
        raise
    return CheckResult(check.name, Status.PASS, seen.calls + replayed)


def _property_test(seen: _Exploration, profile: settings, seed: int | None) -> Callable[[], None]:
    """The Hypothesis test of ``seen``'s check on its target, keyed apart in the database."""
    check, ctx = seen.check, seen.ctx

    def prop(case: Case) -> None:
        seen(case)

    prop.__name__ = identifier(f"{check.name}__{database_key(ctx)}")
    # every prop has the same source: the database key must tell checks, targets and scopes apart
    scope = "wide" if ctx.wide else "narrow"
    key = database_key(ctx)
    prop._hypothesis_internal_add_digest = f"{check.name}|{key}|{scope}".encode()
    if seed is not None:
        # what @hypothesis.seed sets, without the database=None that @seed also sets
        prop._hypothesis_internal_use_seed = seed
    examples = max(1, round(profile.max_examples * check.example_share))
    return settings(
        profile, max_examples=examples, report_multiple_bugs=False, verbosity=Verbosity.quiet
    )(given(check.strategy(ctx.wide).map(ctx.target.pin))(prop))
