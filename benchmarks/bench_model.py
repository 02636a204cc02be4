"""Eval forward time and peak memory of each attention backend relative to eager, in one run.

Batch 4, depth 5, 6 heads of 64, chunk 4, 10 context chunks, at T=1024 and T=4096 patches.
`window` must be >= 3x faster than `eager` at T=4096. Peak memory is the largest RSS growth
seen while the forward runs (CPU; no CUDA allocator here).
"""

from __future__ import annotations

import resource
import sys
import time

import torch

from chunkattn import ChunkConfig
from chunkattn.config import ChunkedAttentionSettings, ModelSettings
from chunkattn.model import TransformerModel


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


def measure(model: TransformerModel, backend: str, seq_len: int) -> tuple[float, float]:
    model.attention_backend = backend
    x = torch.randn(4, seq_len, 64, generator=torch.Generator().manual_seed(0))
    lengths = torch.full((4,), seq_len)
    with torch.no_grad():
        model(x[:, :64], torch.full((4,), 64), chunk_config=ChunkConfig(4, 10))  # warm-up
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        model(x, lengths, chunk_config=ChunkConfig(4, 10))
        elapsed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    return elapsed, peak / 1024


def main() -> None:
    model = build()
    backends = sys.argv[1:] or ["eager", "sdpa", "window"]
    print(f"{'T':>5} {'backend':>8} {'time/eager':>11} {'seconds':>8} {'peak RSS growth MB':>19}")
    for seq_len in (1024, 4096):
        # window first: ru_maxrss only grows, so measure the smallest footprint before the largest
        results = {
            b: measure(model, b, seq_len) for b in sorted(backends, key=lambda b: b != "window")
        }
        for backend in backends:
            seconds, peak = results[backend]
            print(
                f"{seq_len:>5} {backend:>8} {seconds / results['eager'][0]:>10.2f}x {seconds:>8.2f} {peak:>19.0f}"
            )


if __name__ == "__main__":
    main()
