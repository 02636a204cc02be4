"""The test suite's wall time beside the machine's ``python -c "import torch"``, measured in the
same run (these machines are shared and noisy: the ratio travels, the seconds do not).

By default it runs the README's test command as CI runs it (``pytest -n auto`` with ``CI=true``,
so the ``ci`` profile), ``--repeat`` times, and prints the best run in seconds, as a multiple of
the best ``import torch`` of those taken between the runs, and against the bar: under 60 s on
a 2-core machine. With it, the CPU time the run took (every process it started, the xdist
workers and what they start: fuzz, pre-commit, pytest, helpers) and what that CPU time alone
costs on this machine's cores, however well the work is spread: a suite whose floor is over
the bar cannot meet it by scheduling, only by doing less work. Then the tests that cost the most, summed per file, and each named check's
share of the property tests' time. ``--profiles`` adds one run per Hypothesis profile
(``precommit``, ``ci``, ``dev``), as ratios to the fastest.

    python benchmarks/bench_suite.py [--repeat 1] [--profiles]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time

from chunkattn._internal.engine.runner import identifier
from chunkattn.testing import CHECKS

#: the suite's bar on a 2-core machine, in seconds
BAR_SECONDS = 60.0
PROFILES = ("precommit", "ci", "dev")
_CHECK_BY_TEST = {f"test_{identifier(name)}": name for name in CHECKS}


def owner(nodeid: str) -> str:
    """The check a property test runs, else the test file."""
    path, _, rest = nodeid.partition("::")
    return _CHECK_BY_TEST.get(rest.split("[")[0], path)


def import_torch_seconds() -> float:
    """One ``python -c "import torch"``, wall seconds."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True)
    return time.perf_counter() - start


def _children_cpu() -> float:
    """User and system seconds of every process this one has waited for, and of theirs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_suite(env: dict[str, str]) -> tuple[float, int, str, float]:
    """``pytest -n auto`` with ``--durations=0``: (wall seconds, exit status, its output, CPU
    seconds of it and every process it started)."""
    cpu = _children_cpu()
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "auto", "--durations=0"],
        env=env,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - start, run.returncode, run.stdout, _children_cpu() - cpu


def shares(output: str) -> dict[str, float]:
    """Seconds per owner (check or test file), from ``--durations=0``'s lines."""
    per_owner: dict[str, float] = {}
    for seconds, nodeid in re.findall(r"^([\d.]+)s \w+\s+(\S+)", output, re.M):
        per_owner[owner(nodeid)] = per_owner.get(owner(nodeid), 0.0) + float(seconds)
    return per_owner


def _print_shares(per_owner: dict[str, float], most: int = 15) -> None:
    total = sum(per_owner.values()) or 1.0
    print(f"\nwhere the test time goes ({total:.0f} s summed over the workers):")
    for name, seconds in sorted(per_owner.items(), key=lambda kv: -kv[1])[:most]:
        print(f"  {seconds / total:6.1%}  {seconds:6.1f} s  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="suite runs (best is kept)")
    parser.add_argument("--profiles", action="store_true", help="one run per profile as well")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat: expected a whole number of at least 1")

    torch_times = [import_torch_seconds()]
    runs = []
    env = {**os.environ, "CI": "true"}
    env.pop("CHUNKATTN_PROFILE", None)
    for _ in range(args.repeat):
        runs.append(run_suite(env))
        torch_times += [import_torch_seconds(), import_torch_seconds()]
    torch_s = min(torch_times)
    wall, status, output, cpu = min(runs, key=lambda r: r[0])
    cores = len(os.sched_getaffinity(0))
    summary = re.findall(r"^=*\s*(\d+ (?:passed|failed).*?) in [\d.]+s", output, re.M)
    print(f'python -c "import torch": {torch_s:.2f} s (best of {len(torch_times)})')
    print(
        f"pytest -n auto (CI=true, {cores} cores): {wall:.1f} s = "
        f"{wall / torch_s:.0f}x import torch, exit {status}"
        f" ({summary[-1] if summary else 'no summary'})"
    )
    print(
        f"CPU: {cpu:.0f} s, user and system, of the run and every process it started; on "
        f"{cores} cores that alone is at least {cpu / cores:.0f} s however the work is spread"
    )
    for line in re.findall(r"^(?:FAILED|ERROR) .*$", output, re.M):
        print(f"  {line}")
    verdict = "meets" if wall < BAR_SECONDS and status == 0 else "MISSES"
    print(f"bar: under {BAR_SECONDS:.0f} s on 2 cores, passing: {verdict} it")
    _print_shares(shares(output))

    if args.profiles:
        times = {}
        for profile in PROFILES:
            seconds, code, _, _ = run_suite({**env, "CHUNKATTN_PROFILE": profile})
            times[profile] = seconds
            print(
                f"{profile:>10}: {seconds:6.1f} s wall "
                f"({seconds / times[PROFILES[0]]:.1f}x precommit), exit {code}"
            )


if __name__ == "__main__":
    main()
