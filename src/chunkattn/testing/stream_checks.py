"""The ``stream.*`` checks (SPEC sections 6 and 9) on any model target with ``stream()``.

``stream.equivalence``: the concatenated outputs of ``feed`` and ``flush`` equal the model's own
``forward`` for any split of the input. ``stream.bounded_state``: with finite ``L``, the stream's
``state_size()`` stops growing — it is the same after ``N`` and after ``2N`` chunks, for ``N``
past the window.
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from .model_checks import differs, model_of, run_forward, target_model_cases
from .model_target import ModelTarget
from .registry import Case, CheckContext, fail, register

__all__ = ["check_bounded_state", "check_stream_equivalence", "stream_outputs"]


def _as_tensor(out: object, what: str) -> torch.Tensor:
    if not isinstance(out, torch.Tensor):
        fail(f"{what} returned {type(out).__name__}, not a tensor")
    return out.detach().float().cpu()


def stream_outputs(model: ModelTarget, x: torch.Tensor, cuts: list[int]) -> torch.Tensor:
    """Feed ``x`` (frames, features) cut at ``cuts`` (empty pieces included), then flush."""
    stream = model.stream()
    bounds = [0, *sorted(cuts), x.shape[0]]
    pieces = [
        _as_tensor(stream.feed(x[start:end]), f"feed of frames {start}:{end}")
        for start, end in zip(bounds, bounds[1:], strict=False)
    ]
    pieces.append(_as_tensor(stream.flush(), "flush"))
    widths = {tuple(p.shape[1:]) for p in pieces if p.shape[0]}
    if len(widths) > 1:
        fail(f"stream pieces have different shapes {sorted(widths)}")
    width = next(iter(widths), ())
    return torch.cat([p.reshape(p.shape[0], *width) for p in pieces])


def check_stream_equivalence(
    model: ModelTarget, frames: int, cuts: list[int], seed: int = 0
) -> None:
    """Streamed outputs, concatenated, equal ``forward`` on the whole input (<= 1e-5)."""
    x = torch.randn(frames, model.features, generator=torch.Generator().manual_seed(seed))
    cuts = [min(c, frames) for c in cuts]
    streamed = stream_outputs(model, x, cuts)
    full = run_forward(model, x[None], torch.tensor([frames]))[0]
    if streamed.shape != full.shape:
        fail(
            f"streaming {frames} frames in pieces cut at {cuts} gave {tuple(streamed.shape)} "
            f"outputs, forward gives {tuple(full.shape)}"
        )
    if differs(streamed, full):
        diff = (streamed - full).abs().reshape(full.shape[0], -1).amax(-1)
        first = int((diff > 1e-5).nonzero()[0])
        fail(
            f"streamed output differs from forward by {float(diff.max()):.3g} (first at token "
            f"{first}, chunk {first // model.chunk_size}) with pieces cut at {cuts}"
        )


def check_bounded_state(model: ModelTarget, piece: int, seed: int = 0) -> None:
    """With finite ``L``, ``state_size()`` after ``N`` chunks equals that after ``2N``."""
    if model.context_chunks is None:
        return  # unlimited left context: the state may grow
    n = model.depth * (model.context_chunks + 1) + 2
    fpc = model.frames_per_chunk
    x = torch.randn(2 * n * fpc, model.features, generator=torch.Generator().manual_seed(seed))
    stream = model.stream()
    sizes = {}
    for end_chunk in (n, 2 * n):
        start = (end_chunk - n) * fpc
        for begin in range(start, end_chunk * fpc, piece):
            stream.feed(x[begin : min(begin + piece, end_chunk * fpc)])
        sizes[end_chunk] = stream.state_size()
    stream.flush()
    if sizes[n] != sizes[2 * n]:
        fail(
            f"state_size() is {sizes[n]} after {n} chunks and {sizes[2 * n]} after {2 * n} "
            f"(pieces of {piece} frames): the state grows with the stream although "
            f"L={model.context_chunks}"
        )


@register(
    "stream.equivalence",
    lambda ctx: target_model_cases(
        frames=st.integers(1, 60), cuts=st.lists(st.integers(0, 60), max_size=8)
    ),
    needs="stream",
    example_share=0.4,
)
def stream_equivalence(ctx: CheckContext, case: Case) -> None:
    """Concatenated streamed outputs equal the full forward (<= 1e-5) for any split."""
    check_stream_equivalence(model_of(ctx, case), case["frames"], case["cuts"], case["noise"])


@register(
    "stream.bounded_state",
    lambda ctx: target_model_cases(piece=st.integers(1, 12)),
    needs="stream_state",
    example_share=0.2,
)
def stream_bounded_state(ctx: CheckContext, case: Case) -> None:
    """With finite L the stream's state stops growing: the same after N and 2N chunks."""
    check_bounded_state(model_of(ctx, case), case["piece"], case["noise"])
