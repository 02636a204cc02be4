"""Streams by example: independent streams side by side, and the state bound in numbers."""

from __future__ import annotations

import torch

from chunkattn._internal.engine.own_model import build_model
from chunkattn._internal.impl.streaming import StreamingEncoder

CASE = {
    "depth": 3,
    "chunk_size": 2,
    "context_chunks": 1,
    "samples_per_patch": 2,
    "features": 4,
    "n_heads": 2,
    "seed": 5,
    "lengths": [1],
}


def test_interleaved_streams_do_not_share_state():
    model = build_model(CASE)
    g = torch.Generator().manual_seed(0)
    inputs = [torch.randn(37, 4, generator=g), torch.randn(29, 4, generator=g)]
    streams = [StreamingEncoder(model), StreamingEncoder(model)]
    outputs: list[list[torch.Tensor]] = [[], []]
    for start in range(0, 40, 3):  # alternate 3-frame pieces between the two streams
        for i, (stream, x) in enumerate(zip(streams, inputs, strict=True)):
            outputs[i].append(stream.feed(x[start : start + 3]))
    for i, (stream, x) in enumerate(zip(streams, inputs, strict=True)):
        streamed = torch.cat([*outputs[i], stream.flush()])
        with torch.no_grad():
            full = model(x[None], torch.tensor([x.shape[0]]))[0]
        assert streamed.shape == full.shape
        assert float((streamed - full).abs().max()) <= 1e-5, f"stream {i} differs"


def test_state_stays_at_the_bound_on_a_long_stream():
    model = build_model(CASE)
    stream = StreamingEncoder(model)
    x = torch.randn(400, 4, generator=torch.Generator().manual_seed(1))
    sizes = []
    for start in range(0, 400, 7):
        stream.feed(x[start : start + 7])
        sizes.append(max(stream.cached_tokens()))
    assert stream.cache_limit == 2  # L * C = 1 * 2
    assert max(sizes) == 2 and sizes[-1] == 2
