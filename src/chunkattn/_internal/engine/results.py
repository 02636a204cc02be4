"""What a run of named checks produces, in one place: a check's :class:`Status`, its
:class:`CheckResult`, and the :class:`ExitCode` every ``chunkattn`` command returns.

A status is a ``str`` (``"pass"``, ``"fail"``, ``"skip"``, ``"error"``), so JSON and comparisons
with plain strings see exactly those words; "ok" (nothing failed) is defined here once, as
:attr:`Status.ok`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["CheckResult", "ExitCode", "Status", "all_ok"]


class Status(enum.StrEnum):
    """How one check ended."""

    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"

    @property
    def ok(self) -> bool:
        """Nothing was found: the check passed, or does not apply."""
        return self in (Status.PASS, Status.SKIP)

    @property
    def failed(self) -> bool:
        """A finding: the check failed, or could not run (the target timed out, say)."""
        return not self.ok


class ExitCode(enum.IntEnum):
    """The exit status of every ``chunkattn`` command."""

    OK = 0  #: everything checked passed
    FINDING = 1  #: a check failed (or another finding: an unhealthy model, say)
    USAGE = 2  #: bad command line, config or database: one line naming it
    INTERRUPTED = 130  #: Ctrl-C

    @classmethod
    def of(cls, ok: bool) -> ExitCode:
        """:attr:`OK` if ``ok``, else :attr:`FINDING`."""
        return cls.OK if ok else cls.FINDING


@dataclass
class CheckResult:
    """One check's outcome: its status, how many examples ran, and the shrunk counterexample."""

    name: str
    status: Status
    examples: int = 0
    counterexample: dict[str, Any] | None = None
    message: str = ""
    #: wall time of the check (replays and exploration), so a report shows where a run's time goes
    seconds: float = 0.0
    #: of ``seconds``, the time torch spent compiling (``torch.compile``: Dynamo and Inductor,
    #: as torch's own compile-time metrics count it) during the check; 0.0 when nothing compiled
    compile_seconds: float = 0.0
    #: the shared example database went away during the check (one line saying so): the result
    #: is what was found before, a ``fail`` with its case, or an ``error`` when nothing was.
    #: Never part of :meth:`as_dict` (a report says it once, for the whole run).
    lost: str | None = field(default=None, compare=False)
    #: the precision a ``model.*`` or ``stream.*`` check ran the model in (``"16-mixed"``);
    #: None for the other families, and then not part of :meth:`as_dict`
    precision: str | None = None

    def __post_init__(self) -> None:
        self.status = Status(self.status)

    @property
    def label(self) -> str:
        """The name as reports show it: ``model.grad_finite [16-mixed]`` for a precision's run."""
        return self.name if self.precision is None else f"{self.name} [{self.precision}]"

    @property
    def ok(self) -> bool:
        return self.status.ok

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["status"] = str(self.status)
        del out["lost"]
        if self.precision is None:
            del out["precision"]
        else:
            out["precision"] = str(self.precision)
        return out


def all_ok(results: Iterable[CheckResult]) -> bool:
    """No result is a finding."""
    return all(r.ok for r in results)
