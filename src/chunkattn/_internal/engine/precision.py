"""Precisions and devices (docs/contract.md: Precision and device): what a model check runs in.

The field trains in mixed precision on GPUs, and that is where many "tests pass but training
fails" bugs live: a fill constant the compute dtype cannot hold, an additive mask cast down to
``-inf``, chunk indices computed in bfloat16. A :class:`Precision` is named as Lightning names
it:

- ``32-true``: float32 everywhere (the default, and what every check did before precisions);
- ``bf16-mixed``, ``16-mixed``: ``torch.autocast`` to bfloat16 / float16 on the target's device
  around the forward (and the training forward); parameters stay float32; ``16-mixed`` trains
  with ``torch.amp.GradScaler``;
- ``bf16-true``, ``16-true``: the module and the float inputs cast to bfloat16 / float16.

``all`` is ``32-true,bf16-mixed,16-mixed``, what a model that trains with AMP is run in.

A device is ``cpu``, ``cuda``, ``cuda:N`` or ``mps``; :func:`device_problem` says in one line why
this machine cannot run one.

This module imports torch only inside the functions that need it, so the command line can parse
``--precision`` and ``--device`` without it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextlib import nullcontext
from enum import StrEnum
from typing import Any

__all__ = [
    "ALL",
    "DEFAULT_PRECISIONS",
    "EQUAL_ATOL",
    "EQUAL_RTOL",
    "EQUAL_ULPS",
    "Precision",
    "Tolerance",
    "device_problem",
    "parse_device",
    "parse_precisions",
]

#: "equal" in float32: this much absolute plus this much relative to the output's scale (what
#: every comparison check used before precisions, about 84 float32 rounding units)
EQUAL_ATOL = 1e-5
EQUAL_RTOL = 1e-5
#: "equal" in a reduced precision: this many units of the compute dtype's rounding (its ``eps``)
#: absolute, and as many relative to the output's scale
EQUAL_ULPS = 32


class Precision(StrEnum):
    """One precision a model check runs in, with Lightning's name."""

    TRUE_32 = "32-true"
    BF16_MIXED = "bf16-mixed"
    FP16_MIXED = "16-mixed"
    BF16_TRUE = "bf16-true"
    FP16_TRUE = "16-true"

    @property
    def dtype(self) -> Any:
        """The compute dtype: ``torch.float32``, ``torch.bfloat16`` or ``torch.float16``."""
        import torch

        if self is Precision.TRUE_32:
            return torch.float32
        return torch.bfloat16 if self.value.startswith("bf16") else torch.float16

    @property
    def short(self) -> str:
        """The compute dtype's short name: ``float32``, ``bfloat16``, ``float16``."""
        if self is Precision.TRUE_32:
            return "float32"
        return "bfloat16" if self.value.startswith("bf16") else "float16"

    @property
    def mixed(self) -> bool:
        """Autocast around the forward, parameters float32."""
        return self.value.endswith("-mixed")

    @property
    def cast(self) -> bool:
        """The module and the float inputs are cast to the compute dtype."""
        return self in (Precision.BF16_TRUE, Precision.FP16_TRUE)

    @property
    def reduced(self) -> bool:
        """Anything but float32."""
        return self is not Precision.TRUE_32

    @property
    def scaled(self) -> bool:
        """Training runs with a ``torch.amp.GradScaler`` (``16-mixed``, as people train fp16)."""
        return self is Precision.FP16_MIXED

    @property
    def eps(self) -> float:
        """The compute dtype's machine epsilon (float32 1.2e-7, bfloat16 7.8e-3, float16 9.8e-4)."""
        return {"float32": 2.0**-23, "bfloat16": 2.0**-7, "float16": 2.0**-10}[self.short]

    @property
    def exact_integers(self) -> int:
        """Integers up to this are exact in the compute dtype (bfloat16 256, float16 2048,
        float32 2**24); past it positions and chunk indices round."""
        return {"float32": 2**24, "bfloat16": 2**8, "float16": 2**11}[self.short]

    @property
    def tolerance(self) -> Tolerance:
        """When two computations of the same values count as equal in this precision."""
        if not self.reduced:
            return Tolerance(EQUAL_ATOL, EQUAL_RTOL, "1e-5 + 1e-5 x scale (float32)")
        tol = EQUAL_ULPS * self.eps
        return Tolerance(tol, tol, f"{tol:.3g} + {tol:.3g} x scale ({EQUAL_ULPS} {self.short} eps)")

    def autocast(self, device: str) -> Any:
        """The context the forward runs in: ``torch.autocast`` for a mixed precision, else none."""
        if not self.mixed:
            return nullcontext()
        import torch

        return torch.autocast(device_type=_device_type(device), dtype=self.dtype)

    def grad_scaler(self, device: str) -> Any:
        """A fresh ``torch.amp.GradScaler`` for ``16-mixed``, else None."""
        if not self.scaled:
            return None
        import torch

        return torch.amp.GradScaler(_device_type(device))

    def inputs(self, tensor: Any, device: str) -> Any:
        """``tensor`` as the model receives it: on ``device``, floats cast for ``*-true``."""
        import torch

        if not isinstance(tensor, torch.Tensor):
            return tensor
        if self.cast and tensor.is_floating_point():
            return tensor.to(device=device, dtype=self.dtype)
        return tensor.to(device)


