"""``chunkattn explain CHECK``: a check's page (a placeholder, to be replaced by the generated
per-check documentation)."""

from __future__ import annotations

from typing import TextIO

from chunkattn._internal.engine.results import ExitCode

__all__ = ["main"]


def main(name: str, out: TextIO) -> ExitCode:
    from chunkattn._internal.checks import CHECKS

    check = CHECKS.get(name)
    if check is None:
        raise ValueError(f"explain: unknown check {name!r}; known: {', '.join(CHECKS)}")
    print(f"{name}: {check.summary}", file=out)
    return ExitCode.OK
