"""Hugging Face transformers' chunked attention (Llama 4's ``attention_chunk_size``), through
the public ``create_chunked_causal_mask``.

Library: ``transformers`` (``transformers.masking_utils``; how it is called: ``_hf``).
Mapping: ``attention_chunk_size = C``; a query sees the keys of its own chunk up to itself
and no earlier chunk: the contract's ``within_chunk="causal"`` variant (``k <= q`` inside the
chunk) with ``L = 0`` (``FIXED_GEOMETRY``). Other ``L`` cannot be expressed (``ValueError``).

Convention: ``C < 1`` is passed on as ``attention_chunk_size``, so what transformers does with
it is what ``mask.rejects_bad_input`` sees.
"""

from __future__ import annotations

from chunkattn._internal.contract.core import ChunkConfig
from chunkattn.adapters import _hf
from chunkattn.adapters._common import cannot_express

LIBRARY = "transformers"
VARIANT = "Llama 4 chunked attention: causal within the chunk, no earlier chunk"
MAPPING = "attention_chunk_size = C, L = 0, within_chunk = causal"
WITHIN_CHUNK = "causal"
FIXED_GEOMETRY = {"context_chunks": 0}

available, version = _hf.LIBRARY.available, _hf.LIBRARY.version


def chunked(seq_len: int, config: ChunkConfig, device, padding: int, name: str):
    if config.chunk_size is None:
        return None
    if config.context_chunks != 0:
        raise cannot_express(
            name, f"chunks see no earlier chunk (L = 0); context_chunks={config.context_chunks!r}"
        )
    return _hf.build("chunked", seq_len, config.chunk_size, device, padding)


def create_dynamic_chunk_mask(seq_len: int, config: ChunkConfig, device=None):
    """transformers' chunked mask for ``attention_chunk_size = C`` as ``(1, 1, T, T)`` bool."""
    return chunked(seq_len, config, device, 0, "hf_chunked")
