"""A model target put in a precision and on a device (docs/contract.md: Precision and device).

:func:`place` returns the same :class:`~chunkattn._internal.engine.model_target.ModelTarget`
with every call into it (``forward``, ``train_forward``, the stream's ``feed`` and ``flush``)
running the way training runs it:

- the inputs moved to the device (``x`` built by the checks on the CPU from their seeded
  generators, then moved, so a case means the same inputs on every device), and for ``*-true``
  the float inputs cast to the compute dtype;
- for ``bf16-mixed`` and ``16-mixed``, the call inside ``torch.autocast`` on the device;
- for ``*-true``, the ``module`` (or a ``forward`` that is itself an ``nn.Module``) cast to the
  compute dtype; on another device, moved there (a factory that takes ``device=`` built it there
  already).

The checks read the outputs back as float32 on the CPU, as before. ``32-true`` on the CPU is the
model unchanged.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

from chunkattn._internal.engine.model_target import ModelTarget
from chunkattn._internal.engine.precision import Precision

__all__ = ["PlacementError", "module_device", "place", "placed_module"]


class PlacementError(Exception):
    """The model cannot be put in this precision (one line: why)."""


def placed_module(model: ModelTarget) -> Any:
    """The ``nn.Module`` a precision casts: ``module``, else a ``forward`` that is a module."""
    import torch

    if model.module is not None:
        return model.module
    forward = model.forward
    if isinstance(forward, torch.nn.Module):
        return forward
    owner = getattr(forward, "__self__", None)
    return owner if isinstance(owner, torch.nn.Module) else None


def module_device(model: ModelTarget) -> str | None:
    """The device of the model's module parameters, or None when it has none."""
    module = placed_module(model)
    if module is None:
        return None
    first = next(iter(module.parameters()), None)
    return None if first is None else str(first.device)


def _wrapped(fn: Callable[..., Any], precision: Precision, device: str) -> Callable[..., Any]:
    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        args = tuple(precision.inputs(a, device) for a in args)
        with precision.autocast(device):
            return fn(*args)

    return call


class _PlacedStream:
    """A stream whose ``feed`` and ``flush`` run in the precision, on the device."""

    def __init__(self, stream: Any, precision: Precision, device: str) -> None:
        self.feed = _wrapped(stream.feed, precision, device)
        self.flush = _wrapped(stream.flush, precision, device)
        if callable(getattr(stream, "state_size", None)):
            self.state_size = stream.state_size


def _default_train_forward(model: ModelTarget) -> Callable[..., Any]:
    module = model.module

    def default(x: Any, lengths: Any) -> Any:
        module.train()
        return module(x, lengths)

    return default


def place(model: ModelTarget, precision: Precision, device: str | None = None) -> ModelTarget:
    """``model`` with every call into it in ``precision`` on ``device`` (None: the device of its
    module's parameters, else the CPU). Casts or moves its module in place for ``*-true`` or
    another device: give it a model built for this placement alone."""
    device = device or module_device(model) or "cpu"
    if precision is Precision.TRUE_32 and device == "cpu" and module_device(model) in (None, "cpu"):
        return dataclasses.replace(model, precision=precision, device=device)
    module = placed_module(model)
    if precision.cast and module is None:
        raise PlacementError(
            f"{precision} casts the model's parameters, and this target exposes no module "
            "(give it module=, the torch.nn.Module it trains)"
        )
    if module is not None:
        if precision.cast:
            module.to(device=device, dtype=precision.dtype)
        else:
            module.to(device=device)
    stream = model.stream
    train_forward = model.train_forward
    if train_forward is None and model.module is not None:
        train_forward = _default_train_forward(model)
    return dataclasses.replace(
        model,
        forward=_wrapped(model.forward, precision, device),
        stream=stream and (lambda: _PlacedStream(stream(), precision, device)),
        train_forward=train_forward and _wrapped(train_forward, precision, device),
        precision=precision,
        device=device,
    )
