"""Hugging Face transformers' public mask builders (``transformers.masking_utils``), shared by
the ``hf_*`` adapters.

The builders are called as a model's forward calls them: a config with ``sliding_window`` or
``attention_chunk_size`` and ``_attn_implementation = "sdpa"``, ``inputs_embeds`` of the
sequence's length on the requested device, an optional 2-D ``attention_mask`` (left padding),
no cache, and the default ``allow_is_causal_skip=True``. When the builder returns ``None`` it
tells the model to run SDPA with ``is_causal=True``, so ``None`` is read as the plain causal
mask — the mask that then runs.

With ``padding = P``, ``P`` padding tokens are put before the sequence (``attention_mask``
``[0]*P + [1]*T``), and the rows and columns of the ``T`` real tokens are read back: the
contract is then asked of the real sequence, its first chunk starting at its first real token.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from chunkattn.adapters._common import Library

LIBRARY = Library("transformers", "transformers.masking_utils")


@lru_cache(maxsize=256)
def _config(key: str, value: Any):
    from transformers import PretrainedConfig  # PreTrainedConfig's stable alias

    config = PretrainedConfig(**{key: value})
    config._attn_implementation = "sdpa"
    return config


def build(kind: str, seq_len: int, value: Any, device: Any = None, padding: int = 0):
    """The ``(1, 1, T, T)`` bool mask of builder ``kind`` (``"sliding_window"``, ``"chunked"``,
    ``"causal"``) with its parameter ``value``, for ``seq_len`` real tokens after ``padding``."""
    import torch

    masking = LIBRARY.load()
    builder, key = {
        "sliding_window": (masking.create_sliding_window_causal_mask, "sliding_window"),
        "chunked": (masking.create_chunked_causal_mask, "attention_chunk_size"),
        "causal": (masking.create_causal_mask, "sliding_window"),
    }[kind]
    device = torch.get_default_device() if device is None else torch.device(device)
    total = padding + seq_len
    embeds = torch.zeros(1, total, 1, device=device)
    attention = None
    if padding:
        attention = (torch.arange(total, device=device) >= padding).long()[None]
    mask = builder(_config(key, value if kind != "causal" else None), embeds, attention, None)
    if mask is None:  # "use SDPA's is_causal": the plain causal mask is what runs
        mask = torch.ones(total, total, dtype=torch.bool, device=device).tril()[None, None]
    return mask[:1, :1, padding:, padding:]


def padding_for(seq_len: int, chunk_size: int) -> int:
    """The left padding the ``*_left_padded`` adapters put before a sequence: 1 to 5 tokens,
    varied with the geometry so that it is and is not a multiple of the chunk."""
    return 1 + (seq_len + chunk_size) % 5
