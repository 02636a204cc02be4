r"""Chunked attention masks: the optimized bool mask and its renderings.

For ``chunk_size=C=2``, ``context_chunks=L=1``, ``T=7`` (``█`` = may attend)::

          k: 0 1 2 3 4 5 6
    q 0,1:   █ █ · · · · ·      chunk 0 sees itself
    q 2,3:   █ █ █ █ · · ·      chunk 1 sees chunks 0..1
    q 4,5:   · · █ █ █ █ ·      chunk 2 sees chunks 1..2  (L=1 drops chunk 0)
    q 6  :   · · · · █ █ █      chunk 3 (partial) sees chunks 2..3

A query sees every key of its own chunk (the future inside the chunk included), the ``L``
previous chunks, and nothing later. ``L=0`` is block-diagonal; ``L=None`` is unlimited.

Three renderings of the same predicate, for the three ways attention consumes a mask:
:func:`create_dynamic_chunk_mask` (bool, ``True`` = attend), :func:`additive_mask` (0 / -inf for
SDPA), and :func:`chunk_mask_mod` (a ``mask_mod(b, h, q, k)`` for ``flex_attention``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import torch

from chunkattn._internal.contract.core import ChunkConfig, is_int, validate_chunk_config

__all__ = [
    "additive_mask",
    "chunk_mask_mod",
    "create_dynamic_chunk_mask",
    "key_padding_mask",
]


def create_dynamic_chunk_mask(
    seq_len: int, config: ChunkConfig, device: torch.device | str | None = None
) -> torch.Tensor | None:
    """The ``(1, 1, T, T)`` bool chunk mask (``True`` = may attend), or ``None`` for full context.

    Every query of a chunk sees the same keys, so the mask is one row per chunk, repeated: the
    ``(chunks, T)`` rows are built by two broadcast comparisons (no loop over positions) and
    cached per ``(T, C, L, device)``; each call expands them with one ``index_select``, which
    always makes a new tensor, so ``mask &= padding`` never leaks into a later call.

    >>> create_dynamic_chunk_mask(4, ChunkConfig(2, 0))[0, 0].int().tolist()
    [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]]
    """
    if not is_int(seq_len) or seq_len < 1:
        raise ValueError(f"seq_len must be an integer >= 1, got {seq_len!r}")
    validate_chunk_config(config)
    if config.chunk_size is None:
        return None
    context = None if config.context_chunks is None else int(config.context_chunks)
    device = _default_device() if device is None else torch.device(device)
    rows, chunk_of = _chunk_rows(int(seq_len), int(config.chunk_size), context, device)
    return rows.index_select(0, chunk_of)[None, None]


_CPU = torch.device("cpu")


def _default_device() -> torch.device:
    """``torch.get_default_device()`` without its cost (about what the whole warm mask costs)
    in the usual case: ``set_default_device`` and ``with torch.device(...)`` each push a torch
    function mode, so with none active the default is the CPU."""
    if torch._C._len_torch_function_stack() == 0:
        return _CPU
    return torch.get_default_device()


@lru_cache(maxsize=8)
def _chunk_rows(
    seq_len: int, chunk_size: int, context: int | None, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(chunks, T)`` bool: which keys a query of each chunk sees; and each position's chunk."""
    chunk_of = torch.arange(seq_len, device=device) // chunk_size
    chunks = torch.arange((seq_len - 1) // chunk_size + 1, device=device)[:, None]
    rows = chunk_of[None, :] <= chunks
    if context is not None:
        rows &= chunk_of[None, :] >= chunks - context
    return rows, chunk_of


def additive_mask(
    mask: torch.Tensor | None, dtype: torch.dtype = torch.float32
) -> torch.Tensor | None:
    """The bool mask as an additive float mask: ``0`` where visible, ``-inf`` where not."""
    if mask is None:
        return None
    out = torch.zeros(mask.shape, dtype=dtype, device=mask.device)
    return out.masked_fill_(~mask, float("-inf"))


def key_padding_mask(lengths: torch.Tensor, seq_len: int) -> torch.Tensor:
    """``(B, 1, 1, T)`` bool: key ``k`` of row ``b`` is real iff ``k < lengths[b]``."""
    keys = torch.arange(seq_len, device=lengths.device)
    return (keys[None, :] < lengths[:, None])[:, None, None, :]


MaskMod = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def chunk_mask_mod(config: ChunkConfig, lengths: torch.Tensor | None = None) -> MaskMod:
    """The chunk mask as a ``flex_attention`` predicate ``mask_mod(b, h, q_idx, kv_idx)``.

    With ``lengths``, keys at or past a row's length are masked too. ``None`` chunk size gives
    the padding-only predicate.
    """
    validate_chunk_config(config)
    c, l_ = config.chunk_size, config.context_chunks

    def mask_mod(b: torch.Tensor, h: torch.Tensor, q_idx: torch.Tensor, kv_idx: torch.Tensor):
        visible = kv_idx >= 0
        if c is not None:
            qc, kc = q_idx // c, kv_idx // c
            visible = visible & (kc <= qc)
            if l_ is not None:
                visible = visible & (kc >= qc - l_)
        if lengths is not None:
            visible = visible & (kv_idx < lengths[b])
        return visible

    return mask_mod
