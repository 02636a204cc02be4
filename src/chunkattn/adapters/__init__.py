"""The field's attention masks as targets (SPEC section 11).

Each adapter is a target module (``chunkattn verify --impl chunkattn.adapters.NAME``) that calls
the installed library's own code and reads its answer back into the contract's form — never a
re-implementation of the library, which would check nothing. Each states in its docstring how
the library's parameters map onto ``ChunkConfig(C, L)`` and which variant of the contract it is
(``WITHIN_CHUNK``, ``FIXED_GEOMETRY``), and carries what ``chunkattn survey`` prints:
``LIBRARY`` (pip name), ``VARIANT``, ``MAPPING``, ``available()`` and ``version()``. Libraries
are imported only when a mask is asked for, so a missing one is detected, not an import error.

:mod:`chunkattn.adapters.conventions` maps the field's conventions (WeNet, NeMo,
flash-attention, Hugging Face) onto ``ChunkConfig`` and wraps a user's own mask function
written in one of them.

Not here, and why: NeMo, ESPnet, FunASR and SpeechBrain pin or pull their own torch builds and
hundreds of megabytes of dependencies (installing them would replace the torch under test);
WeNet is not on PyPI; flash-attention and xFormers need CUDA. Their conventions are in
:mod:`~chunkattn.adapters.conventions`, for checking a copy of their mask code as a user's
own function.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["ADAPTERS", "available", "installed", "load", "target_name"]

#: every adapter, in the order ``chunkattn survey`` reports them
ADAPTERS = (
    "torch_flex",
    "torch_flex_output",
    "hf_sliding_window",
    "hf_sliding_window_left_padded",
    "hf_chunked",
    "hf_chunked_left_padded",
    "attn_gym_sliding_window",
    "chunk_mask_lib",
)


def target_name(name: str) -> str:
    """What ``chunkattn verify --impl`` takes for adapter ``name``; any other target (a dotted
    module or a ``.py`` path with the same metadata) is taken as it is."""
    return f"{__name__}.{name}" if name in ADAPTERS else name


def load(name: str) -> ModuleType:
    """The adapter module ``name`` (cheap: its library is not imported)."""
    if name in ADAPTERS:
        return importlib.import_module(target_name(name))
    from ..testing.target import import_target_module

    return import_target_module(name)


def available(name: str) -> bool:
    """Is the library adapter ``name`` wraps installed?"""
    return bool(load(name).available())


def installed() -> list[str]:
    """The adapters whose library is installed."""
    return [name for name in ADAPTERS if available(name)]
