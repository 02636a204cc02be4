"""The field's attention masks as targets (docs/contract.md: Adapters).

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

Model adapters (``model_*`` modules, ``KIND = "model"``) build a library's real model from a
small random-initialized config and map it onto the model-target protocol (docs/contract.md: Model targets,
9.1): ``chunkattn verify --model chunkattn.adapters.MODULE:FACTORY``. Each module lists its
factories in ``FACTORIES`` (name -> variant, mapping); :data:`MODEL_ADAPTERS` names them.

An adapter is one module and nothing else: the lists :data:`ADAPTERS` and :data:`MODEL_ADAPTERS`
are found, not written — every public module of this package that declares ``LIBRARY`` is an
adapter: a model adapter if it declares ``KIND = "model"`` (then each of its ``FACTORIES`` is
one entry), a mask adapter if it exposes ``create_dynamic_chunk_mask``.

NeMo's cache-aware conformer (``model_nemo``) needs the ``nemo`` extra (heavy, so not in
``field``). Not here, and why: ESPnet, FunASR and SpeechBrain pin or pull their own torch builds
and hundreds of megabytes of dependencies (installing them would replace the torch under test);
WeNet is not on PyPI; flash-attention and xFormers need CUDA. Their conventions are in
:mod:`~chunkattn.adapters.conventions`, for checking a copy of their mask code as a user's
own function.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

__all__ = [
    "ADAPTERS",
    "MODEL_ADAPTERS",
    "available",
    "installed",
    "kind",
    "load",
    "target_name",
]


def _discover() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The mask adapters and the model adapters (``MODULE:FACTORY``), in module-name order."""
    masks, models = [], []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if not hasattr(module, "LIBRARY"):
            continue  # a helper module (conventions, repro)
        if getattr(module, "KIND", "mask") == "model":
            models += [f"{info.name}:{factory}" for factory in module.FACTORIES]
        elif hasattr(module, "create_dynamic_chunk_mask"):
            masks.append(info.name)  # not a library's other helpers (sampler_nemo's check)
    return tuple(masks), tuple(models)


def __getattr__(name: str) -> tuple[str, ...]:
    # found on first use: importing the package imports no adapter
    if name in ("ADAPTERS", "MODEL_ADAPTERS"):
        found = dict(zip(("ADAPTERS", "MODEL_ADAPTERS"), _discover(), strict=True))
        globals().update(found)
        return found[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def kind(name: str) -> str:
    """``"model"`` for a model adapter (``MODULE:FACTORY``), ``"mask"`` otherwise."""
    return "model" if ":" in name else "mask"


def target_name(name: str) -> str:
    """What ``chunkattn verify --impl`` (a mask adapter) or ``--model`` (a model adapter)
    takes for adapter ``name``; any other target (a dotted module or a ``.py`` path with the
    same metadata, or ``MODULE:FACTORY``) is taken as it is."""
    if name in __getattr__("ADAPTERS") or name in __getattr__("MODEL_ADAPTERS"):
        return f"{__name__}.{name}"
    return name


def load(name: str) -> ModuleType:
    """The adapter module ``name`` (cheap: its library is not imported); for a model adapter
    ``MODULE:FACTORY``, the module."""
    module = name.rpartition(":")[0] if kind(name) == "model" else name
    if name in __getattr__("ADAPTERS") or name in __getattr__("MODEL_ADAPTERS"):
        return importlib.import_module(f"{__name__}.{module}")
    from chunkattn._internal.engine.target import import_target_module

    return import_target_module(module)


def available(name: str) -> bool:
    """Is the library adapter ``name`` wraps installed?"""
    return bool(load(name).available())


def installed() -> list[str]:
    """The mask and model adapters whose library is installed."""
    every = (*__getattr__("ADAPTERS"), *__getattr__("MODEL_ADAPTERS"))
    return [name for name in every if available(name)]
