"""Hugging Face transformers' sliding-window causal mask with left padding: as
:mod:`~chunkattn.adapters.hf_sliding_window`, with 1 to 5 padding tokens before the sequence
(``attention_mask`` zeros; ``_hf.padding_for``) and the real tokens' rows and columns read back.

Library: ``transformers``. Mapping: ``C = 1``, ``W = L + 1``, on the real tokens — a window is
relative (``q - W < k <= q``), so padding must change nothing for them.
"""

from __future__ import annotations

from chunkattn._internal.contract.core import ChunkConfig
from chunkattn.adapters import _hf, hf_sliding_window
from chunkattn.adapters.conventions import SLIDING_WINDOW, to_hf_sliding_window

LIBRARY = "transformers"
VARIANT = "sliding window, left-padded batch (attention_mask)"
MAPPING = "C = 1, W = L + 1 on the real tokens after 1-5 padding tokens"
WITHIN_CHUNK = "full"
FIXED_GEOMETRY = SLIDING_WINDOW

available, version = hf_sliding_window.available, hf_sliding_window.version


def create_dynamic_chunk_mask(seq_len: int, config: ChunkConfig, device=None):
    """The real tokens' ``(1, 1, T, T)`` block of transformers' padded sliding-window mask."""
    if config.chunk_size is None:
        return None
    window = to_hf_sliding_window(config, validate=False)
    padding = _hf.padding_for(seq_len, 1)
    if window is None:
        return _hf.build("causal", seq_len, None, device, padding)
    return _hf.build("sliding_window", seq_len, window, device, padding)
