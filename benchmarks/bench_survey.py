"""The model survey's wall time: ``chunkattn survey --kind model --profile ci --json`` with
``--workers N`` (default: the cores this process may use) beside a bare ``python -c "import
torch"``, each a fresh process. The bar: at most 90 s on a 2-core machine. Then the same survey
with ``--workers 1`` (every entry in one process, in order: the survey as it ran before it had
workers), and every entry's verdict compared: ``ok``, and each check's status per precision,
must be the same in both runs (times and counterexamples aside: a counterexample may be shrunk
further in one run than in the other when shrinking hits its time budget).

The parallel run goes first, so the sequential run cannot warm anything for it but the
Inductor cache on disk, which both use (``TORCHINDUCTOR_CACHE_DIR``; see bench_compiled.py).

    python benchmarks/bench_survey.py [--workers N] [--no-sequential] [--save FILE] [--expect FILE]

``--save FILE`` writes the parallel run's verdicts as JSON; ``--expect FILE`` compares them
with such a file (a run of another commit, say) instead of running the sequential survey.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

from chunkattn._internal.engine.options import cores

BAR = 90.0
CHUNKATTN = [
    sys.executable,
    "-c",
    "from chunkattn._internal.commands.cli import main; raise SystemExit(main())",
]


def timed(argv: list[str]) -> tuple[float, str, float]:
    """Wall seconds of one process running ``argv``, its stdout, and the CPU seconds it and
    its children (the survey's workers) used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return seconds, done.stdout, cpu


def survey(workers: int) -> tuple[float, dict[str, dict[str, object]], float]:
    """Wall seconds of the model survey in ``workers`` processes, each entry's verdicts, and
    the CPU seconds it used."""
    argv = [*CHUNKATTN, "survey", "--kind", "model", "--profile", "ci", "--json"]
    seconds, out, cpu = timed([*argv, "--workers", str(workers)])
    return seconds, verdicts(json.loads(out)), cpu


def verdicts(entries: list[dict]) -> dict[str, dict[str, object]]:
    """adapter -> {"ok": ..., "checks": {"name [precision]": status}} (and the error)."""
    return {
        e["adapter"]: {
            "ok": e["ok"],
            "error": "error" in e,
            "checks": {
                f"{c['name']} [{c.get('precision', '-')}]": c["status"] for c in e["checks"]
            },
        }
        for e in entries
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=cores())
    parser.add_argument("--no-sequential", action="store_true", help="skip the --workers 1 run")
    parser.add_argument("--save", help="write the parallel run's verdicts to this JSON file")
    parser.add_argument("--expect", help="compare with the verdicts saved in this JSON file")
    args = parser.parse_args()
    torch_import = min(timed([sys.executable, "-c", "import torch"])[0] for _ in range(3))
    print(f"python -c 'import torch': {torch_import:.2f} s (best of 3)")
    parallel, found, cpu = survey(args.workers)
    held = parallel <= BAR
    print(
        f"survey --kind model --profile ci --workers {args.workers}: {parallel:.1f} s "
        f"({parallel / torch_import:.0f}x import torch), {len(found)} entries, "
        f"{sum(v['ok'] is False for v in found.values())} failing; bar <= {BAR:g} s: "
        f"{'ok' if held else 'OVER'}"
    )
    # on a machine others share, the CPU seconds say what the run cost whatever the load
    print(f"  CPU: {cpu:.1f} s in all, {cpu / args.workers:.1f} s per worker")
    if args.save:
        with open(args.save, "w") as out:
            json.dump(found, out, indent=1)
    expected, what = None, ""
    if args.expect:
        with open(args.expect) as kept:
            expected, what = json.load(kept), args.expect
    elif not args.no_sequential:
        sequential, expected, cpu = survey(1)
        what = "--workers 1"
        print(
            f"survey ... --workers 1: {sequential:.1f} s ({sequential / parallel:.2f}x the "
            f"parallel run), CPU {cpu:.1f} s"
        )
    if expected is not None:
        differ = sorted(
            name for name in set(found) | set(expected) if found.get(name) != expected.get(name)
        )
        print(f"verdicts equal to {what}'s: {'yes' if not differ else 'NO: ' + ', '.join(differ)}")
        for name in differ:
            mine, theirs = found.get(name, {}), expected.get(name, {})
            print(f"  {name}: ok {mine.get('ok')} vs {theirs.get('ok')}")
            for check in sorted(set(mine.get("checks", {})) | set(theirs.get("checks", {}))):
                a, b = mine.get("checks", {}).get(check), theirs.get("checks", {}).get(check)
                if a != b:
                    print(f"    {check}: {a} vs {b}")
        held &= not differ
    print("bar held" if held else "bar NOT held")


if __name__ == "__main__":
    main()
