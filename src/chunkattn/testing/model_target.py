"""Models as targets (SPEC section 9): the factory protocol, its loader, and chunkattn's own model.

``--model MODULE:NAME`` names a factory ``NAME(seed: int = 0)`` returning any object with:

- ``forward(x, lengths) -> y``: eval mode, deterministic; ``x`` float32 ``(B, frames,
  features)``, ``lengths`` int64 ``(B,)`` in frames, ``y`` ``(B, patches, ...)``;
- ``features``, ``samples_per_patch``: input width, frames per token (``patches = ceil(frames /
  samples_per_patch)``);
- ``chunk_size``, ``context_chunks``, ``depth``: the geometry the model claims (``C`` tokens a
  chunk, ``L`` left chunks a layer or ``None``, attention layers);
- optionally ``stream()``: a new stream with ``feed(frames (n, features)) -> (k, ...)``,
  ``flush() -> (k, ...)`` and optionally ``state_size() -> int``;
- optionally ``module`` (the ``torch.nn.Module`` whose parameters are trained) and
  ``train_forward(x, lengths)`` (the forward as training runs it; default ``module.train()`` then
  ``module(x, lengths)``): the training-health checks (SPEC section 9.2).

A ``SimpleNamespace`` will do; :class:`ModelTarget` is the same as a dataclass::

    def make_model(seed: int = 0) -> ModelTarget:
        net = MyEncoder(seed=seed).eval()
        return ModelTarget(forward=net, features=80, samples_per_patch=4, chunk_size=4,
                           context_chunks=10, depth=6, stream=net.streamer)
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core import is_int
from .limits import limited
from .target import TargetError, import_target_module

__all__ = [
    "ModelTarget",
    "as_model_target",
    "chunkattn_model",
    "limited_model_factory",
    "load_model_factory",
]


@dataclass(frozen=True)
class ModelTarget:
    """A model under test, as the checks see it (validated by :func:`as_model_target`)."""

    forward: Callable[..., Any]
    features: int
    samples_per_patch: int
    chunk_size: int
    context_chunks: int | None
    depth: int
    stream: Callable[[], Any] | None = None
    #: the ``torch.nn.Module`` whose parameters are trained, and the forward as training runs
    #: it (None: ``module.train()`` then ``module(x, lengths)``)
    module: Any = None
    train_forward: Callable[..., Any] | None = None

    @property
    def frames_per_chunk(self) -> int:
        return self.chunk_size * self.samples_per_patch

    def expected_dependence(self, out_chunk: int, in_chunk: int) -> bool:
        """Output chunk ``c`` depends on input chunk ``j`` iff ``c - depth*L <= j <= c``."""
        if in_chunk > out_chunk:
            return False
        return (
            self.context_chunks is None or in_chunk >= out_chunk - self.depth * self.context_chunks
        )


def as_model_target(obj: Any, where: str = "the model") -> ModelTarget:
    """Check ``obj`` has the protocol's attributes with sensible values; raise ``TargetError``."""

    def attribute(name: str, minimum: int | None, optional: bool = False) -> Any:
        if not hasattr(obj, name):
            raise TargetError(f"{where}: missing attribute {name!r}")
        value = getattr(obj, name)
        if value is None and optional:
            return None
        if not is_int(value) or value < minimum:
            allowed = f"an integer >= {minimum}" + (" or None" if optional else "")
            raise TargetError(f"{where}: {name} must be {allowed}, got {value!r}")
        return int(value)

    forward = getattr(obj, "forward", None)
    if not callable(forward):
        raise TargetError(f"{where}: missing a callable forward(x, lengths)")
    stream = getattr(obj, "stream", None)
    if stream is not None and not callable(stream):
        raise TargetError(f"{where}: stream must be a callable returning a new stream, or absent")
    module, train_forward = _training_side(obj, where)
    return ModelTarget(
        forward=forward,
        features=attribute("features", 1),
        samples_per_patch=attribute("samples_per_patch", 1),
        chunk_size=attribute("chunk_size", 1),
        context_chunks=attribute("context_chunks", 0, optional=True),
        depth=attribute("depth", 1),
        stream=stream,
        module=module,
        train_forward=train_forward,
    )


def _training_side(obj: Any, where: str) -> tuple[Any, Callable[..., Any] | None]:
    """``module`` and ``train_forward``, validated (SPEC section 9.2); both optional."""
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


def load_model_factory(spec: str) -> Callable[[int], ModelTarget]:
    """``MODULE:NAME`` (module a dotted name or a ``.py`` path) as a factory of validated
    :class:`ModelTarget`; the model for seed 0 is built once here, so a broken factory is one
    clear error before any check runs."""
    module_spec, sep, name = spec.rpartition(":")
    if not sep or not module_spec or not name.isidentifier():
        raise TargetError(f"{spec}: --model takes MODULE:NAME (a factory NAME(seed: int = 0))")
    module = import_target_module(module_spec, "--model")
    factory = getattr(module, name, None)
    if not callable(factory):
        raise TargetError(f"{spec}: {module_spec} has no callable {name}")

    def build(seed: int = 0) -> ModelTarget:
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
    factory: Callable[[int], Any], seconds: float
) -> Callable[[int], ModelTarget]:
    """``factory`` whose models run every call (forward, stream, feed, flush) under a limit."""
    build = limited(factory, seconds, "model factory")

    def make(seed: int = 0) -> ModelTarget:
        model = as_model_target(build(seed))
        stream = model.stream and limited(model.stream, seconds, "stream")
        return dataclasses.replace(
            model,
            forward=limited(model.forward, seconds, "forward"),
            stream=stream and (lambda: _LimitedStream(stream(), seconds)),
            train_forward=model.train_forward
            and limited(model.train_forward, seconds, "train_forward"),
        )

    return make


def chunkattn_model(seed: int = 0) -> ModelTarget:
    """chunkattn's own :class:`~chunkattn.model.TransformerModel` and
    :class:`~chunkattn.streaming.StreamingEncoder` as a model target.

    The seed picks the weights *and* a small geometry (depth 1-3, ``C`` 1-4, ``L`` 0-2 or
    unlimited, 1-3 frames a patch, the eager, sdpa and window backends), so checks that draw seeds explore
    the model's corners; seed 0 is a plain 2-layer model with ``C=2, L=1``.
    """
    import torch

    from ..model import BACKENDS
    from ..streaming import StreamingEncoder
    from .model_checks import build_model

    rng = random.Random(seed)
    case = {
        "depth": 2 if seed == 0 else rng.randint(1, 3),
        "chunk_size": 2 if seed == 0 else rng.randint(1, 4),
        "context_chunks": 1 if seed == 0 else rng.choice([None, 0, 1, 2]),
        "samples_per_patch": 2 if seed == 0 else rng.randint(1, 3),
        "features": 4 if seed == 0 else rng.randint(3, 6),
        "n_heads": 2 if seed == 0 else rng.randint(1, 2),
        "seed": seed,
    }
    # flex without torch.compile is ~20x slower on the CPU; model.backends_agree checks it
    backend = "eager" if seed == 0 else rng.choice(sorted(set(BACKENDS) - {"flex"}))
    model = build_model(case, backend)

    def forward(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return model(x, lengths)

    return ModelTarget(
        forward=forward,
        features=case["features"],
        samples_per_patch=case["samples_per_patch"],
        chunk_size=case["chunk_size"],
        context_chunks=case["context_chunks"],
        depth=case["depth"],
        stream=lambda: StreamingEncoder(model),
        module=model,
    )
