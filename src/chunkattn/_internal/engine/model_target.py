"""Models as targets (docs/contract.md: Model targets; What a model declares it reaches): the factory protocol, its loader, its geometry.

``--model MODULE:NAME`` names a factory ``NAME(seed: int = 0)`` returning any object with:

- ``forward(x, lengths) -> y``: eval mode, deterministic; ``x`` float32 ``(B, frames,
  features)``, ``lengths`` int64 ``(B,)`` in frames, ``y`` ``(B, patches, ...)``;
- ``features``, ``samples_per_patch``: input width, frames per token (``patches = ceil(frames /
  samples_per_patch)``);
- ``chunk_size``, ``context_chunks``, ``depth``: the geometry the model claims (``C`` tokens a
  chunk; ``L`` left chunks a layer, ``None`` unlimited, or one entry per layer; attention layers);
- optionally ``stream()``: a new stream with ``feed(frames (n, features)) -> (k, ...)``,
  ``flush() -> (k, ...)`` and optionally ``state_size() -> int``;
- optionally what the model reaches beyond attention (section 9.1): ``left_reach`` (tokens each
  layer's convolution reaches left: ``K - 1`` for a causal depthwise kernel ``K``),
  ``lookahead_frames`` (frames a token reads past its own patch: a subsampling front end's right
  context), ``lookbehind_frames`` (frames it reads before its patch: a causal subsampling front
  end, NeMo's ``causal_downsampling``; chunkattn's extension of the declarations),
  ``right_reach`` (tokens every layer reads right of a token: an attention window's right
  context, NeMo's ``regular`` style, plus a non-causal convolution's right half; chunkattn's
  extension, see :attr:`ModelTarget.right_span`), ``timestep_sec`` (seconds per token) and
  ``within_chunk`` (``"causal"`` for chunks that are causal inside).
- optionally ``module`` (the ``torch.nn.Module`` whose parameters are trained) and
  ``train_forward(x, lengths)`` (the forward as training runs it; default ``module.train()`` then
  ``module(x, lengths)``): the training-health checks (docs/contract.md: The training side);
- optionally ``precision``: what the model trains in, a precision name or a list of them
  (``"bf16-mixed"``, ``["32-true", "16-mixed"]``), the default of ``--precision`` for it
  (docs/contract.md: Precision and device). A factory that takes a ``device`` keyword is given
  the device the checks run on.

A ``SimpleNamespace`` will do; :class:`ModelTarget` is the same as a dataclass::

    def make_model(seed: int = 0) -> ModelTarget:
        net = MyConformer(seed=seed).eval()
        return ModelTarget(forward=net, features=80, samples_per_patch=4, chunk_size=4,
                           context_chunks=10, depth=6, left_reach=14, lookahead_frames=3,
                           stream=net.streamer)

This module is the protocol only: it imports no check and no model, so every layer above it
(the checks, the targets, the commands) can import it.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chunkattn._internal.contract.core import WITHIN_CHUNK, is_int
from chunkattn._internal.engine.importing import TargetError, import_target_module
from chunkattn._internal.engine.limits import limited
from chunkattn._internal.engine.precision import Precision

__all__ = [
    "ModelTarget",
    "as_model_target",
    "limited_model_factory",
    "load_model_factory",
]


@dataclass(frozen=True)
class ModelTarget:
    """A model under test, as the checks see it (validated by :func:`as_model_target`).

    ``context_chunks`` is one ``L`` for every layer, or a tuple with one per layer (``None``: a
    global layer); :attr:`layer_context` always gives the tuple.
    """

    forward: Callable[..., Any]
    features: int
    samples_per_patch: int
    chunk_size: int
    context_chunks: int | None | tuple[int | None, ...]
    depth: int
    stream: Callable[[], Any] | None = None
    left_reach: int = 0
    lookahead_frames: int = 0
    lookbehind_frames: int = 0
    timestep_sec: float | None = None
    within_chunk: str = "full"

    def __post_init__(self) -> None:
        if isinstance(self.context_chunks, list):  # one entry per layer, kept immutable
            object.__setattr__(self, "context_chunks", tuple(self.context_chunks))

    #: the ``torch.nn.Module`` whose parameters are trained, and the forward as training runs
    #: it (None: ``module.train()`` then ``module(x, lengths)``)
    module: Any = None
    train_forward: Callable[..., Any] | None = None
    #: tokens every layer reads to the right of a token (chunkattn's extension of the declarations)
    right_reach: int = 0
    #: what the forward runs in and where (docs/contract.md: Precision and device); a factory's
    #: model is ``32-true`` on the CPU until :func:`~chunkattn._internal.engine.placement.place`
    #: puts it elsewhere
    precision: Precision = Precision.TRUE_32
    device: str = "cpu"
    #: the precisions the target declares it trains in (its ``precision``), None if it does not
    trains_in: tuple[Precision, ...] | None = None

    @property
    def frames_per_chunk(self) -> int:
        return self.chunk_size * self.samples_per_patch

    @property
    def layer_context(self) -> tuple[int | None, ...]:
        """``L`` of every layer, in order."""
        if isinstance(self.context_chunks, tuple):
            return self.context_chunks
        return (self.context_chunks,) * self.depth

    @property
    def bounded(self) -> bool:
        """Every layer has a finite left context (the stack's receptive field is finite)."""
        return all(ctx is not None for ctx in self.layer_context)

    @property
    def reach_chunks(self) -> int:
        """Chunks one layer's non-attention modules add to the left: ``ceil(left_reach / C)``."""
        return -(-self.left_reach // self.chunk_size)

    @property
    def left_span(self) -> int | None:
        """Input chunks left of its own that an output chunk depends on, through the whole
        stack: ``sum(L_i + ceil(left_reach / C)) + ceil(lookbehind_frames / (C * S))`` (the
        front end's look back counts once); None when unlimited."""
        if not self.bounded:
            return None
        behind = -(-self.lookbehind_frames // self.frames_per_chunk)
        return sum(ctx + self.reach_chunks for ctx in self.layer_context) + behind

    @property
    def right_span(self) -> int:
        """Input chunks right of its own that an output chunk depends on:
        ``depth * ceil(right_reach / C) + ceil(lookahead_frames / (C * S))``. Exact (proved
        against the token-level reference in ``tests/test_right_reach.py``) with full chunks or
        ``C = 1`` (validation rejects ``right_reach`` with causal chunks of ``C > 1``); with both
        ``right_reach`` and ``lookahead_frames`` the right-edge chunk is left open
        (:meth:`allows`)."""
        return self.depth * -(-self.right_reach // self.chunk_size) + -(
            -self.lookahead_frames // self.frames_per_chunk
        )

    @property
    def ahead_frames(self) -> int:
        """Frames past its own chunk that a chunk's outputs may read: ``lookahead_frames``, plus
        ``depth * ceil(right_reach / C)`` whole chunks with a right reach."""
        return self.lookahead_frames + (
            self.depth * -(-self.right_reach // self.chunk_size) * self.frames_per_chunk
        )

    def expected_dependence(self, out_chunk: int, in_chunk: int) -> bool:
        """Output chunk ``c`` depends on input chunk ``j`` iff ``c - sum(L_i + ceil(left_reach /
        C)) - ceil(lookbehind_frames / (C*S)) <= j <= c + ceil(lookahead_frames / (C*S))``."""
        if in_chunk > out_chunk + self.right_span:
            return False
        span = self.left_span
        return span is None or in_chunk >= out_chunk - span

    def allows(self, out_chunk: int, in_chunk: int, depends: bool) -> bool:
        """Whether measuring ``depends`` for (``out_chunk``, ``in_chunk``) keeps the promise:
        :meth:`expected_dependence`, except one cell the declaration cannot pin down. A front
        end's look back and a convolution's reach merge when the convolution comes before the
        first attention (the order is not declared), and may then reach one chunk less than the
        formula: so with both declared, the formula's left-edge chunk may go either way."""
        span = self.left_span
        edge = span is not None and in_chunk == out_chunk - span
        if edge and self.lookbehind_frames and self.left_reach:
            return True
        right_edge = in_chunk == out_chunk + self.right_span
        if right_edge and self.right_reach and self.lookahead_frames:
            return True  # a front end's lookahead and a right reach need not add up whole
        return depends == self.expected_dependence(out_chunk, in_chunk)

    def window_chunks(self, cap: int = 12) -> int:
        """Chunks of input enough to see the stack's whole receptive field and past it on both
        sides (at most ``cap``, so a deep stack stays cheap). A stack with an unlimited layer
        gets the whole ``cap``: a layer that should be global but is windowed shows only past
        its window, however wide that is."""
        span = self.left_span
        if span is None:
            return cap
        return min(span + self.right_span + 3, cap)


def _integer(obj: Any, name: str, where: str, minimum: int, default: Any = ..., none=False) -> Any:
    if not hasattr(obj, name):
        if default is ...:
            raise TargetError(f"{where}: missing attribute {name!r}")
        return default
    value = getattr(obj, name)
    if value is None and none:
        return None
    if not is_int(value) or value < minimum:
        allowed = f"an integer >= {minimum}" + (" or None" if none else "")
        raise TargetError(f"{where}: {name} must be {allowed}, got {value!r}")
    return int(value)


def _context(obj: Any, where: str) -> tuple[int | None | tuple[int | None, ...], int]:
    """``context_chunks`` and ``depth``, validated together (a list sets the depth)."""
    if not hasattr(obj, "context_chunks"):
        raise TargetError(f"{where}: missing attribute 'context_chunks'")
    value = obj.context_chunks
    if not isinstance(value, list | tuple):
        return _integer(obj, "context_chunks", where, 0, none=True), _integer(
            obj, "depth", where, 1
        )
    layers = []
    for i, entry in enumerate(value):
        if entry is not None and (not is_int(entry) or entry < 0):
            raise TargetError(
                f"{where}: context_chunks[{i}] must be an integer >= 0 or None (a global "
                f"layer), got {entry!r}"
            )
        layers.append(None if entry is None else int(entry))
    if not layers:
        raise TargetError(f"{where}: context_chunks is an empty list; give one entry per layer")
    depth = _integer(obj, "depth", where, 1, default=len(layers))
    if depth != len(layers):
        raise TargetError(
            f"{where}: context_chunks has {len(layers)} entries (one per layer) but depth is "
            f"{depth}; they must agree"
        )
    return tuple(layers), depth


def as_model_target(obj: Any, where: str = "the model") -> ModelTarget:
    """Check ``obj`` has the protocol's attributes with sensible values; raise ``TargetError``
    with one line naming the attribute and what is allowed."""
    forward = getattr(obj, "forward", None)
    if not callable(forward):
        raise TargetError(f"{where}: missing a callable forward(x, lengths)")
    stream = getattr(obj, "stream", None)
    if stream is not None and not callable(stream):
        raise TargetError(f"{where}: stream must be a callable returning a new stream, or absent")
    context, depth = _context(obj, where)
    timestep = getattr(obj, "timestep_sec", None)
    if timestep is not None and (
        isinstance(timestep, bool)
        or not isinstance(timestep, int | float)
        or not math.isfinite(timestep)
        or timestep <= 0
    ):
        raise TargetError(
            f"{where}: timestep_sec must be a number of seconds > 0, got {timestep!r}"
        )
    within = getattr(obj, "within_chunk", "full")
    if within not in WITHIN_CHUNK:
        raise TargetError(f"{where}: within_chunk must be one of {WITHIN_CHUNK}, got {within!r}")
    module, train_forward = _training_side(obj, where)
    placed = (
        {"precision": obj.precision, "device": obj.device} if isinstance(obj, ModelTarget) else {}
    )
    return ModelTarget(
        forward=forward,
        features=_integer(obj, "features", where, 1),
        samples_per_patch=_integer(obj, "samples_per_patch", where, 1),
        chunk_size=_integer(obj, "chunk_size", where, 1),
        context_chunks=context,
        depth=depth,
        stream=stream,
        left_reach=_integer(obj, "left_reach", where, 0, default=0),
        lookahead_frames=_integer(obj, "lookahead_frames", where, 0, default=0),
        lookbehind_frames=_integer(obj, "lookbehind_frames", where, 0, default=0),
        right_reach=_right_reach(obj, where, within),
        timestep_sec=None if timestep is None else float(timestep),
        within_chunk=within,
        module=module,
        train_forward=train_forward,
        trains_in=declared_precisions(obj, where),
        **placed,
    )


def _right_reach(obj: Any, where: str, within: str) -> int:
    """``right_reach``, validated: with chunks causal inside it has no exact chunk formula."""
    reach = _integer(obj, "right_reach", where, 0, default=0)
    chunk = getattr(obj, "chunk_size", 1)
    if reach and within == "causal" and is_int(chunk) and chunk > 1:
        raise TargetError(
            f"{where}: right_reach={reach} with within_chunk='causal' and chunk_size={chunk} has "
            "no exact chunk-level dependence; declare chunk_size=1 (a token-level window) or "
            "full chunks"
        )
    return reach


def _training_side(obj: Any, where: str) -> tuple[Any, Callable[..., Any] | None]:
    """``module`` and ``train_forward``, validated (docs/contract.md: The training side); both optional."""
    module = getattr(obj, "module", None)
    train_forward = getattr(obj, "train_forward", None)
    if module is not None:
        import torch

        if not isinstance(module, torch.nn.Module):
            raise TargetError(
                f"{where}: module must be the torch.nn.Module whose parameters are trained, "
                f"got {type(module).__name__}"
            )
        if next(iter(module.parameters()), None) is None:
            raise TargetError(f"{where}: module {type(module).__name__} has no parameters to train")
    if train_forward is not None:
        if not callable(train_forward):
            raise TargetError(
                f"{where}: train_forward must be a callable train_forward(x, lengths), "
                f"got {type(train_forward).__name__}"
            )
        if module is None:
            raise TargetError(
                f"{where}: train_forward needs module (the torch.nn.Module whose parameters it trains)"
            )
    return module, train_forward


def accepts_device(factory: Callable[..., Any]) -> bool:
    """``factory`` takes a ``device`` keyword (or ``**kwargs``)."""
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(
        p.name == "device" and p.kind is not p.POSITIONAL_ONLY or p.kind is p.VAR_KEYWORD
        for p in parameters
    )


def declared_precisions(obj: Any, where: str = "the model") -> tuple[Precision, ...] | None:
    """The ``precision`` a model target declares (a name or a list: what it trains in), or
    None; a TargetError of one line when it is not a precision."""
    from chunkattn._internal.engine.precision import parse_precisions

    if isinstance(obj, ModelTarget):
        return obj.trains_in
    value = getattr(obj, "precision", None)
    if value is None:
        return None
    if not isinstance(value, str | list | tuple):
        raise TargetError(
            f"{where}: precision must be a precision name or a list of them, got {value!r}"
        )
    try:
        return parse_precisions(value)
    except ValueError as exc:
        raise TargetError(f"{where}: {exc}") from None


def load_model_factory(spec: str) -> Callable[..., ModelTarget]:
    """``MODULE:NAME`` (module a dotted name or a ``.py`` path) as a factory of validated
    :class:`ModelTarget`; the model for seed 0 is built once here, so a broken factory is one
    clear error before any check runs. The factory returned takes ``device=`` too, which it
    passes on to a factory that accepts it."""
    module_spec, sep, name = spec.rpartition(":")
    if not sep or not module_spec or not name.isidentifier():
        raise TargetError(f"{spec}: --model takes MODULE:NAME (a factory NAME(seed: int = 0))")
    module = import_target_module(module_spec, "--model")
    factory = getattr(module, name, None)
    if not callable(factory):
        raise TargetError(f"{spec}: {module_spec} has no callable {name}")

    takes_device = accepts_device(factory)

    def build(seed: int = 0, device: str | None = None) -> ModelTarget:
        if device is not None and takes_device:
            return as_model_target(factory(seed=seed, device=device), f"{spec}(seed={seed})")
        return as_model_target(factory(seed=seed), f"{spec}(seed={seed})")

    try:
        build(0)
    except TargetError:
        raise
    except Exception as exc:
        raise TargetError(f"{spec}(seed=0) failed: {exc.__class__.__name__}: {exc}") from None
    return build


class _LimitedStream:
    def __init__(self, stream: Any, seconds: float) -> None:
        self.feed = limited(stream.feed, seconds, "stream.feed")
        self.flush = limited(stream.flush, seconds, "stream.flush")
        if callable(getattr(stream, "state_size", None)):
            self.state_size = limited(stream.state_size, seconds, "stream.state_size")


def limited_model_factory(
    factory: Callable[..., Any], seconds: float
) -> Callable[..., ModelTarget]:
    """``factory`` whose models run every call (forward, stream, feed, flush) under a limit."""
    build = limited(factory, seconds, "model factory")
    takes_device = accepts_device(factory)

    def make(seed: int = 0, device: str | None = None) -> ModelTarget:
        model = as_model_target(
            build(seed, device=device) if device is not None and takes_device else build(seed)
        )
        stream = model.stream and limited(model.stream, seconds, "stream")
        return dataclasses.replace(
            model,
            forward=limited(model.forward, seconds, "forward"),
            stream=stream and (lambda: _LimitedStream(stream(), seconds)),
            train_forward=model.train_forward
            and limited(model.train_forward, seconds, "train_forward"),
        )

    return make
