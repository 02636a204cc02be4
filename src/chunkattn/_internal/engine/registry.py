"""The named-check registry: one definition per invariant, shared by pytest, the CLI and seeds.

A :class:`Check` is a name, a strategy of *cases* (flat dicts), and ``run(ctx, case)`` that raises
:class:`CheckFailure` when the invariant does not hold for that case. pytest wraps it in
``@given``; ``chunkattn verify`` runs the same pair through :mod:`chunkattn._internal.engine.runner`;
regression seeds replay stored cases through the same ``run``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from chunkattn._internal.contract.config import ProjectConfig
from chunkattn._internal.contract.loader import load_config
from chunkattn._internal.engine.target import Target

__all__ = [
    "CHECKS",
    "FAMILIES",
    "Check",
    "CheckContext",
    "CheckFailure",
    "fail",
    "order_checks",
    "register",
]


class CheckFailure(AssertionError):
    """An invariant does not hold; the message says which and where."""


def fail(message: str) -> None:
    """Raise :class:`CheckFailure`: the invariant does not hold, ``message`` says where."""
    raise CheckFailure(message)


@dataclass(frozen=True)
class CheckContext:
    """What a check runs against: the target implementation and the config in force."""

    target: Target
    config: ProjectConfig = field(default_factory=lambda: load_config())
    #: campaign scope (``chunkattn fuzz``): strategies also reach long sequences and deep left
    #: context, which a pytest run's few hundred examples cannot afford
    wide: bool = False


Case = dict[str, Any]


@dataclass(frozen=True)
class Check:
    name: str
    summary: str
    strategy: Callable[[CheckContext], st.SearchStrategy[Case]]
    run: Callable[[CheckContext, Case], None]
    #: capabilities the target must have (see :data:`~chunkattn._internal.engine.target.CAPABILITIES`)
    needs: tuple[str, ...]
    #: share of the profile's max_examples this check runs (statistical and model checks are dear)
    example_share: float = 1.0
    #: not run on the naive reference (the check compares against it)
    not_on_reference: bool = False

    @property
    def exhaustive(self) -> bool:
        """One example runs the whole check (a small-scope grid): nothing left to explore."""
        return self.example_share == 0.0

    def skip_reason(self, target: Target) -> str | None:
        """Why this check does not apply to ``target``, or None if it does."""
        for capability in self.needs:
            reason = target.lacks(capability)
            if reason:
                return reason
        if self.not_on_reference and target.is_reference:
            return "compares against the reference itself"
        return None


CHECKS: dict[str, Check] = {}

#: the families in the order of the dataflow, as reports list them; a family not named here
#: (a new prefix) follows them, in name order
FAMILIES = ("mask", "ceil", "sampler", "config", "model", "stream")


def _family_rank(name: str) -> tuple[int, str]:
    family = name.split(".")[0]
    return (FAMILIES.index(family), "") if family in FAMILIES else (len(FAMILIES), family)


def order_checks() -> None:
    """Put :data:`CHECKS` in report order: by family, then in the order they were declared."""
    ordered = sorted(CHECKS.items(), key=lambda item: _family_rank(item[0]))
    CHECKS.clear()
    CHECKS.update(ordered)


def register(
    name: str,
    strategy: Callable[[CheckContext], st.SearchStrategy[Case]],
    *,
    needs: str | tuple[str, ...] = "mask",
    example_share: float = 1.0,
    not_on_reference: bool = False,
) -> Callable[[Callable[[CheckContext, Case], None]], Callable[[CheckContext, Case], None]]:
    """Register ``run`` as the check ``name``; its docstring's first line is the summary.

    ``needs``: the target capabilities it runs on — ``"mask"``, ``"sampler"``, ``"model"``,
    ``"own"`` (chunkattn's own config and model code), or a tuple of them.
    """
    needs = (needs,) if isinstance(needs, str) else tuple(needs)

    def decorator(run: Callable[[CheckContext, Case], None]):
        if name in CHECKS:
            raise ValueError(f"check {name} registered twice")
        summary = (run.__doc__ or "").strip().splitlines()[0] if run.__doc__ else name
        CHECKS[name] = Check(name, summary, strategy, run, needs, example_share, not_on_reference)
        return run

    return decorator
