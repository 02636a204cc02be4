"""A model target whose forward runs under ``torch.compile``, beside its eager twin: the
suite's seeded bug without key padding (``tests/models``), for the test that a compiled target
gets its eager twin's verdict and that its compile time is reported apart. Dynamo compiles for
real (and torch counts it) with the ``eager`` backend, so no C++ build makes the test slow;
``dynamic=False``: one compilation per input shape, as Inductor's flex kernels are."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import torch

from chunkattn._internal.engine.target import import_target_module

MODELS = Path(__file__).parents[1] / "models"


def _compiled(module: str, seed: int) -> SimpleNamespace:
    target = import_target_module(str(MODELS / f"{module}.py")).make_model(seed)
    target.forward = torch.compile(target.forward, backend="eager", dynamic=False)
    return target


def no_key_padding_compiled(seed: int = 0) -> SimpleNamespace:
    """``tests/models/bug_no_key_padding.py`` with its forward compiled."""
    return _compiled("bug_no_key_padding", seed)


def no_key_padding_eager(seed: int = 0) -> SimpleNamespace:
    """``tests/models/bug_no_key_padding.py`` as it is."""
    return import_target_module(str(MODELS / "bug_no_key_padding.py")).make_model(seed)
