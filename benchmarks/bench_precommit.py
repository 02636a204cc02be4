"""The pre-commit hook's cost against the interpreter's: ``chunkattn verify --profile precommit``
on a correct and on a buggy implementation, beside a bare ``python -c "import torch"``, measured
interleaved (best of N each, these machines are shared and noisy).

The hook as published passes ``--cache``: a commit that changes nothing the last green run read
skips the checks (``chunkattn._internal.engine.green_runs``). So two numbers: the full run
(uncached: the first commit after the target, its imports, config, seeds or libraries changed, or
``--no-cache``) and the skipped one (cache primed by one green run, in a temporary directory).
Beside them the floor of any full run: ``import torch`` plus the first mask built on the
``meta`` device (``mask.shape_dtype`` asks for one), which imports sympy and torch._dynamo. The
bar: at most 1.5x the bare torch import. Which of the two runs meets it is printed.

Then where the time goes, in one process that follows verify's steps: the imports, the target,
each check's seconds, and the wait for the check the helper process runs in parallel
(``chunkattn._internal.engine.offload``). With ``--catalogue``, last, ``verify --profile precommit`` on
every seeded bug of ``tests/impls`` (in one process, one run each, never cached): each must fail
with the check it names.

    python benchmarks/bench_precommit.py [--repeat 3] [--impl FILE.py] [--catalogue]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORRECT = ROOT / "tests" / "impls" / "correct_token_bounds.py"
BUGGY = ROOT / "tests" / "impls" / "bug_float_ceil.py"
#: the bar: the hook at most this many times a bare ``python -c "import torch"``
BAR = 1.5
#: what any full run costs at least: torch, then the first mask on the meta device
FLOOR = "import torch; x = torch.arange(8, device='meta'); (x // 2)[:, None] <= (x // 2)[None]"
CHUNKATTN = [
    sys.executable,
    "-c",
    "from chunkattn._internal.commands.cli import main; raise SystemExit(main())",
]

#: verify's steps, timed, in a fresh process (printed as "stage seconds" lines)
_BREAKDOWN = r"""
import sys, time
start = time.perf_counter()
def lap(what, since):
    now = time.perf_counter()
    print(f"{what}\t{now - since:.3f}")
    return now
from chunkattn._internal.engine.helper import helper
helper(IMPL)
t = lap("start the helper process", start)
import torch
t = lap("import torch", t)
from chunkattn.testing import CHECKS, CheckContext, load_target, profile_settings
from chunkattn._internal.engine.offload import offload
from chunkattn._internal.engine.runner import run_check
from chunkattn._internal.engine.seeds import load_seeds
from chunkattn._internal.contract.loader import load_config
t = lap("import hypothesis and the checks", t)
torch.set_num_threads(1)
target = load_target(IMPL)
ctx = CheckContext(target, load_config())
profile, seeds = profile_settings("precommit"), load_seeds()
t = lap("import the target, config, seeds", t)
offloaded = offload(CHECKS.values(), ctx, "precommit", seeds, config=None)
for name, check in CHECKS.items():
    if name in offloaded or check.skip_reason(target):
        continue
    run_check(check, ctx, profile, seeds.get(name, []))
    t = lap(f"check {name}", t)
for name in list(offloaded.tickets):
    result = offloaded.result(name, ctx, profile, seeds.get(name, []))
    t = lap(f"wait for {name} (helper process)", t)
    print(f"{name} in the helper process, its first meta-device mask included\t{result.seconds:.3f}")
lap("total", start)
import resource
import shutil
from chunkattn._internal.engine.helper import _HELPER
for running in _HELPER:
    running.stop()
own = resource.getrusage(resource.RUSAGE_SELF)
helper_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"cpu\t{own.ru_utime + own.ru_stime:.3f}\t{helper_cpu.ru_utime + helper_cpu.ru_stime:.3f}")
"""


#: verify --profile precommit on every seeded bug, in-process, one line each
_CATALOGUE = r"""
import contextlib, io, json, re
from pathlib import Path
from chunkattn._internal.commands.cli import main
for path in sorted(Path("tests/impls").glob("bug_*.py")):
    expected = re.search(r'EXPECTED_FAILURE = "([^"]+)"', path.read_text()).group(1)
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = main(["verify", "--profile", "precommit", "--impl", str(path), "--json"])
    status = {c["name"]: c["status"] for c in json.loads(out.getvalue())["checks"]}
    print(f"{'caught' if code == 1 and status[expected] == 'fail' else 'MISSED'}\t{path.stem}\t{expected}")
