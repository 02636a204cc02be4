"""Wall time of `pytest -n auto` per Hypothesis profile, and each test file's share of the
slowest run, measured in one run (ratios against the fastest profile)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

PROFILES = ("precommit", "ci", "dev")


def main() -> None:
    times, durations = {}, {}
    for profile in PROFILES:
        env = {**os.environ, "CHUNKATTN_PROFILE": profile}
        env.pop("CI", None)
        start = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-n", "auto", "--durations=0"],
            env=env,
            capture_output=True,
            text=True,
        )
        times[profile] = time.perf_counter() - start
        per_file: dict[str, float] = {}
        for seconds, nodeid in re.findall(r"^([\d.]+)s \w+\s+(\S+)", run.stdout, re.M):
            key = nodeid.split("::")[0]
            per_file[key] = per_file.get(key, 0.0) + float(seconds)
        durations[profile] = per_file
        print(
            f"{profile:>10}: {times[profile]:6.1f} s  ({times[profile] / times[PROFILES[0]]:.1f}x precommit), exit {run.returncode}"
        )
    slowest = max(times, key=times.get)
    total = sum(durations[slowest].values()) or 1.0
    print(f"\nshare of test time per file ({slowest}):")
    for name, seconds in sorted(durations[slowest].items(), key=lambda kv: -kv[1]):
        print(f"  {seconds / total:6.1%}  {name}")


if __name__ == "__main__":
    main()
