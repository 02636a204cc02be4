"""chunkattn: is my chunked attention exactly what my config says it is?

The seed API (what ``--impl`` targets also expose)::

    from chunkattn import ChunkConfig, ChunkConfigSampler, create_dynamic_chunk_mask
"""

from .config import (
    ChunkConfig,
    ChunkedAttentionSettings,
    ConfigError,
    ModelSettings,
    ProjectConfig,
    context_chunks_for,
    load_config,
)
from .masks import additive_mask, chunk_mask_mod, create_dynamic_chunk_mask
from .sampler import ChunkConfigSampler

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
__version__ = "0.1.0"
