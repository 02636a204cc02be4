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

Model adapters (``model_*`` modules, ``KIND = "model"``) build a library's real model from a
small random-initialized config and map it onto the model-target protocol (SPEC sections 9,
9.1): ``chunkattn verify --model chunkattn.adapters.MODULE:FACTORY``. Each module lists its
factories in ``FACTORIES`` (name -> variant, mapping); :data:`MODEL_ADAPTERS` names them.

NeMo's cache-aware conformer (``model_nemo``) needs the ``nemo`` extra (heavy, so not in
``field``). Not here, and why: ESPnet, FunASR and SpeechBrain pin or pull their own torch builds
and hundreds of megabytes of dependencies (installing them would replace the torch under test);
WeNet is not on PyPI; flash-attention and xFormers need CUDA. Their conventions are in
:mod:`~chunkattn.adapters.conventions`, for checking a copy of their mask code as a user's
own function.
"""

from __future__ import annotations

import importlib
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


#: every model adapter, ``MODULE:FACTORY`` in this package, in the order the survey reports them
MODEL_ADAPTERS = (
    *(
        f"model_local_attention:{f}"
        for f in (
            "attention",
            "attention_causal",
            "attention_causal_exact",
            "transformer",
            "transformer_windowed",
            "transformer_dynamic_pos_bias",
        )
    ),
    *(
        f"model_hf_decoders:{family}_{impl}"
        for family in ("mistral", "qwen2", "qwen2_mixed", "gemma3", "llama4", "llama4_chunked")
        for impl in ("eager", "sdpa", "flex")
    ),
    "model_x_transformers:decoder",
    "model_hf_speech:seamless_m4t_v2_eager",
    "model_hf_speech:seamless_m4t_v2_sdpa",
    "model_hf_speech:phi4_multimodal_audio_eager",
    "model_hf_speech:phi4_multimodal_audio_sdpa",
    *(
        f"model_nemo:{f}"
        for f in (
            "chunked_limited_causal",
            "chunked_limited_causal_wide",
            "chunked_limited_causal_conv",
            "chunked_limited",
            "regular",
            "rel_pos_local_attn",
        )
    ),
)


def kind(name: str) -> str:
    """``"model"`` for a model adapter (``MODULE:FACTORY``), ``"mask"`` otherwise."""
    return "model" if ":" in name else "mask"


def target_name(name: str) -> str:
    """What ``chunkattn verify --impl`` (a mask adapter) or ``--model`` (a model adapter)
    takes for adapter ``name``; any other target (a dotted module or a ``.py`` path with the
    same metadata, or ``MODULE:FACTORY``) is taken as it is."""
    if name in ADAPTERS or name in MODEL_ADAPTERS:
        return f"{__name__}.{name}"
    return name


def load(name: str) -> ModuleType:
    """The adapter module ``name`` (cheap: its library is not imported); for a model adapter
    ``MODULE:FACTORY``, the module."""
    module = name.rpartition(":")[0] if kind(name) == "model" else name
    if name in ADAPTERS or name in MODEL_ADAPTERS:
        return importlib.import_module(f"{__name__}.{module}")
    from ..testing.target import import_target_module

    return import_target_module(module)


def available(name: str) -> bool:
    """Is the library adapter ``name`` wraps installed?"""
    return bool(load(name).available())


def installed() -> list[str]:
    """The mask and model adapters whose library is installed."""
    return [name for name in (*ADAPTERS, *MODEL_ADAPTERS) if available(name)]
