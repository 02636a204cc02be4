"""Time limits on calls into a target, so a target that hangs cannot hang the suite.

A call past its limit raises :class:`TargetTimeout`, a ``BaseException``: Hypothesis does not
catch it, so it does not re-run (and re-hang) the call to shrink it; the runner reports it as
that check's ``error`` with the case, and the run goes on to the other checks.

The limit uses ``SIGALRM``, so it applies in the main thread of a POSIX process (the CLI, pytest
and pytest-xdist workers all call checks there); elsewhere calls run without a limit.
"""

from __future__ import annotations

import functools
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from chunkattn._internal.contract.core import DEFAULT_TIMEOUT

__all__ = ["DEFAULT_TIMEOUT", "TargetTimeout", "limited", "time_limit"]


class TargetTimeout(BaseException):  # noqa: N818 (reads as what happened)
    """A call into the target took longer than its limit."""


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float | None, what: str | Callable[[], str]) -> Iterator[None]:
    """Raise :class:`TargetTimeout` naming ``what`` (a text, or a function that makes it, only
    called on a timeout) if the block runs past ``seconds``.

    Nested limits keep the outer one: only the outermost block arms the timer.
    """
    if not seconds or not _can_alarm() or signal.getitimer(signal.ITIMER_REAL)[0] > 0:
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        name = what() if callable(what) else what
        raise TargetTimeout(f"{name} took longer than {seconds:g} s (the --timeout limit)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def limited(fn: Callable[..., Any], seconds: float | None, name: str) -> Callable[..., Any]:
    """``fn`` with each call under ``time_limit(seconds)``; the error names the call."""
    if not seconds:
        return fn

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        def shown() -> str:
            parts = [*map(_short, args), *(f"{k}={_short(v)}" for k, v in kwargs.items())]
            return f"{name}({', '.join(parts)})"

        with time_limit(seconds, shown):
            return fn(*args, **kwargs)

    return call


def _short(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"<{type(value).__name__} {tuple(shape)}>"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
