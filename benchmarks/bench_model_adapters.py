"""Each model adapter's survey time under the ``ci`` profile, as a ratio to chunkattn's own
model target (``chunkattn._internal.engine.model_target:chunkattn_model``) run through the same checks
in the same process.

Every target is built once before it is timed (the library imported, the model's first
forward run), so the time is the checks', not the import's. The baseline is timed before and
after the adapters and the faster run is used. ``flex_attention`` entries include
``torch.compile``'s work for each new shape: that is what a user running them pays.

    python benchmarks/bench_model_adapters.py [--profile ci] [ADAPTER ...]
"""

from __future__ import annotations

import argparse
import time

import torch

from chunkattn import adapters
from chunkattn._internal.commands.survey import survey_adapter
from chunkattn._internal.engine.model_target import load_model_factory

BASELINE = "chunkattn._internal.engine.model_target:chunkattn_model"


def timed(name: str, profile: str) -> tuple[float, str]:
    """Seconds for one survey entry of ``name`` and its verdict, after one warm build."""
    if name != BASELINE and not adapters.available(name):
        return float("nan"), "not installed"
    try:
        model = load_model_factory(adapters.target_name(name))(0)
        x = torch.randn(1, 4 * model.frames_per_chunk, model.features)
        model.forward(x, torch.tensor([x.shape[1]]))
    except Exception as exc:  # the entry's error: timed all the same
        print(f"  ({name}: {type(exc).__name__})")
    start = time.perf_counter()
    entry = survey_adapter(name, profile=profile)
    seconds = time.perf_counter() - start
    bad = [c["name"] for c in entry["checks"] if c["status"] in ("fail", "error")]
    verdict = "error" if "error" in entry else ("ok" if entry["ok"] else f"fail {','.join(bad)}")
    return seconds, verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="ci")
    parser.add_argument("names", nargs="*", help="model adapters (default: all)")
    args = parser.parse_args()
    torch.set_num_threads(1)  # as the survey runs
    names = args.names or list(adapters.MODEL_ADAPTERS)
    base = timed(BASELINE, args.profile)[0]
    rows = [(name, *timed(name, args.profile)) for name in names]
    base = min(base, timed(BASELINE, args.profile)[0])
    print(f"baseline {BASELINE}: {base:.2f} s (profile {args.profile})")
    print(f"{'adapter':<52} {'x baseline':>10} {'seconds':>8}  verdict")
    for name, seconds, verdict in rows:
        print(f"{name:<52} {seconds / base:>10.1f} {seconds:>8.1f}  {verdict}")


if __name__ == "__main__":
    main()
