"""Wrong on purpose: transformers' real sliding-window mask, with the window one token too wide
(``W = L + 2``: flash-attention's "the window excludes the current token" read into Hugging
Face's ``sliding_window``, plus one). Every query sees one past token more than it should."""

from chunkattn.adapters import _hf
from chunkattn.adapters.conventions import SLIDING_WINDOW

FIXED_GEOMETRY = SLIDING_WINDOW


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.chunk_size is None:
        return None
    if config.chunk_size != 1 or config.context_chunks is not None and config.context_chunks < 0:
        raise ValueError("a window is chunk_size 1 and context_chunks >= 0")
    if config.context_chunks is None:
        return _hf.build("causal", seq_len, None, device)
    return _hf.build("sliding_window", seq_len, config.context_chunks + 2, device)
