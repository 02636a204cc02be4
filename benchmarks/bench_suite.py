"""Wall time of `pytest -n auto` per Hypothesis profile (ratios against the fastest profile, in
one run), then each named check's share of the test time in the slowest profile; the example and
CLI tests under tests/ are shown per file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

from chunkattn._internal.engine.runner import identifier
from chunkattn.testing import CHECKS

PROFILES = ("precommit", "ci", "dev")
_CHECK_BY_TEST = {f"test_{identifier(name)}": name for name in CHECKS}


def owner(nodeid: str) -> str:
    """The check a property test runs, else the test file."""
    path, _, rest = nodeid.partition("::")
    return _CHECK_BY_TEST.get(rest.split("[")[0], path)


def main() -> None:
    times, shares = {}, {}
    for profile in PROFILES:
        env = {**os.environ, "CHUNKATTN_PROFILE": profile}
        env.pop("CI", None)
        start = time.perf_counter()
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-n",
                "auto",
                "--durations=0",
                "-p",
                "no:randomly",
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        times[profile] = time.perf_counter() - start
        per_owner: dict[str, float] = {}
        for seconds, nodeid in re.findall(r"^([\d.]+)s \w+\s+(\S+)", run.stdout, re.M):
            per_owner[owner(nodeid)] = per_owner.get(owner(nodeid), 0.0) + float(seconds)
        shares[profile] = per_owner
        print(
            f"{profile:>10}: {times[profile]:6.1f} s wall "
            f"({times[profile] / times[PROFILES[0]]:.1f}x precommit), exit {run.returncode}"
        )
    slowest = max(times, key=times.get)
    total = sum(shares[slowest].values()) or 1.0
    print(f"\nshare of test time ({slowest}, {total:.0f} s summed over workers):")
    for name, seconds in sorted(shares[slowest].items(), key=lambda kv: -kv[1]):
        print(f"  {seconds / total:6.1%}  {name}")


if __name__ == "__main__":
    main()
