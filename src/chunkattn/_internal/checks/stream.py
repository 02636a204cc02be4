"""The ``stream.*`` checks (docs/contract.md: chunkattn's own model and streaming encoder; Model targets) on any model target with ``stream()``.

``stream.equivalence``: the concatenated outputs of ``feed`` and ``flush`` equal the model's own
``forward`` for any split of the input. ``stream.latency``: a chunk's outputs come out as soon
as its frames and the declared lookahead are in, whatever the pieces. ``stream.bounded_state``:
with finite ``L``, the stream's ``state_size()`` stops growing — it is the same after ``N`` and
after ``2N`` chunks, for ``N`` past the window.
"""

from __future__ import annotations

import torch

from chunkattn._internal.checks.model import differs, model_of, run_forward, tolerance_note
from chunkattn._internal.engine.cases import model_inputs
from chunkattn._internal.engine.model_target import ModelTarget
from chunkattn._internal.engine.registry import Case, CheckContext, fail, register
from chunkattn._internal.engine.schema import Int, ListOf
from chunkattn._internal.engine.target import Capability

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
    """Streamed outputs, concatenated, equal ``forward`` on the whole input (within the model's
    precision's tolerance: 1e-5 in float32)."""
    x = torch.randn(frames, model.features, generator=torch.Generator().manual_seed(seed))
    cuts = [min(c, frames) for c in cuts]
    streamed = stream_outputs(model, x, cuts)
    full = run_forward(model, x[None], torch.tensor([frames]))[0]
    if streamed.shape != full.shape:
        fail(
            f"streaming {frames} frames in pieces cut at {cuts} gave {tuple(streamed.shape)} "
            f"outputs, forward gives {tuple(full.shape)}"
        )
    tolerance = model.precision.tolerance
    if differs(streamed, full, tolerance):
        diff = (streamed - full).abs().reshape(full.shape[0], -1).amax(-1)
        first = int((diff > tolerance.bound(float(full.abs().max()))).nonzero()[0])
        fail(
            f"streamed output differs from forward by {float(diff.max()):.3g} (first at token "
            f"{first}, chunk {first // model.chunk_size}) with pieces cut at {cuts}"
            f"{tolerance_note(model)}"
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
    model_inputs(frames=Int(1, 60), cuts=ListOf(Int(0, 60), max_len=8)),
    needs=Capability.STREAM,
    example_share=0.4,
)
def stream_equivalence(ctx: CheckContext, case: Case) -> None:
    """Streamed outputs, concatenated, equal the model's full forward for any split of the input.

    ## What it asserts
    On a model target with `stream()`: one utterance of 1 to 60 frames is fed to a new stream in
    pieces cut at up to 8 drawn positions (empty pieces and pieces that split a patch or a chunk
    included), then `flush()` is called. The outputs of every `feed` and the `flush`, concatenated,
    must have the shape of `forward` on the whole utterance (one row, its length the whole input)
    and equal it within 1e-5 plus 1e-5 of the output's scale; all pieces must have the same
    per-token shape. The failure names the first token that differs and its chunk. Under a reduced precision the tolerance scales with the compute dtype: 32 of its `eps`
    absolute and as much relative (0.25 for bfloat16, 0.031 for float16), stated in the failure.

    ## Why it matters
    The stream is what is deployed; the forward is what was trained and evaluated. Any difference
    is accuracy lost in production that no offline metric shows: a cache one chunk short, the
    positions restarting at 0 for every streamed chunk, a convolution cache of the wrong length or
    not carried between chunks, one layer reading another layer's cache, a flush that drops the last
    partial chunk or patch, a feeder that does not wait for the front end's right context.

    ## Example failure
    ```
    FAIL  stream.equivalence  202 examples  counterexample: {'seed': 0, 'noise': 0, 'frames': 5,
      'cuts': []}  streamed output differs from forward by 0.794 (first at token 2, chunk 1) with
      pieces cut at []
    ```
    Even fed in one piece, the second chunk differs: its cache holds one chunk of left context too
    few.

    ## Catches
    - `tests/models/bug_cache_one_chunk_short.py` — the cache keeps `(L - 1) * C` tokens, counting
      the current chunk as one of the `L`.
    - `tests/models/bug_positions_restart.py` — absolute positions restart at 0 for every streamed
      chunk.
    - `tests/models/bug_shared_layer_cache.py` — per-layer caches built as `[{...}] * depth`: one
      dict shared by every layer.
    - `tests/models/bug_flush_drops_partial_chunk.py` — `flush` runs only whole chunks, dropping a
      final partial chunk.
    - `tests/models/bug_flush_drops_partial_patch.py` — `flush` drops a final partly filled patch.
    - `tests/models/bug_floor_valid_patches.py` — the valid patch count floored, so a partly filled
      last patch is never attended as a key in the forward.
    - `tests/models/bug_conformer_conv_cache_short.py` — the convolution cache keeps `K - 2` inputs
      instead of `K - 1`
      ([lucidrains/audiolm-pytorch#166](https://github.com/lucidrains/audiolm-pytorch/issues/166)).
    - `tests/models/bug_conformer_conv_cache_not_carried.py` — the convolution cache computed but
      never carried to the next chunk
      ([Blaizzy/mlx-audio#773](https://github.com/Blaizzy/mlx-audio/issues/773)).
    - `tests/models/bug_conformer_stream_skips_right_context.py` — the stream emits a chunk before the
      front end's right context is in and pads it with zeros
      ([wenet-e2e/wenet#1040](https://github.com/wenet-e2e/wenet/issues/1040),
      [wenet-e2e/wenet#205](https://github.com/wenet-e2e/wenet/issues/205),
      [altunenes/parakeet-rs#78](https://github.com/altunenes/parakeet-rs/issues/78)).

    ## How to fix
    Feed the counterexample yourself and compare token by token: the first wrong token's position
    inside its chunk tells the cause (a chunk's first tokens: a convolution cache; every token after
    the first chunk: positions or the attention cache; the last tokens: flush or right context).
    The stream must keep, per layer and separately, `L * C` past keys and values, `K - 1` inputs of
    each causal convolution, the absolute position of the next token, and the frames of the partial
    patch and chunk; `flush` must run the partial chunk and zero-pad the partial patch as the forward
    does:

    ```python
    caches = [dict() for _ in range(depth)]  # not [{}] * depth
    positions = torch.arange(start, start + n)  # absolute, continuing across chunks
    ```
    """
    check_stream_equivalence(model_of(ctx, case), case["frames"], case["cuts"], case["noise"])


