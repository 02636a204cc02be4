"""Turn a named check into a pytest test: ``test_x = property_test("mask.causality")``.

The test takes the ``check_ctx`` fixture (the target under test, see the root ``conftest.py``),
replays the check's regression seeds as explicit examples first, then explores with Hypothesis
under the active profile.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import example, given, settings

from .registry import CHECKS, CheckContext
from .runner import identifier
from .seeds import seeds_for

__all__ = ["property_test"]


def property_test(name: str) -> Callable[..., None]:
    check = CHECKS[name]

    def test(check_ctx: CheckContext, case) -> None:
        try:
            check.run(check_ctx, case)
        except Exception:
            # the last failing call is Hypothesis's shrunk example; --record-seeds stores it
            wrapped.chunkattn_last_failure = case
            raise

    test.__name__ = f"test_{identifier(name)}"
    test.__doc__ = f"{name}: {check.summary}"
    examples = max(1, round(settings.default.max_examples * check.example_share))
    wrapped = given(case=check.strategy(None))(test)
    for case in reversed(seeds_for(name)):
        wrapped = example(case=case)(wrapped)
    wrapped = settings(max_examples=examples)(wrapped)
    wrapped.chunkattn_check = check
    return wrapped
