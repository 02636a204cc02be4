"""The ``stream.*`` checks (SPEC sections 6 and 9) on any model target with ``stream()``.

``stream.equivalence``: the concatenated outputs of ``feed`` and ``flush`` equal the model's own
``forward`` for any split of the input. ``stream.latency``: a chunk's outputs come out as soon
as its frames and the declared lookahead are in, whatever the pieces. ``stream.bounded_state``:
with finite ``L``, the stream's ``state_size()`` stops growing — it is the same after ``N`` and
after ``2N`` chunks, for ``N`` past the window.
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from .model_checks import differs, model_of, run_forward, target_model_cases
from .model_target import ModelTarget
from .registry import Case, CheckContext, fail, register

__all__ = [
    "check_bounded_state",
    "check_stream_equivalence",
    "check_stream_latency",
    "stream_outputs",
]


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


def check_stream_latency(model: ModelTarget, chunks: int, cuts: list[int], seed: int = 0) -> None:
    """After the frames of ``k`` whole chunks plus ``lookahead_frames`` more have been fed, in
    any pieces, the stream has emitted at least ``k*C`` tokens (before any flush)."""
    fpc, ahead = model.frames_per_chunk, model.ahead_frames
    frames = chunks * fpc + ahead
    x = torch.randn(frames, model.features, generator=torch.Generator().manual_seed(seed))
    bounds = sorted({0, frames, *(min(c, frames) for c in cuts)})
    stream, emitted = model.stream(), 0
    for start, end in zip(bounds, bounds[1:], strict=False):
        emitted += _as_tensor(stream.feed(x[start:end]), f"feed of frames {start}:{end}").shape[0]
        due = max(0, (end - ahead) // fpc) * model.chunk_size
        if emitted < due:
            ready = due // model.chunk_size
            fail(
                f"after {end} frames fed (pieces cut at {bounds[1:-1]}) the stream has emitted "
                f"{emitted} tokens; {ready} whole chunks of {fpc} frames"
                + (f" plus {ahead} lookahead frames" if ahead else "")
                + f" are in, so {due} tokens are due: the stream holds a chunk back"
            )
    stream.flush()


def check_bounded_state(model: ModelTarget, piece: int, seed: int = 0) -> None:
    """With finite ``L``, ``state_size()`` after ``N`` chunks equals that after ``2N``."""
    if not model.bounded:
        return  # unlimited left context: the state may grow
    n = model.left_span + model.depth + model.right_span + 2
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
    "stream.latency",
    lambda ctx: target_model_cases(
        chunks=st.integers(1, 4), cuts=st.lists(st.integers(0, 80), max_size=8)
    ),
    needs="stream",
    example_share=0.3,
)
def stream_latency(ctx: CheckContext, case: Case) -> None:
    """A chunk's outputs are out once its frames and the declared lookahead are fed, in any
    pieces: no chunk held back."""
    check_stream_latency(model_of(ctx, case), case["chunks"], case["cuts"], case["noise"])


@register(
    "stream.bounded_state",
    lambda ctx: target_model_cases(piece=st.integers(1, 12)),
    needs="stream_state",
    example_share=0.2,
)
def stream_bounded_state(ctx: CheckContext, case: Case) -> None:
    """With finite L the stream's state stops growing: the same after N and 2N chunks."""
    check_bounded_state(model_of(ctx, case), case["piece"], case["noise"])
