"""The named-check registry: one definition per invariant, shared by pytest, the CLI and seeds.

A :class:`Check` is a name, a strategy of *cases* (flat dicts), and ``run(ctx, case)`` that raises
:class:`CheckFailure` when the invariant does not hold for that case. pytest wraps it in
``@given``; ``chunkattn verify`` runs the same pair through :mod:`chunkattn.testing.runner`;
regression seeds replay stored cases through the same ``run``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from ..config import ProjectConfig, load_config
from .target import Target

__all__ = ["CHECKS", "Check", "CheckContext", "CheckFailure", "register"]


class CheckFailure(AssertionError):
    """An invariant does not hold; the message says which and where."""


@dataclass(frozen=True)
class CheckContext:
    """What a check runs against: the target implementation and the config in force."""

    target: Target
    config: ProjectConfig = field(default_factory=load_config)


Case = dict[str, Any]


@dataclass(frozen=True)
class Check:
    name: str
    summary: str
    strategy: Callable[[CheckContext], st.SearchStrategy[Case]]
    run: Callable[[CheckContext, Case], None]
    #: returns why the check does not apply to a target, or None
    skip_reason: Callable[[Target], str | None]
    #: share of the profile's max_examples this check runs (statistical and model checks are dear)
    example_share: float = 1.0


CHECKS: dict[str, Check] = {}


def register(
    name: str,
    strategy: Callable[[CheckContext], st.SearchStrategy[Case]],
    *,
    needs: str = "mask",
    example_share: float = 1.0,
) -> Callable[[Callable[[CheckContext, Case], None]], Callable[[CheckContext, Case], None]]:
    """Register ``run`` as the check ``name``; its docstring's first line is the summary.

    ``needs``: ``"mask"`` (every target), ``"sampler"`` (targets with a sampler), ``"own"``
    (chunkattn's own config and model code), ``"mask-only"`` (not on the reference itself).
    """

    def skip_reason(target: Target) -> str | None:
        if needs == "sampler" and not target.has_sampler:
            return f"{target.name} is a mask-only variant"
        if needs == "own" and not target.own:
            return "checks chunkattn's own config/model code, not a bare seed API"
        if needs == "mask-only" and target.is_reference:
            return "compares against the reference itself"
        return None

    def decorator(run: Callable[[CheckContext, Case], None]):
        if name in CHECKS:
            raise ValueError(f"check {name} registered twice")
        summary = (run.__doc__ or "").strip().splitlines()[0] if run.__doc__ else name
        CHECKS[name] = Check(name, summary, strategy, run, skip_reason, example_share)
        return run

    return decorator