"""


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of the process and everything it started."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return seconds, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--impl", default=str(CORRECT))
    parser.add_argument("--catalogue", action="store_true", help="also verify every seeded bug")
    args = parser.parse_args()
    verify = [*CHUNKATTN, "verify", "--profile", "precommit"]
    cache = tempfile.mkdtemp(prefix="chunkattn-bench-cache-")
    cached_env = {**os.environ, "CHUNKATTN_CACHE_DIR": cache}
    hook = [*verify, "--cache", "--impl", args.impl]
    primed = subprocess.run(hook, cwd=ROOT, env=cached_env, capture_output=True, text=True)
    if primed.returncode != 0:
        sys.exit(f"{args.impl} does not pass verify --profile precommit:\n{primed.stdout}")
    torch_run = "python -c 'import torch'"
    uncached = "verify --profile precommit (correct)"
    cached = "  the same, --cache, unchanged"
    runs: dict[str, tuple[list[str], dict[str, str] | None]] = {
        torch_run: ([sys.executable, "-c", "import torch"], None),
        uncached: ([*verify, "--impl", args.impl], None),
        cached: (hook, cached_env),
        "verify --profile precommit (buggy)": ([*verify, "--impl", str(BUGGY)], None),
        "floor: import torch + a meta mask": ([sys.executable, "-c", FLOOR], None),
    }
    best = {name: float("inf") for name in runs}
    cpu = {name: float("inf") for name in runs}
    for _ in range(args.repeat):
        for name, (command, env) in runs.items():  # interleaved: load changes hit all alike
            seconds, used = measure(command, env)
            best[name], cpu[name] = min(best[name], seconds), min(cpu[name], used)
    shutil.rmtree(cache, ignore_errors=True)
    base, base_cpu = best[torch_run], cpu[torch_run]
    print(
        f"best of {args.repeat}; wall and CPU seconds (all processes), ratios to the bare import:"
    )
    for name, seconds in best.items():
        print(
            f"  {name:<40} {seconds:6.2f} s {seconds / base:5.2f}x   "
            f"cpu {cpu[name]:6.2f} s {cpu[name] / base_cpu:5.2f}x"
        )
    full, skipped = best[uncached] / base, best[cached] / base
    floor = best["floor: import torch + a meta mask"] / base

    def verdict(ratio: float) -> str:
        return f"{'meets' if ratio <= BAR else 'MISSES'} <= {BAR}"

    print(
        f"\nimport torch: {base:.2f} s (best of {args.repeat})\n"
        f"the hook, unchanged since its green run (--cache): {best[cached]:.2f} s = "
        f"{skipped:.2f}x import torch ({verdict(skipped)})\n"
        f"the hook's full run (uncached, --no-cache): {best[uncached]:.2f} s = {full:.2f}x "
        f"import torch ({verdict(full)}); with the second core taken by another job its two "
        f"processes share one and it costs about their CPU ({cpu[uncached] / base_cpu:.2f}x)\n"
        f"what one of its processes must do in turn, import torch then build a first mask on "
        f"the meta device: {floor:.2f}x, already past the bar"
    )
    print(
        f"bar {BAR}x: "
        + (
            "met by the full run"
            if full <= BAR
            else ("met only by the cached run" if skipped <= BAR else "NOT met")
        )
    )

    run = subprocess.run(
        [sys.executable, "-c", f"IMPL = {args.impl!r}\n" + _BREAKDOWN],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    print(f"\nwhere the time goes (one run on {Path(args.impl).name}, seconds):")
    for line in run.stdout.splitlines():
        what, *seconds = line.split("\t")
        if what == "cpu":
            main_cpu, helper_cpu = map(float, seconds)
            print(
                f"\nCPU: this process {main_cpu:.2f} s, the helper process {helper_cpu:.2f} s; on "
                f"two free cores the longer one is the wall: {max(main_cpu, helper_cpu) / base_cpu:.2f}"
                f"x the bare import's CPU ({base_cpu:.2f} s); on one core their sum: "
                f"{(main_cpu + helper_cpu) / base_cpu:.2f}x"
            )
        else:
            print(f"  {float(seconds[0]):6.3f}  {what}")
    if args.catalogue:
        run = subprocess.run(
            [sys.executable, "-c", _CATALOGUE], cwd=ROOT, capture_output=True, text=True
        )
        rows = [line.split("\t") for line in run.stdout.splitlines()]
        missed = [f"{bug} ({check})" for verdict, bug, check in rows if verdict != "caught"]
        print(
            f"\nverify --profile precommit on the {len(rows)} seeded bugs of tests/impls: "
            f"{len(rows) - len(missed)} caught by the check each names"
            + (f"; MISSED: {', '.join(missed)}" if missed else "")
        )


if __name__ == "__main__":
    main()
