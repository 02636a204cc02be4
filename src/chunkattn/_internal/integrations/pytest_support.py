"""Named checks as pytest tests: every registered check becomes one, with no line per check.

``property_tests()`` is what ``chunkattn.properties`` collects; ``property_test(name)`` builds one
test, for a user's own test file::

    from chunkattn._internal.integrations.pytest_support import property_test

    test_left_span = property_test("mask.left_span")   # runs on --impl, or on chunkattn

The test takes the ``check_ctx`` fixture (the target under test, from the chunkattn pytest
plugin), replays the check's regression seeds as explicit examples first, then explores with
Hypothesis under chunkattn's active profile (``--chunkattn-profile``, ``CHUNKATTN_PROFILE``, or
``ci`` when ``CI`` is set). The profile is applied to these tests alone: the global Hypothesis
settings of the surrounding test suite are left as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

from hypothesis import example, given, settings

from chunkattn._internal.checks import CHECKS
from chunkattn._internal.engine.database import (
    DatabaseError,
    GuardedDatabase,
    open_database,
    stored_cases,
)
from chunkattn._internal.engine.profiles import profile_settings
from chunkattn._internal.engine.registry import Case, CheckContext
from chunkattn._internal.engine.runner import identifier

__all__ = ["FailedCase", "Run", "property_test", "property_tests", "shared_database"]


@cache
def _open(url: str) -> GuardedDatabase:
    return open_database(url, error=DatabaseError)


def shared_database(url: str | None) -> GuardedDatabase | None:
    """The shared example database at ``url`` (``--chunkattn-db`` / ``CHUNKATTN_DB``), if any."""
    return _open(url) if url else None


@dataclass(frozen=True)
class Run:
    """What the plugin resolved for this pytest run, that every check's test is built with."""

    profile: str
    seeds: Mapping[str, list[Case]]
    database: GuardedDatabase | None = None


class FailedCase:
    """Where a check's test leaves its last failing case (Hypothesis's shrunk one) for the
    plugin's report hook: one per test item (the ``chunkattn_failure`` fixture)."""

    case: Case | None = None


def property_test(name: str, seeds: list | None = None) -> Callable[..., None]:
    """The pytest test for the named check ``name`` (``seeds``: its regression cases, default:
    those the seeds files in force hold).

    The test is complete once the plugin has bound it to the run (its profile, seeds and
    shared database), which it does when it collects the test: ``test.chunkattn_bind(run)``.
    """
    if name not in CHECKS:
        raise ValueError(f"unknown check {name!r}; known: {', '.join(CHECKS)}")
    check = CHECKS[name]

    def test(check_ctx: CheckContext, chunkattn_failure: FailedCase, case) -> None:
        case = check_ctx.target.pin(case)
        try:
            check.run(check_ctx, case)
        except BaseException:
            # the last failing call is Hypothesis's shrunk example; --record-seeds stores it
            chunkattn_failure.case = case
            raise

    test.__name__ = f"test_{identifier(name)}"
    test.__qualname__ = test.__name__
    test.__doc__ = f"{name}: {check.summary}"
    wrapped = given(case=check.strategy())(test)
    bound = False

    def bind(run: Run) -> None:
        """Apply the run's profile, and replay its seeds and stored cases first (once)."""
        nonlocal bound
        if not bound:
            bound = True
            _bind(wrapped, name, run, seeds)

    wrapped.chunkattn_check = check
    wrapped.chunkattn_bind = bind
    return wrapped


def _bind(wrapped: Callable[..., None], name: str, run: Run, seeds: list | None) -> None:
    """Give the test of check ``name`` its explicit examples and its settings for ``run``."""
    check = CHECKS[name]
    profile = profile_settings(run.profile)
    examples = max(1, round(profile.max_examples * check.example_share))
    replays = list(run.seeds.get(name, []) if seeds is None else seeds)
    if run.database is not None:
        # the database's own entries replay only through the strategy that drew them; the
        # cases chunkattn stored beside them replay anywhere, as explicit examples
        profile = settings(profile, database=run.database)
        replays += [c for c in stored_cases(run.database, name) if c not in replays]
    for case in reversed(replays):
        example(case=case)(wrapped)
    settings(profile, max_examples=examples)(wrapped)


def property_tests(prefix: str = "") -> dict[str, Callable[..., None]]:
    """``{test_name: test}`` for every registered check whose name starts with ``prefix``."""
    tests = (property_test(n) for n in CHECKS if n.startswith(prefix))
    return {test.__name__: test for test in tests}
