"""Mask construction speed, as ratios measured in one run (these machines are noisy).

For the seed's eval geometry (C=4, L=10) it prints, per T:
- reference/optimized: the naive loop reference against the optimized mask, both for a repeated
  geometry (cached, as in training, where the same T and config recur) and a cold build (cache
  cleared before every call);
- optimized/causal: the optimized mask against building a plain T x T causal bool mask.
The issue's bar, at T=512: reference/optimized >= 100x and optimized/causal <= 2x.

Then, at T=512 with one intra-op thread (as verify and the model run), the warm mask against the
floor a fresh caller-owned tensor allows: one copy of a T x T bool mask (a clone of a cached
one), and against an in-place ``torch.ones(T, T).tril_()`` (float, and bool).
"""

from __future__ import annotations

import timeit

import torch

from chunkattn import ChunkConfig, create_dynamic_chunk_mask
from chunkattn._internal.contract.reference import reference_mask
from chunkattn._internal.impl.masks import _chunk_rows


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
    floor()


def floor(seq_len: int = 512) -> None:
    """The warm mask against one copy and against a plain in-place causal mask, 1 thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        config = ChunkConfig(4, 10)
        cached = create_dynamic_chunk_mask(seq_len, config).clone()
        times = {
            "warm mask": lambda: create_dynamic_chunk_mask(seq_len, config),
            "one copy (clone)": cached.clone,
            "torch.ones(T, T).tril_()": lambda: torch.ones(seq_len, seq_len).tril_(),
            "torch.ones(T, T, bool).tril_()": lambda: torch.ones(
                seq_len, seq_len, dtype=torch.bool
            ).tril_(),
        }
        best_of = {name: float("inf") for name in times}
        for _ in range(5):  # interleaved, best of 5 rounds
            for name, fn in times.items():
                best_of[name] = min(best_of[name], best(fn, 200))
    finally:
        torch.set_num_threads(threads)
    warm = best_of["warm mask"]
    print(f"\nT={seq_len}, one thread, warm mask {warm * 1e6:.1f} us:")
    for name, seconds in best_of.items():
        if name != "warm mask":
            print(f"  warm / {name:<32} {warm / seconds:5.2f}x")


if __name__ == "__main__":
    main()
