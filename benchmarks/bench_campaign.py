"""A campaign against a pytest run, in one run of this script (these machines are noisy):

1. examples per check per minute: ``chunkattn fuzz --workers N`` against ``pytest -n N`` on the
   ``ci`` profile, both on the same mask-only target, printed as a ratio;
2. the corner a pytest run cannot reach: ``tests/impls/campaign_deep_history_table.py`` (a bug only at
   ``C=16``, ``L>16``, ``T>272``) passes the ``ci`` profile and the shipped seeds, and a campaign
   finds it; the script prints how many seconds that took (the issue asks for two minutes).

    python benchmarks/bench_campaign.py [--workers 2] [--max-time 60]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORRECT = ROOT / "tests" / "impls" / "correct_numpy.py"
DEEP = ROOT / "tests" / "impls" / "campaign_deep_history_table.py"


def _run(args: list[str], cwd: str) -> tuple[float, subprocess.CompletedProcess]:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("CI", None)
    start = time.perf_counter()
    run = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    return time.perf_counter() - start, run


def pytest_examples(workers: int, cwd: str) -> tuple[float, dict[str, int]]:
    """Wall time of the ci-profile pytest run of the mask checks, and examples per check."""
    seconds, run = _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-n", str(workers)]
        + ["--pyargs", "chunkattn.properties", "--impl", str(CORRECT)]
        + ["--chunkattn-profile", "ci", "-k", "test_mask_", "--hypothesis-show-statistics"],
        cwd,
    )
    counts: dict[str, int] = {}
    for name, block in re.findall(r"::test_(mask_\w+)\[[^\]]*\]:\n((?:\s+-.*\n)+)", run.stdout):
        counts[name] = sum(int(n) for n in re.findall(r"(\d+) passing", block))
    return seconds, counts


def fuzz_examples(workers: int, max_time: float, cwd: str) -> tuple[float, dict[str, int]]:
    seconds, run = _run(
        [sys.executable, "-m", "chunkattn._internal.commands.cli", "fuzz", "--impl", str(CORRECT)]
        + ["--workers", str(workers), "--max-time", str(max_time), "-k", "mask."],
        cwd,
    )
    counts = {
        name.replace(".", "_"): int(n)
        for name, n in re.findall(r"^PASS\s+(mask\.\w+)\s+(\d+) examples", run.stdout, re.M)
    }
    return seconds, counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--max-time", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cwd:
        p_seconds, p_counts = pytest_examples(args.workers, cwd)
        f_seconds, f_counts = fuzz_examples(args.workers, args.max_time, cwd)
        print(f"examples per check per minute, {args.workers} workers on {CORRECT.name}:")
        print(f"{'check':<24}{'pytest ci':>12}{'campaign':>12}{'ratio':>9}")
        # the small-scope checks are exhaustive: one example is the whole grid, in either run
        for name in sorted(n for n in set(p_counts) & set(f_counts) if "small_scope" not in n):
            p_rate = p_counts[name] / p_seconds * 60
            f_rate = f_counts[name] / f_seconds * 60
            print(f"{name:<24}{p_rate:>12.0f}{f_rate:>12.0f}{f_rate / max(p_rate, 1e-9):>8.1f}x")
        print(
            f"(pytest: {sum(p_counts.values())} examples in {p_seconds:.0f} s wall, "
            f"campaign: {sum(f_counts.values())} in {f_seconds:.0f} s wall)\n"
        )

        _, ci = _run(
            [
                sys.executable,
                "-m",
                "chunkattn._internal.commands.cli",
                "verify",
                "--impl",
                str(DEEP),
            ]
            + ["--profile", "ci"],
            cwd,
        )
        print(f"{DEEP.name}: ci profile + shipped seeds exit {ci.returncode} (0: missed)")
        seconds, run = _run(
            [sys.executable, "-m", "chunkattn._internal.commands.cli", "fuzz", "--impl", str(DEEP)]
            + ["--workers", str(args.workers), "--max-time", "120"],
            cwd,
        )
        found = re.findall(r"^found: (\S+) after (\d+) examples, (\d+) s", run.stderr, re.M)
        for check, examples, at in found:
            print(f"  campaign found it through {check} after {examples} examples, at {at} s")
        print(f"  campaign exit {run.returncode} (1: found) in {seconds:.0f} s")


if __name__ == "__main__":
    main()
