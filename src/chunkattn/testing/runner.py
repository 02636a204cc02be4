"""Run one named check outside pytest: replay its seeds, then explore with Hypothesis.

The result records what a report needs: pass/fail/skip/error, how many examples ran, and the
shrunk counterexample (the last failing case Hypothesis replays is its minimal one).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from hypothesis import Phase, Verbosity, given, settings
from hypothesis.errors import HypothesisException

from .limits import TargetTimeout
from .registry import Case, Check, CheckContext

__all__ = ["CheckResult", "identifier", "run_check"]


@dataclass
class CheckResult:
    name: str
    status: str  # pass | fail | skip | error
    examples: int = 0
    counterexample: Case | None = None
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def identifier(name: str) -> str:
    """``name`` as a Python identifier (Hypothesis keys its database on the function name)."""
    return re.sub(r"\W", "_", name)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return first if isinstance(exc, AssertionError) else f"{exc.__class__.__name__}: {first}"


def run_check(
    check: Check, ctx: CheckContext, profile: settings, seeds: list[Case] = ()
) -> CheckResult:
    """Replay ``seeds`` (failing one is reported as a replayed case), then run the property."""
    reason = check.skip_reason(ctx.target)
    if reason:
        return CheckResult(check.name, "skip", message=reason)
    seeds = [ctx.target.pin(case) for case in seeds]
    for case in seeds:
        try:
            check.run(ctx, case)
        except TargetTimeout as exc:
            return CheckResult(check.name, "error", 1, case, str(exc))
        except Exception as exc:
            return CheckResult(
                check.name, "fail", 1, case, f"regression seed failed: {_one_line(exc)}"
            )
    if Phase.generate not in profile.phases:
        if not seeds:
            return CheckResult(check.name, "skip", message="no regression seeds to replay")
        return CheckResult(check.name, "pass", len(seeds), message="seeds only")

    calls = 0
    failure: dict[str, Any] = {}

    def prop(case: Case) -> None:
        nonlocal calls
        calls += 1
        try:
            check.run(ctx, case)
        except (Exception, TargetTimeout) as exc:
            failure.update(case=case, exc=exc)
            raise

    prop.__name__ = identifier(f"{check.name}__{ctx.target.name}")
    examples = max(1, round(profile.max_examples * check.example_share))
    test = settings(
        profile, max_examples=examples, report_multiple_bugs=False, verbosity=Verbosity.quiet
    )(given(check.strategy(ctx).map(ctx.target.pin))(prop))
    try:
        test()
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
    return CheckResult(check.name, "pass", calls + len(seeds))