@register(
    "stream.latency",
    model_inputs(chunks=Int(1, 4), cuts=ListOf(Int(0, 80), max_len=8)),
    needs=Capability.STREAM,
    example_share=0.3,
)
def stream_latency(ctx: CheckContext, case: Case) -> None:
    """A chunk's outputs come out once its frames and the declared lookahead are fed: none held back.

    ## What it asserts
    On a model target with `stream()`: 1 to 4 whole chunks of frames plus `lookahead_frames` more
    are fed in pieces cut at up to 8 drawn positions. After every piece, with `end` frames fed, the
    stream must have emitted at least `floor((end - lookahead_frames) / (C * S)) * C` tokens, before
    any `flush()`: each whole chunk whose frames and declared lookahead are in is due.

    ## Why it matters
    The latency a streaming config promises is one chunk plus the declared lookahead. A stream that
    emits chunk `c` only once chunk `c + 1` is complete (as block-processing encoders do with a
    look-ahead block) still produces exactly the forward's outputs, so
    [`stream.equivalence`](stream.equivalence.md) passes, but its latency is a chunk more than the
    model needs and declares: with chunks of 640 ms, every word is heard 640 ms later.

    ## Example failure
    ```
    FAIL  stream.latency  103 examples  counterexample: {'seed': 0, 'noise': 0, 'chunks': 1,
      'cuts': []}  after 11 frames fed (pieces cut at []) the stream has emitted 0 tokens; 1
      whole chunks of 8 frames plus 3 lookahead frames are in, so 2 tokens are due: the stream
      holds a chunk back
    ```
    The first chunk and its 3 frames of right context are in, and nothing has come out.

    ## Catches
    - `tests/models/bug_conformer_holds_chunk_back.py` — the stream rounds the front end's right
      context up to a whole look-ahead chunk
      ([espnet/espnet#5729](https://github.com/espnet/espnet/issues/5729)).

    ## How to fix
    Emit a chunk as soon as its last frame plus `lookahead_frames` are buffered, not when the next
    chunk is complete:

    ```python
    def feed(self, frames):
        self.buffer = torch.cat([self.buffer, frames])
        out = []
        # chunk c is due once frames up to (c + 1) * C * S + lookahead_frames are in
        while len(self.buffer) >= (self.done + 1) * C * S + lookahead_frames:
            out.append(self._run_chunk(self.done))  # not: wait for chunk done + 1
            self.done += 1
        return torch.cat(out) if out else self._no_output()
    ```
    If the model really needs a whole chunk of lookahead, declare it (`lookahead_frames = C * S`)
    so the report states the latency it has.
    """
    check_stream_latency(model_of(ctx, case), case["chunks"], case["cuts"], case["noise"])


