"""The named-check registry: one declaration per invariant, shared by pytest, the CLI and seeds.

A check is one function, declared where it is written::

    @register("mask.causality", mask_geometry(), needs="mask")
    def mask_causality(ctx: CheckContext, case: Case) -> None:
        '''No key in a later chunk is visible.

        ## What it asserts
        ...
        '''

The decorator's arguments are everything else about it: its name (the family is the part before
the dot), its :class:`~chunkattn._internal.engine.cases.Cases` (the strategy of both scopes and
the schema of a stored case, declared together), the capabilities it needs of a target, and its
share of a profile's examples; the docstring is its documentation (its first line the summary,
the rest the page ``chunkattn explain NAME`` prints). ``run(ctx, case)`` raises
:class:`CheckFailure` when the invariant does not hold. pytest wraps it in ``@given``;
``chunkattn verify`` runs the same pair through :mod:`chunkattn._internal.engine.runner`;
regression seeds replay stored cases through the same ``run``.

Check modules are found by discovery (:mod:`chunkattn._internal.checks`): a new check needs no
line anywhere else.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from chunkattn._internal.contract.config import ProjectConfig
from chunkattn._internal.contract.loader import load_config
from chunkattn._internal.engine.cases import Cases
from chunkattn._internal.engine.precision import Precision
from chunkattn._internal.engine.schema import Schema, shown
from chunkattn._internal.engine.target import Capability, Target

__all__ = [
    "CHECKS",
    "FAMILIES",
    "Case",
    "Check",
    "CheckContext",
    "CheckFailure",
    "fail",
    "order_checks",
    "register",
    "validate",
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
    #: what the ``model.*`` and ``stream.*`` checks run the model in (docs/contract.md:
    #: Precision and device); the other families ignore it
    precision: Precision = Precision.TRUE_32


Case = dict[str, Any]


@dataclass(frozen=True)
class Check:
    """One named check, as its declaration gave it."""

    name: str
    #: what it asserts, in one line (the docstring's first line)
    summary: str
    #: its page: the whole docstring, dedented (``chunkattn explain NAME``)
    doc: str = field(repr=False)
    cases: Cases = field(repr=False)
    run: Callable[[CheckContext, Case], None] = field(repr=False)
    #: capabilities the target must have (see :data:`~chunkattn._internal.engine.target.CAPABILITIES`)
    needs: tuple[Capability, ...]
    #: share of the profile's max_examples this check runs (statistical and model checks are dear)
    example_share: float = 1.0
    #: not run on the naive reference (the check compares against it)
    not_on_reference: bool = False
    #: the module that declares it (``chunkattn explain`` says where to read it)
    module: str = ""

    @property
    def family(self) -> str:
        """The part of the name before the dot: ``mask``, ``ceil``, ``sampler``, ``model`` ..."""
        return self.name.split(".")[0]

    @property
    def per_precision(self) -> bool:
        """Runs once per requested precision: a ``model.*`` or ``stream.*`` check."""
        return self.family in ("model", "stream")

    @property
    def schema(self) -> Schema:
        """What a stored case of this check may hold."""
        return self.cases.schema

    def strategy(self, wide: bool = False) -> st.SearchStrategy[Any]:
        """The cases a pytest run draws (``wide``: a campaign's, deeper where it differs)."""
        return self.cases.strategy(wide)

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
    cases: Cases,
    *,
    needs: Capability | tuple[Capability, ...] = Capability.MASK,
    example_share: float = 1.0,
    not_on_reference: bool = False,
) -> Callable[[Callable[[CheckContext, Case], None]], Callable[[CheckContext, Case], None]]:
    """Declare ``run`` as the check ``name`` drawing from ``cases``; its docstring is its
    documentation (the first line the summary).

    ``needs``: the target capabilities it runs on (a :class:`Capability` or a tuple of them).
    """
    needs = (needs,) if isinstance(needs, str) else tuple(needs)
    family, dot, rest = name.partition(".")
    if not (family and dot and rest) or not name.replace(".", "").replace("_", "").isalnum():
        raise ValueError(f"check name {name!r}: expected FAMILY.NAME (letters, digits, '_')")
    try:
        needs = tuple(Capability(n) for n in needs)
    except ValueError:
        known = ", ".join(c.value for c in Capability)
        raise ValueError(f"check {name}: needs {needs!r}: each must be one of {known}") from None
    if not isinstance(cases, Cases):
        raise TypeError(f"check {name}: cases must be a Cases (chunkattn._internal.engine.cases)")

    def decorator(run: Callable[[CheckContext, Case], None]):
        if name in CHECKS:
            raise ValueError(f"check {name} registered twice")
        doc = inspect.cleandoc(run.__doc__ or "") or name
        summary = doc.splitlines()[0]
        CHECKS[name] = Check(
            name, summary, doc, cases, run, needs, example_share, not_on_reference, run.__module__
        )
        return run

    return decorator


def validate(check: str, case: Any) -> str | None:
    """Why ``case`` may not be run as a case of ``check`` (one line), or None if it fits."""
    if not CHECKS:
        raise RuntimeError("no check is loaded: import chunkattn._internal.checks first")
    if check not in CHECKS:
        return f"unknown check {shown(check)}"
    return CHECKS[check].schema.problem(case)
