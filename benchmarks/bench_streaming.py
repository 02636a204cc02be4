"""Streaming cost per emitted chunk vs recomputing the full forward over the whole prefix, at
stream lengths 256, 1024 and 4096 patches (the seed's eval config: chunk 4, 3.2 s -> L=10).

Ratios in one run: recompute/stream must be >= 10x at 4096, and streaming's per-chunk cost at
4096 within 1.5x of its cost at 256; the state column shows cached tokens per layer.
"""

from __future__ import annotations

import time
import timeit

import torch

from chunkattn._internal.contract.loader import load_config
from chunkattn._internal.impl.model import TransformerModel
from chunkattn._internal.impl.streaming import StreamingEncoder

REPEATS = 3  # best of: the least disturbed measurement on a noisy machine
TIMED_CHUNKS = 32


def stream_cost(model: TransformerModel, x: torch.Tensor, chunk_frames: int) -> tuple[float, int]:
    """Seconds per chunk for the last chunks of a stream already at full length; state size."""
    best, state = float("inf"), 0
    for _ in range(REPEATS):
        stream = StreamingEncoder(model)
        stream.feed(x[: -TIMED_CHUNKS * chunk_frames])
        start = time.perf_counter()
        for i in range(TIMED_CHUNKS, 0, -1):
            stream.feed(x[len(x) - i * chunk_frames : len(x) - (i - 1) * chunk_frames])
        best = min(best, (time.perf_counter() - start) / TIMED_CHUNKS)
        state = max(stream.cached_tokens())
    return best, state


def recompute_cost(model: TransformerModel, x: torch.Tensor) -> float:
    """Seconds for one full forward over the whole prefix (window backend, the fastest)."""
    model.attention_backend = "window"
    lengths = torch.tensor([len(x)])
    with torch.no_grad():
        return min(timeit.repeat(lambda: model(x[None], lengths), number=1, repeat=REPEATS))


def main() -> None:
    config = load_config()
    model = TransformerModel(config.model, config.chunked, seed=0).eval()
    p, features = config.model.samples_per_patch, config.model.features_list[0]
    chunk_frames = model.eval_chunk_config.chunk_size * p
    print(
        f"{'patches':>8} {'stream ms/chunk':>16} {'recompute ms':>13} {'recompute/stream':>17} "
        f"{'vs 256':>7} {'state':>6}"
    )
    base = None
    for patches in (256, 1024, 4096):
        x = torch.randn(patches * p, features, generator=torch.Generator().manual_seed(0))
        per_chunk, state = stream_cost(model, x, chunk_frames)
        recompute = recompute_cost(model, x)
        base = base or per_chunk
        print(
            f"{patches:>8} {per_chunk * 1e3:>16.3f} {recompute * 1e3:>13.1f} "
            f"{recompute / per_chunk:>16.0f}x {per_chunk / base:>6.2f}x {state:>6}"
        )
    print(
        "\nbars: recompute/stream >= 10x at 4096; stream cost at 4096 within 1.5x of 256; "
        "state (cached tokens per layer) constant"
    )


if __name__ == "__main__":
    main()