@register(
    "stream.bounded_state",
    model_inputs(piece=Int(1, 12)),
    needs=Capability.STREAM_STATE,
    example_share=0.2,
)
def stream_bounded_state(ctx: CheckContext, case: Case) -> None:
    """With finite left context the stream's state stops growing: the same after N and after 2N chunks.

    ## What it asserts
    On a model target whose stream has `state_size()` (whatever it caches, counted in tokens or
    bytes) and whose every layer has a finite `L`: a stream is fed `N` chunks, then `N` more, in
    pieces of 1 to 12 frames, with

    ```
    N = sum_i (L_i + ceil(left_reach / C) + 1) + ceil(lookbehind_frames / (C*S))
        + ceil(lookahead_frames / (C*S)) + 2
    ```

    chunks, past the stack's whole window. `state_size()` after `2N` chunks must equal
    `state_size()` after `N`. A model with `context_chunks=None` is skipped (its state may grow);
    a per-layer list with a global layer (`None` entry) leaves nothing to assert, so it passes.

    ## Why it matters
    A stream runs for hours. With a finite window it needs only `L * C` past tokens a layer (plus a
    convolution's `K - 1` inputs), and everything older is invisible anyway, so a cache that is never
    trimmed produces exactly the right outputs while its memory, and the attention's cost per chunk,
    grow with the stream's length until it runs out of memory or falls behind real time.

    ## Example failure
    ```
    FAIL  stream.bounded_state  103 examples  counterexample: {'seed': 0, 'noise': 0,
      'piece': 1}  state_size() is 24 after 6 chunks and 48 after 12 (pieces of 1 frames): the
      state grows with the stream although L=1
    ```
    The state doubles with the stream's length: nothing is ever dropped from the cache.

    ## Catches
    - `tests/models/bug_cache_never_trimmed.py` — the attention cache is never trimmed; the mask on
      absolute positions keeps the outputs exact.
    - `tests/models/bug_conformer_conv_cache_never_trimmed.py` — the convolution cache is
      concatenated with every chunk's inputs and never cut back to `K - 1`
      ([espnet/espnet#5729](https://github.com/espnet/espnet/issues/5729),
      [HumanMLLM/ViSpeak#11](https://github.com/HumanMLLM/ViSpeak/issues/11)).

    ## How to fix
    Trim every cache after each chunk to what the next chunk can still see:

    ```python
    k_cache = torch.cat([k_cache, k_new])[-L * C :]  # attention: L chunks of keys
    v_cache = torch.cat([v_cache, v_new])[-L * C :]
    conv_cache = torch.cat([conv_cache, conv_in])[-(K - 1) :]  # causal depthwise convolution
    ```
    With `L = 0` keep no attention cache at all (slicing with `[-0:]` keeps everything).
    """
    check_bounded_state(model_of(ctx, case), case["piece"], case["noise"])
