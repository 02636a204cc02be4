"""What checking every precision costs: ``chunkattn verify --model ... --precision all`` against
``--precision 32-true`` on the same target, measured side by side in one run.

The issue's bar: ``all`` (32-true, bf16-mixed, 16-mixed) at most 3.5x the time of ``32-true``.
Each configuration runs as its own ``chunkattn verify`` process (as a user runs it, imports
included), alternating, ``ROUNDS`` times; the medians are compared. On a CPU-only machine the
reduced precisions run through CPU autocast (float16 is emulated there, so this is the dear
case); on a GPU pass ``--device cuda``.

    python benchmarks/bench_precision.py [--model FILE.py:factory] [--device cuda] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BAR = 3.5
DEFAULT_MODEL = str(Path(__file__).parent.parent / "tests" / "models" / "amp_ok_finfo_min.py")


def verify_seconds(model: str, precision: str, device: str | None, profile: str) -> float:
    command = [sys.executable, "-m", "chunkattn", "verify", "--model", model, "--profile", profile]
    command += ["--precision", precision, "--json"]
    if device:
        command += ["--device", device]
    started = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(f"verify --precision {precision} exited {run.returncode}: {run.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=f"{DEFAULT_MODEL}:make_model")
    parser.add_argument("--device", default=None)
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"32-true": [], "all": []}
    for _ in range(args.rounds):
        for precision in times:  # alternating, so a busy moment hits both alike
            times[precision].append(
                verify_seconds(args.model, precision, args.device, args.profile)
            )
    single, every = (statistics.median(times[p]) for p in ("32-true", "all"))
    ratio = every / single
    print(f"target: {args.model}   device: {args.device or 'default'}   profile: {args.profile}")
    print(f"--precision 32-true  {single:6.2f} s  (median of {args.rounds}: {times['32-true']})")
    print(f"--precision all      {every:6.2f} s  (median of {args.rounds}: {times['all']})")
    verdict = "within" if ratio <= BAR else "OVER"
    print(f"all / 32-true = {ratio:.2f}x  ({verdict} the {BAR:g}x bar)")
    return 0 if ratio <= BAR else 1


if __name__ == "__main__":
    sys.exit(main())
