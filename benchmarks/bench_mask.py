"""Mask construction speed, as ratios measured in one run (these machines are noisy).

For the seed's eval geometry (C=4, L=10) it prints, per T:
- reference/optimized: the naive loop reference against the optimized mask, both for a repeated
  geometry (cached, as in training, where the same T and config recur) and a cold build (cache
  cleared before every call);
- optimized/causal: the optimized mask against building a plain T x T causal bool mask.
The issue's bar, at T=512: reference/optimized >= 100x and optimized/causal <= 2x.
"""

from __future__ import annotations

import timeit

import torch

from chunkattn import ChunkConfig, create_dynamic_chunk_mask
from chunkattn.masks import _chunk_rows
from chunkattn.reference import reference_mask


def best(fn, number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number


def cold(seq_len: int, config: ChunkConfig) -> torch.Tensor:
    _chunk_rows.cache_clear()
    return create_dynamic_chunk_mask(seq_len, config)


def main() -> None:
    config = ChunkConfig(4, 10)
    print(
        f"{'T':>5} {'reference/cached':>17} {'reference/cold':>15} "
        f"{'cached/causal':>14} {'cold/causal':>12}"
    )
    verdict = {}
    for seq_len in (128, 512, 1024):
        causal = best(lambda t=seq_len: torch.ones(t, t, dtype=torch.bool).tril(), 200)
        warm = best(lambda t=seq_len: create_dynamic_chunk_mask(t, config), 200)
        cold_time = best(lambda t=seq_len: cold(t, config), 100)
        naive = best(lambda t=seq_len: reference_mask(t, config), 1)
        print(
            f"{seq_len:>5} {naive / warm:>16.0f}x {naive / cold_time:>14.0f}x "
            f"{warm / causal:>13.2f}x {cold_time / causal:>11.2f}x"
        )
        if seq_len == 512:
            verdict = {
                "faster than reference": min(naive / warm, naive / cold_time),
                "slower than causal": max(warm / causal, cold_time / causal),
            }
    fast, slow = verdict["faster than reference"], verdict["slower than causal"]
    print(
        f"\nT=512, worst of cached and cold: {fast:.0f}x faster than the reference "
        f"({'meets' if fast >= 100 else 'MISSES'} >= 100x), {slow:.2f}x a plain causal mask "
        f"({'meets' if slow <= 2 else 'MISSES'} <= 2x)"
    )


if __name__ == "__main__":
    main()
