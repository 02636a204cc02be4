"""Checks ``chunkattn verify`` hands to the helper process, to run while it runs the others.

The first mask a target builds on the ``meta`` device (``mask.shape_dtype`` asks for one)
imports torch's compiler stack, about as long as importing torch itself: the pre-commit hook's
largest single cost. The helper process (:mod:`chunkattn._internal.engine.helper`, already started for
``sampler.isolation``, and started before ``verify`` imports torch) runs that check on its own
fresh import of the target, with the same profile and seeds, while this process runs the rest.
The check is the same code on the same target in the same state (``mask.shape_dtype`` is the
first check a run makes), so its verdict is the one it would have here; a helper that cannot
run it (it died, it cannot load the target by name) leaves it to this process.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from chunkattn._internal.engine.helper import OFFLOADED, Helper, HelperDied, helper
from chunkattn._internal.engine.registry import Case, Check, CheckContext
from chunkattn._internal.engine.results import CheckResult
from chunkattn._internal.engine.runner import run_check

__all__ = ["OFFLOADED", "Offloaded", "offload"]


@dataclass
class Offloaded:
    """Checks running in the helper process: their tickets, and how to run them here instead."""

    helper: Helper | None = None
    tickets: dict[str, int] = field(default_factory=dict)
    checks: dict[str, Check] = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return name in self.tickets

    def result(self, name: str, ctx: CheckContext, profile, seeds: list[Case]) -> CheckResult:
        """The helper's result for ``name``, or (it could not run it) this process's."""
        try:
            reply = self.helper.reply(self.tickets[name])
        except HelperDied:
            reply = None
        if isinstance(reply, dict):
            return CheckResult(**reply["result"])
        return run_check(self.checks[name], ctx, profile, seeds)

    def merge(
        self,
        results: list[CheckResult],
        checks: Iterable[Check],
        ctx: CheckContext,
        profile,
        seeds: Mapping[str, list[Case]],
    ) -> list[CheckResult]:
        """``results`` (of the other checks) with the offloaded ones, in the order of
        ``checks``."""
        found: dict[str, list[CheckResult]] = {}
        for r in results:  # a model check has one result per precision
            found.setdefault(r.name, []).append(r)
        for name in self.tickets:
            found[name] = [self.result(name, ctx, profile, seeds.get(name, []))]
        return [r for c in checks for r in found.get(c.name, [])]


def offload(
    checks: Iterable[Check],
    ctx: CheckContext,
    profile_name: str,
    seeds: Mapping[str, list[Case]],
    *,
    config: str | None,
) -> Offloaded:
    """Start the :data:`OFFLOADED` checks among ``checks`` that apply to ``ctx.target`` in the
    helper process. Only for a target it can load by name (``Target.source``) and a profile of
    chunkattn's own (a shared ``--db`` stays in this process)."""
    target = ctx.target
    chosen = [
        c
        for c in checks
        if c.name in OFFLOADED and c.skip_reason(target) is None and target.source is not None
    ]
    if not chosen or ctx.wide:
        return Offloaded()
    running = helper(target.source)
    out = Offloaded(running)
    for check in chosen:
        request = {
            "check": check.name,
            "source": target.source,
            "profile": profile_name,
            "seeds": list(seeds.get(check.name, [])),
            "timeout": target.timeout,
            "config": config,
        }
        try:
            out.tickets[check.name] = running.submit(request)
        except (HelperDied, TypeError, ValueError):
            continue  # runs here
        out.checks[check.name] = check
    return out
