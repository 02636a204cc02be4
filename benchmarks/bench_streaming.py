"""Streaming cost per emitted chunk vs recomputing the full forward over the whole prefix, at
stream lengths 256, 1024 and 4096 patches (the seed's eval config: chunk 4, 3.2 s -> L=10).

Ratios in one run: recompute/stream must be >= 10x at 4096, and streaming's per-chunk cost at
4096 within 1.5x of its cost at 256; the state column shows cached tokens per layer.
"""

from __future__ import annotations

import time

import torch

from chunkattn.config import load_config
from chunkattn.model import TransformerModel
from chunkattn.streaming import StreamingEncoder


def main() -> None:
    config = load_config()
    model = TransformerModel(config.model, config.chunked, seed=0).eval()
    p, features = config.model.samples_per_patch, config.model.features_list[0]
    chunk_frames = 4 * p
    print(
        f"{'patches':>8} {'stream ms/chunk':>16} {'recompute ms':>13} {'recompute/stream':>17} {'vs 256':>7} {'state':>6}"
    )
    base = None
    for patches in (256, 1024, 4096):
        x = torch.randn(patches * p, features, generator=torch.Generator().manual_seed(0))
        stream = StreamingEncoder(model)
        stream.feed(
            x[: -32 * chunk_frames]
        )  # reach the stream length, then time the last 32 chunks
        start = time.perf_counter()
        for i in range(32, 0, -1):
            stream.feed(x[-i * chunk_frames : len(x) - (i - 1) * chunk_frames])
        per_chunk = (time.perf_counter() - start) / 32
        with torch.no_grad():
            model.attention_backend = "window"
            start = time.perf_counter()
            model(x[None], torch.tensor([len(x)]))
            recompute = time.perf_counter() - start
        base = base or per_chunk
        print(
            f"{patches:>8} {per_chunk * 1e3:>16.3f} {recompute * 1e3:>13.1f} {recompute / per_chunk:>16.0f}x "
            f"{per_chunk / base:>6.2f}x {max(stream.state_size()):>6}"
        )


if __name__ == "__main__":
    main()
