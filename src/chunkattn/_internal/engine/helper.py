"""The helper process: one second Python process, with another ``PYTHONHASHSEED``.

``sampler.isolation`` asks it for draws of a target's sampler (the same seed must give the same
sequence in another process); ``chunkattn verify`` also hands it whole checks to run while it
runs the others (:mod:`chunkattn._internal.engine.offload`). The process is
``python -m chunkattn._internal.integrations.helper_child``; requests and replies are JSON lines, answered in order.

Only the standard library here: ``verify`` starts the process before it imports torch, so the
two processes import at once, on two cores.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
from typing import Any

__all__ = ["NEEDED_BY", "OFFLOADED", "Helper", "HelperDied", "helper", "sampler_kwargs"]

#: the checks ``verify`` runs in the helper process (see :mod:`chunkattn._internal.engine.offload`)
OFFLOADED = ("mask.shape_dtype",)
#: the checks that use the helper process: ``verify`` starts it only for a run that has one
NEEDED_BY = ("sampler.isolation", *OFFLOADED)


def sampler_kwargs(case: dict[str, Any]) -> dict[str, Any]:
    """The ``ChunkConfigSampler`` arguments of a flat sampler case."""
    return dict(
        chunk_size_range=(case["chunk_size_min"], case["chunk_size_max"]),
        context_sec_range=(case["context_sec_min"], case["context_sec_max"]),
        timestep_duration_sec=case["timestep_duration_sec"],
        chunkwise_prob=case["chunkwise_prob"],
        left_constrain_prob=case["left_constrain_prob"],
        seed=case["seed"],
    )


class HelperDied(RuntimeError):
    """The helper process ended before it answered."""


class Helper:
    """A running helper process; ``submit`` a request, later take its ``reply``."""

    def __init__(self, preload: str | None = None) -> None:
        seed = (int(os.environ.get("PYTHONHASHSEED") or 0) + 1) % 2**32
        command = [sys.executable, "-m", "chunkattn._internal.integrations.helper_child"]
        self.process = subprocess.Popen(
            command + (["--preload", preload] if preload else []),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
        )
        self._sent = self._read = 0
        self._replies: dict[int, Any] = {}

    def alive(self) -> bool:
        return self.process.poll() is None

    def submit(self, request: dict[str, Any]) -> int:
        """Send ``request``; the ticket to take its reply with."""
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except OSError:
            raise HelperDied(f"the helper process died (exit {self.process.wait()})") from None
        self._sent += 1
        return self._sent - 1

    def reply(self, ticket: int) -> Any:
        """The reply to ``ticket`` (waiting for it; earlier replies are kept for theirs)."""
        while ticket not in self._replies:
            line = self.process.stdout.readline()
            if not line:
                raise HelperDied(f"the helper process died (exit {self.process.wait()})")
            self._replies[self._read] = json.loads(line)
            self._read += 1
        return self._replies.pop(ticket)

    def ask(self, request: dict[str, Any]) -> Any:
        return self.reply(self.submit(request))

    def stop(self) -> None:
        """End the process: at once if it has nothing left to answer (never asked anything, it
        may still be importing what it was to preload; or every reply read: its interpreter's
        own teardown, a few tenths of a second with torch loaded, would only delay this
        process's exit), else once it has answered."""
        if self.alive() and self._read == self._sent:
            self.process.kill()
            self.process.wait()
        elif self.alive():
            self.process.stdin.close()
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


_HELPER: list[Helper] = []


def helper(preload: str | None = None) -> Helper:
    """The running helper process, or a new one (importing ``preload``, a target's source, and
    the test machinery at once, before it reads any request)."""
    if not _HELPER or not _HELPER[0].alive():
        _HELPER[:] = [Helper(preload)]
    return _HELPER[0]


@atexit.register
def _stop() -> None:
    for running in _HELPER:
        running.stop()
