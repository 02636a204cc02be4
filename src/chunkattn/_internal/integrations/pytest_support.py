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

import os
from collections.abc import Callable
from functools import cache

from hypothesis import example, given, settings

from chunkattn._internal.engine.database import (
    DatabaseError,
    GuardedDatabase,
    open_database,
    stored_cases,
)
from chunkattn._internal.engine.profiles import active_profile_name, profile_settings
from chunkattn._internal.engine.registry import CHECKS, CheckContext
from chunkattn._internal.engine.runner import identifier
from chunkattn._internal.engine.seeds import load_seeds

__all__ = ["property_test", "property_tests", "shared_database"]


@cache
def _open(url: str) -> GuardedDatabase:
    return open_database(url, error=DatabaseError)


def shared_database() -> GuardedDatabase | None:
    """The shared example database of ``--chunkattn-db`` / ``CHUNKATTN_DB``, if one is given."""
    url = os.environ.get("CHUNKATTN_DB")
    return _open(url) if url else None


def property_test(name: str, seeds: list | None = None) -> Callable[..., None]:
    """The pytest test for the named check ``name`` (``seeds``: its regression cases, default:
    those the seeds files in force hold)."""
    if name not in CHECKS:
        raise ValueError(f"unknown check {name!r}; known: {', '.join(CHECKS)}")
    check = CHECKS[name]

    def test(check_ctx: CheckContext, case) -> None:
        case = check_ctx.target.pin(case)
        try:
            check.run(check_ctx, case)
        except BaseException:
            # the last failing call is Hypothesis's shrunk example; --record-seeds stores it
            wrapped.chunkattn_last_failure = case
            raise

    test.__name__ = f"test_{identifier(name)}"
    test.__qualname__ = test.__name__
    test.__doc__ = f"{name}: {check.summary}"
    profile = profile_settings(active_profile_name())
    examples = max(1, round(profile.max_examples * check.example_share))
    replays = list(load_seeds().get(name, []) if seeds is None else seeds)
    database = shared_database()
    if database is not None:
        # the database's own entries replay only through the strategy that drew them; the cases
        # chunkattn stored beside them replay anywhere, as explicit examples
        profile = settings(profile, database=database)
        replays += [case for case in stored_cases(database, name) if case not in replays]
    wrapped = given(case=check.strategy())(test)
    for case in reversed(replays):
        wrapped = example(case=case)(wrapped)
    wrapped = settings(profile, max_examples=examples)(wrapped)
    wrapped.chunkattn_check = check
    return wrapped


def property_tests(prefix: str = "") -> dict[str, Callable[..., None]]:
    """``{test_name: test}`` for every registered check whose name starts with ``prefix``."""
    seeds = load_seeds()
    tests = (property_test(n, seeds.get(n, [])) for n in CHECKS if n.startswith(prefix))
    return {test.__name__: test for test in tests}
