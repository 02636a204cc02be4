"""chunkattn: is my chunked attention exactly what my config says it is?

The seed API (what ``--impl`` targets also expose)::

    from chunkattn import ChunkConfig, ChunkConfigSampler, create_dynamic_chunk_mask

Names are imported on first use, so importing ``chunkattn`` (as pytest does for its plugin in
every repository where it is installed) costs nothing and imports neither torch nor Hypothesis.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> the module that defines it
_EXPORTS = {
    "ChunkConfig": "_internal.contract.core",
    "ConfigError": "_internal.contract.core",
    "context_chunks_for": "_internal.contract.core",
    "ChunkedAttentionSettings": "_internal.contract.config",
    "ModelSettings": "_internal.contract.config",
    "ProjectConfig": "_internal.contract.config",
    "load_config": "_internal.contract.loader",
    "additive_mask": "_internal.impl.masks",
    "chunk_mask_mod": "_internal.impl.masks",
    "create_dynamic_chunk_mask": "_internal.impl.masks",
    "ChunkConfigSampler": "_internal.impl.sampler",
}

__all__ = [
    "ChunkConfig",
    "ChunkConfigSampler",
    "ChunkedAttentionSettings",
    "ConfigError",
    "ModelSettings",
    "ProjectConfig",
    "additive_mask",
    "chunk_mask_mod",
    "context_chunks_for",
    "create_dynamic_chunk_mask",
    "load_config",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'chunkattn' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from chunkattn._internal.contract.config import (
        ChunkedAttentionSettings,
        ModelSettings,
        ProjectConfig,
    )
    from chunkattn._internal.contract.core import ChunkConfig, ConfigError, context_chunks_for
    from chunkattn._internal.contract.loader import load_config
    from chunkattn._internal.impl.masks import (
        additive_mask,
        chunk_mask_mod,
        create_dynamic_chunk_mask,
    )
    from chunkattn._internal.impl.sampler import ChunkConfigSampler
