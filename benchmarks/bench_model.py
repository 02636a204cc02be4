"""Eval forward time and peak memory of each attention backend relative to eager, in one run.

Batch 4, depth 5, 6 heads of 64, chunk 4, 10 context chunks, at T=1024 and T=4096 patches.
The issue's bar: `window` at least 3x faster than `eager` at T=4096.

Each (backend, T) runs in a child process of its own, so its peak memory (the growth of the
process's peak resident set during the forward, after a warm-up) is its own: in one process the
high-water mark only rises and a later backend would show the earlier one's peak.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import torch

from chunkattn import ChunkConfig
from chunkattn._internal.contract.config import ChunkedAttentionSettings, ModelSettings
from chunkattn._internal.impl.model import TransformerModel

BACKENDS = ("eager", "sdpa", "window")
LENGTHS = (1024, 4096)
GEOMETRY = ChunkConfig(4, 10)


def build() -> TransformerModel:
    settings = ModelSettings(
        features_list=(64,),
        samples_per_patch=1,
        depth=5,
        n_heads=6,
        dim_head=64,
        mlp_dim_ratio=4,
        nClasses=40,
    )
    chunked = ChunkedAttentionSettings(1, 20, 3, 20, 0.08)
    return TransformerModel(settings, chunked, seed=0).eval()


def measure(backend: str, seq_len: int) -> dict[str, float]:
    """One eval forward of batch 4: seconds and peak resident-set growth in MB."""
    model = build()
    model.attention_backend = backend
    x = torch.randn(4, seq_len, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        model(x[:, :64], torch.full((4,), 64), chunk_config=GEOMETRY)  # warm-up
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        model(x, torch.full((4,), seq_len), chunk_config=GEOMETRY)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    return {"seconds": seconds, "peak_mb": peak / 1024}


def main() -> None:
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]))))
        return
    print(
        f"{'T':>5} {'backend':>8} {'time/eager':>11} {'seconds':>8} {'peak MB':>8} {'mem/eager':>10}"
    )
    for seq_len in LENGTHS:
        results = {}
        for backend in BACKENDS:
            child = subprocess.run(
                [sys.executable, __file__, "--one", backend, str(seq_len)],
                capture_output=True,
                text=True,
                check=True,
            )
            results[backend] = json.loads(child.stdout)
        eager = results["eager"]
        for backend, r in results.items():
            print(
                f"{seq_len:>5} {backend:>8} {r['seconds'] / eager['seconds']:>10.2f}x "
                f"{r['seconds']:>8.2f} {r['peak_mb']:>8.0f} "
                f"{r['peak_mb'] / max(eager['peak_mb'], 1):>9.2f}x"
            )
    print("\nbar: window at least 3x faster than eager at T=4096 (time/eager <= 0.33x)")


if __name__ == "__main__":
    main()
