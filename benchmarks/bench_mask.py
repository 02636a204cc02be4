"""Mask construction speed, as ratios measured in one run (these machines are noisy).

Prints: naive reference / optimized (must be >= 100x at T=512) and optimized / plain T x T
causal bool mask (must be <= 2x), for the cached (repeat geometry, as in training) and cold
(cache cleared every call) paths.
"""

from __future__ import annotations

import timeit

import torch

from chunkattn import ChunkConfig, create_dynamic_chunk_mask
from chunkattn.masks import _cached_mask
from chunkattn.reference import reference_mask


def best(fn, number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number


def main() -> None:
    config = ChunkConfig(4, 10)
    print(f"{'T':>5} {'reference/optimized':>20} {'optimized/causal':>17} {'cold/causal':>12}")
    for seq_len in (128, 512, 1024):
        causal = best(lambda t=seq_len: torch.ones(t, t, dtype=torch.bool).tril(), 200)
        warm = best(lambda t=seq_len: create_dynamic_chunk_mask(t, config), 200)

        def cold(t=seq_len):
            _cached_mask.cache_clear()
            return create_dynamic_chunk_mask(t, config)

        cold_time = best(cold, 100)
        naive = best(lambda t=seq_len: reference_mask(t, config), 1)
        print(
            f"{seq_len:>5} {naive / warm:>19.0f}x {warm / causal:>16.2f}x {cold_time / causal:>11.2f}x"
        )


if __name__ == "__main__":
    main()
