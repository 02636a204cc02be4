"""The ``chunk-mask`` package (PyPI, WeNet-style ``chunk_mask(size, chunk_size,
num_left_chunks=-1, device)``), through :func:`~chunkattn.adapters.conventions.wenet_target`.

Library: ``chunk-mask`` (``chunk_mask``). Mapping: WeNet's convention: ``chunk_size = C``,
``num_left_chunks = L``, and ``-1`` (the function's default) for unlimited. ``C`` is passed
on as it comes (so what the package does with ``0`` or ``-1`` is what
``mask.rejects_bad_input`` sees); a negative ``L`` has no WeNet spelling (negative means
unlimited there): ``ValueError``.
"""

from __future__ import annotations

from chunkattn._internal.contract.core import ChunkConfig
from chunkattn.adapters._common import Library
from chunkattn.adapters.conventions import wenet_target

LIBRARY = "chunk-mask"
VARIANT = "WeNet-style chunk mask (chunk_mask.chunk_mask)"
MAPPING = "chunk_size = C, num_left_chunks = L, -1 = unlimited (WeNet convention)"
WITHIN_CHUNK = "full"

_LIB = Library("chunk-mask", "chunk_mask")
available, version = _LIB.available, _LIB.version


def _chunk_mask(size, chunk_size, num_left_chunks, device):
    return _LIB.load().chunk_mask(size, chunk_size, num_left_chunks, device)


_wrapped = wenet_target(_chunk_mask)


def create_dynamic_chunk_mask(seq_len: int, config: ChunkConfig, device=None):
    """``chunk_mask.chunk_mask(T, C, L or -1, device)`` as ``(1, 1, T, T)``."""
    return _wrapped(seq_len, config, device)
