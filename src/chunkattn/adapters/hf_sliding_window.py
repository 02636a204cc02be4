"""Hugging Face transformers' sliding-window causal mask (Mistral, Gemma, Qwen2 ... layers with
``config.sliding_window``), through the public ``create_sliding_window_causal_mask``.

Library: ``transformers`` (``transformers.masking_utils``; how it is called: ``_hf``).
Mapping: a token-level window, ``C = 1`` (``FIXED_GEOMETRY``); ``sliding_window = W`` counts
the current token, so ``W = L + 1``. ``L = None`` has no ``sliding_window`` spelling: such
layers use ``create_causal_mask``, which is called instead.

Convention: ``L < 0`` is passed on as ``W = L + 1 <= 0``, so what transformers does with a
window of 0 or less is what ``mask.rejects_bad_input`` sees; ``C != 1`` cannot be expressed
(``ValueError``).
"""

from __future__ import annotations

from chunkattn._internal.contract.core import ChunkConfig
from chunkattn.adapters import _hf
from chunkattn.adapters.conventions import SLIDING_WINDOW, to_hf_sliding_window

LIBRARY = "transformers"
VARIANT = "sliding window (create_sliding_window_causal_mask, sdpa)"
MAPPING = "C = 1, sliding_window W = L + 1 (W counts the current token); L = None: causal mask"
WITHIN_CHUNK = "full"
FIXED_GEOMETRY = SLIDING_WINDOW

available, version = _hf.LIBRARY.available, _hf.LIBRARY.version


def create_dynamic_chunk_mask(seq_len: int, config: ChunkConfig, device=None):
    """transformers' sliding-window mask for ``W = L + 1`` as ``(1, 1, T, T)`` bool."""
    if config.chunk_size is None:
        return None
    window = to_hf_sliding_window(config, validate=False)
    if window is None:
        return _hf.build("causal", seq_len, None, device)
    return _hf.build("sliding_window", seq_len, window, device)
