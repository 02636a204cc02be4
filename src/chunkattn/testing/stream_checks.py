"""The ``stream.*`` checks (SPEC section 6) on :class:`~chunkattn.streaming.StreamingEncoder`."""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from ..streaming import StreamingEncoder
from .model_checks import EQUAL_ATOL, build_model, model_cases
from .registry import Case, CheckContext, CheckFailure, register


@st.composite
def stream_cases(draw) -> Case:
    """A model case (depth up to 5) with a stream length and a random split into pieces."""
    case = draw(model_cases(max_depth=5))
    frames = draw(st.integers(1, 60))
    cuts = sorted(set(draw(st.lists(st.integers(0, frames), max_size=8))))
    return {
        **case,
        "frames": frames,
        "cuts": cuts,
        "backend": draw(st.sampled_from(["eager", "window"])),
    }


def _stream(model, x: torch.Tensor, cuts: list[int], on_feed=None) -> torch.Tensor:
    stream = StreamingEncoder(model)
    bounds = [0, *cuts, x.shape[0]]
    pieces = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        pieces.append(stream.feed(x[start:end]))
        if on_feed:
            on_feed(stream)
    pieces.append(stream.flush())
    return torch.cat(pieces)


@register("stream.equivalence", lambda ctx: stream_cases(), needs="own", example_share=0.5)
def stream_equivalence(ctx: CheckContext, case: Case) -> None:
    """Concatenated streamed outputs equal the full eval forward (<= 1e-5) for any split."""
    model = build_model(case, case["backend"])
    x = torch.randn(
        case["frames"], case["features"], generator=torch.Generator().manual_seed(case["seed"])
    )
    streamed = _stream(model, x, case["cuts"])
    with torch.no_grad():
        full = model(x[None], torch.tensor([case["frames"]]))[0]
    if streamed.shape != full.shape:
        raise CheckFailure(
            f"streamed {tuple(streamed.shape)} outputs, full forward {tuple(full.shape)}"
        )
    diff = float((streamed - full).abs().max())
    if diff > EQUAL_ATOL:
        raise CheckFailure(
            f"streamed outputs differ from the full {case['backend']} forward by {diff:.3g}"
        )


@register("stream.bounded_state", lambda ctx: stream_cases(), needs="own", example_share=0.5)
def stream_bounded_state(ctx: CheckContext, case: Case) -> None:
    """With finite L each layer caches at most L*C tokens, however long the stream."""
    if case["context_chunks"] is None:
        case = {**case, "context_chunks": 1}
    model = build_model(case)
    limit = case["context_chunks"] * case["chunk_size"]
    frames = case["frames"] * 4
    x = torch.randn(frames, case["features"], generator=torch.Generator().manual_seed(case["seed"]))

    def bounded(stream: StreamingEncoder) -> None:
        if max(stream.state_size()) > limit:
            raise CheckFailure(f"a layer caches {max(stream.state_size())} tokens > L*C = {limit}")
        if stream.pending_frames >= stream.frames_per_chunk:
            raise CheckFailure(f"{stream.pending_frames} frames pending, more than a chunk")

    _stream(model, x, sorted({c * 4 for c in case["cuts"]}), on_feed=bounded)