class Tolerance:
    """``a`` equals ``b`` when ``|a - b| <= atol + rtol * max|b|``; ``text`` states it."""

    __slots__ = ("atol", "rtol", "text")

    def __init__(self, atol: float, rtol: float, text: str) -> None:
        self.atol, self.rtol, self.text = atol, rtol, text

    def bound(self, scale: float) -> float:
        return self.atol + self.rtol * scale

    def __repr__(self) -> str:
        return f"Tolerance({self.text})"


#: what a model check runs in unless told otherwise
DEFAULT_PRECISIONS: tuple[Precision, ...] = (Precision.TRUE_32,)
#: ``--precision all``: what a model trained with AMP meets
ALL: tuple[Precision, ...] = (Precision.TRUE_32, Precision.BF16_MIXED, Precision.FP16_MIXED)


def _allowed() -> str:
    return ", ".join([*(p.value for p in Precision), "all"])


def parse_precisions(value: str | Iterable[str]) -> tuple[Precision, ...]:
    """``"32-true,bf16-mixed"``, ``"all"`` or a list of names, as precisions (in the order given,
    each once); a ValueError of one line naming what is allowed otherwise."""
    items = value.split(",") if isinstance(value, str) else list(value)
    out: list[Precision] = []
    for item in items:
        if isinstance(item, Precision):
            found: tuple[Precision, ...] = (item,)
        else:
            name = str(item).strip().lower()
            if name == "all":
                found = ALL
            else:
                try:
                    found = (Precision(name),)
                except ValueError:
                    raise ValueError(
                        f"precision {str(item).strip()!r}: expected one of {_allowed()} "
                        "(comma-separated for several)"
                    ) from None
        out.extend(p for p in found if p not in out)
    if not out:
        raise ValueError(f"no precision given: expected one of {_allowed()}")
    return tuple(out)


_DEVICE = re.compile(r"^(cpu|mps|cuda(:\d+)?)$")


def parse_device(text: str) -> str:
    """``cpu``, ``cuda``, ``cuda:N`` or ``mps`` (a ValueError of one line otherwise); whether this
    machine has it is :func:`device_problem`'s question."""
    name = str(text).strip().lower()
    if not _DEVICE.match(name):
        raise ValueError(f"device {text!r}: expected cpu, cuda, cuda:N or mps")
    return name


def _device_type(device: str) -> str:
    return str(device).split(":")[0]


def device_problem(device: str) -> str | None:
    """Why this machine cannot run ``device`` (one line), or None when it can."""
    import torch

    kind = _device_type(device)
    if kind == "cpu":
        return None
    if kind == "cuda":
        if not torch.cuda.is_available():
            return (
                f"--device {device}: this machine has no CUDA device (torch {torch.__version__} "
                "sees none); use --device cpu"
            )
        index = int(device.split(":")[1]) if ":" in device else 0
        if index >= torch.cuda.device_count():
            return (
                f"--device {device}: this machine has {torch.cuda.device_count()} CUDA "
                f"device(s), numbered from 0"
            )
        return None
    if kind == "mps":
        if not torch.backends.mps.is_available():
            return f"--device {device}: this machine has no MPS device (Apple silicon); use --device cpu"
        return None
    return f"--device {device}: expected cpu, cuda, cuda:N or mps"
