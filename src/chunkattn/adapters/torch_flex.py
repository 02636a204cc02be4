"""PyTorch FlexAttention's block mask, as the compiled kernel applies it.

Library: ``torch`` (``torch.nn.attention.flex_attention``). Mapping: chunkattn's own
``chunk_mask_mod(ChunkConfig(C, L))`` goes through ``create_block_mask``, and the mask is read
back from the ``BlockMask`` itself (:func:`~chunkattn.adapters._common.block_mask_view`): a key
is visible iff its block is listed full, or listed partial and ``mask_mod`` allows it. So what
is checked is torch's block classification — which blocks it lists, which it calls full (and
computes without ``mask_mod``), and its handling of lengths that are not a multiple of the
block — not the predicate, which chunkattn checks elsewhere.

Each call uses one of several ways people build the block mask, chosen by
``(seq_len + chunk_size) % 5`` so that every way meets every kind of geometry over a run:

0. ``BLOCK_SIZE=128`` (the default; one partial block below 128 tokens),
1. ``BLOCK_SIZE=16``, 2. ``BLOCK_SIZE=8``, 3. ``BLOCK_SIZE=(16, 8)`` (query and key blocks
   differ),
4. built once for a longer length (``BLOCK_SIZE=32``, ``T + 37`` tokens) and cut to ``T`` with
   ``BlockMask._adjust(T, T)`` — what ``flex_attention``'s own error message tells users to do
   when they reuse a mask.

Convention: ``device=None`` is the default device (``create_block_mask`` is given it
explicitly). ``C < 1`` / ``L < 0`` are rejected by ``chunk_mask_mod``'s validation.
"""

from __future__ import annotations

from chunkattn._internal.contract.core import ChunkConfig
from chunkattn.adapters._common import Library, block_mask_view

LIBRARY = "torch"
VARIANT = "full within chunk; BlockMask at BLOCK_SIZE 128/16/8/(16,8) and reused via _adjust"
MAPPING = "chunkattn's chunk_mask_mod(C, L) -> create_block_mask -> read back from the blocks"
WITHIN_CHUNK = "full"

_LIB = Library("torch", "torch.nn.attention.flex_attention")
available, version = _LIB.available, _LIB.version

#: (BLOCK_SIZE, extra tokens the mask is built for before ``_adjust`` cuts it back, or None)
WAYS = ((128, None), (16, None), (8, None), ((16, 8), None), (32, 37))


def build_block_mask(seq_len: int, config: ChunkConfig, way: int, device=None):
    """The ``BlockMask`` of way ``way`` (an index into :data:`WAYS`) for ``T = seq_len``."""
    import torch

    from chunkattn._internal.impl.masks import chunk_mask_mod

    flex = _LIB.load()
    block, extra = WAYS[way]
    device = torch.get_default_device() if device is None else torch.device(device)
    mod = chunk_mask_mod(config)
    built = seq_len + (extra or 0)
    mask = flex.create_block_mask(mod, None, None, built, built, device=device, BLOCK_SIZE=block)
    return mask if extra is None else mask._adjust(seq_len, seq_len)


def create_dynamic_chunk_mask(seq_len: int, config: ChunkConfig, device=None):
    """The ``(1, 1, T, T)`` mask FlexAttention's kernel applies; ``None`` for full context."""
    from chunkattn._internal.contract.core import validate_chunk_config

    validate_chunk_config(config)
    if config.chunk_size is None:
        return None
    way = (seq_len + config.chunk_size) % len(WAYS)
    return block_mask_view(build_block_mask(seq_len, config, way, device), seq_len)
