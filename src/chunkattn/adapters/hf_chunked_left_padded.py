"""Hugging Face transformers' chunked attention (Llama 4) with left padding: as
:mod:`~chunkattn.adapters.hf_chunked`, with 1 to 5 padding tokens before the sequence
(``attention_mask`` zeros; ``_hf.padding_for``, a multiple of ``C`` or not) and the real
tokens' rows and columns read back.

Library: ``transformers``. Mapping: ``attention_chunk_size = C``, ``L = 0``, causal within the
chunk, on the real tokens: the contract counts chunks from the first real token, and so does
transformers (it subtracts each row's left padding before dividing by ``C``) — a sequence's
chunks do not depend on how much padding its batch gave it.
"""

from __future__ import annotations

from chunkattn._internal.contract.core import ChunkConfig
from chunkattn.adapters import _hf, hf_chunked

LIBRARY = "transformers"
VARIANT = "Llama 4 chunked attention, left-padded batch (attention_mask)"
MAPPING = "attention_chunk_size = C, L = 0, causal within the chunk, after 1-5 padding tokens"
WITHIN_CHUNK = "causal"
FIXED_GEOMETRY = {"context_chunks": 0}

available, version = hf_chunked.available, hf_chunked.version


def create_dynamic_chunk_mask(seq_len: int, config: ChunkConfig, device=None):
    """The real tokens' ``(1, 1, T, T)`` block of transformers' padded chunked mask."""
    padding = _hf.padding_for(seq_len, config.chunk_size or 1)
    return hf_chunked.chunked(seq_len, config, device, padding, "hf_chunked_left_padded")
