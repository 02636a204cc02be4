"""A compiled target's verify against its eager twin's: ``chunkattn verify --model
chunkattn.adapters.model_hf_decoders:<family>_flex --profile ci`` (transformers compiles
``flex_attention`` and ``create_block_mask`` with ``torch.compile``) against ``..._sdpa`` for
llama4_chunked, mistral, qwen2 and gemma3, each a fresh process, measured interleaved (these
machines are shared and noisy: flex, sdpa, flex, sdpa, ...), beside a bare
``python -c "import torch"``. Each ratio is the best flex run over the best sdpa run. The bar:
flex at most 3x sdpa, with both verdicts printed (each check's pass/fail from ``--json``) and
the seconds torch spent compiling (the checks' ``compile_seconds``).

Inductor keeps what it compiled on disk (``TORCHINDUCTOR_CACHE_DIR``, by default
``/tmp/torchinductor_$USER``), so a machine's first run compiles from scratch and later ones
mostly load. ``--cold`` gives every flex run a fresh, empty cache directory: the first run on a
new machine (no bar: that is compilation, not chunkattn).

    python benchmarks/bench_compiled.py [--repeat 2] [--cold] [FAMILY ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

FAMILIES = ("llama4_chunked", "mistral", "qwen2", "gemma3")
BAR = 3.0
CHUNKATTN = [
    sys.executable,
    "-c",
    "from chunkattn._internal.commands.cli import main; raise SystemExit(main())",
]


def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    """Wall seconds of one process running ``argv``, and its stdout."""
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    return time.perf_counter() - start, done.stdout


def verify(family: str, impl: str, cold: bool) -> tuple[float, dict[str, str], float]:
    """Wall seconds of ``verify --json`` on ``family``'s ``impl`` twin, each check's verdict
    (``name [precision]`` -> status; an entry's error as ``error``) and the compile seconds."""
    target = f"chunkattn.adapters.model_hf_decoders:{family}_{impl}"
    env = dict(os.environ)
    if cold:
        env["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-compiled-")
    seconds, out = run([*CHUNKATTN, "verify", "--model", target, "--profile", "ci", "--json"], env)
    try:
        report = json.loads(out)
    except json.JSONDecodeError:
        return seconds, {"(no report)": "error"}, 0.0
    verdicts = {
        f"{c['name']} [{c['precision']}]" if "precision" in c else c["name"]: c["status"]
        for c in report["checks"]
        if c["status"] != "skip"
    }
    compiling = sum(c.get("compile_seconds", 0.0) for c in report["checks"])
    return seconds, verdicts, compiling


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each (best is kept)")
    parser.add_argument("--cold", action="store_true", help="an empty Inductor cache per run")
    parser.add_argument("families", nargs="*", help=f"default: {' '.join(FAMILIES)}")
    args = parser.parse_args()
    families = args.families or list(FAMILIES)
    torch_import = min(
        run([sys.executable, "-c", "import torch"])[0] for _ in range(max(args.repeat, 1))
    )
    print(f"python -c 'import torch': {torch_import:.2f} s (best of {max(args.repeat, 1)})")
    best: dict[tuple[str, str], float] = {}
    verdicts: dict[tuple[str, str], dict[str, str]] = {}
    compiling: dict[str, float] = {}
    for _ in range(max(args.repeat, 1)):
        for family in families:
            for impl in ("flex", "sdpa"):
                seconds, seen, compiled = verify(family, impl, args.cold and impl == "flex")
                key = (family, impl)
                if seconds < best.get(key, float("inf")):
                    best[key] = seconds
                    if impl == "flex":
                        compiling[family] = compiled
                verdicts.setdefault(key, seen)
                if verdicts[key] != seen:
                    print(f"  {family}_{impl}: verdicts differ between runs: {seen}")
    print(
        f"{'family':<16} {'flex s':>7} {'compile':>8} {'sdpa s':>7} {'flex/sdpa':>9}  "
        f"bar <= {BAR:g}  verdicts (flex | sdpa)"
    )
    held = True
    for family in families:
        flex, sdpa = best[(family, "flex")], best[(family, "sdpa")]
        ratio = flex / sdpa
        same = verdicts[(family, "flex")] == {
            k: v for k, v in verdicts[(family, "sdpa")].items() if k in verdicts[(family, "flex")]
        }
        held &= ratio <= BAR and same
        print(
            f"{family:<16} {flex:>7.1f} {compiling[family]:>8.1f} {sdpa:>7.1f} {ratio:>9.2f}  "
            f"{'ok' if ratio <= BAR else 'OVER':<10}  {_summary(verdicts[(family, 'flex')])} | "
            f"{_summary(verdicts[(family, 'sdpa')])}{'' if same else '  (DIFFER)'}"
        )
    print(
        f"{'all within the bar' if held else 'NOT all within the bar'}"
        f"{' (cold Inductor cache: no bar)' if args.cold else ''}; "
        f"flex/import torch: {max(best[(f, 'flex')] for f in families) / torch_import:.1f}x at most"
    )


def _summary(verdicts: dict[str, str]) -> str:
    """``9 pass`` or ``8 pass, 1 fail (model.finite [32-true])``."""
    passed = sum(v == "pass" for v in verdicts.values())
    bad = [f"{k}: {v}" for k, v in verdicts.items() if v != "pass"]
    return f"{passed} pass" + (f", {len(bad)} not ({'; '.join(bad)})" if bad else "")


if __name__ == "__main__":
    main()
