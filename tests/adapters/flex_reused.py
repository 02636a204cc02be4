"""Wrong on purpose: a FlexAttention block mask reused at the wrong length.

The padding-aware ``mask_mod`` users write (chunkattn's ``chunk_mask_mod(config, lengths)``:
keys at or past a row's length hidden) closes over a ``lengths`` tensor that is updated in
place for each batch, and the block mask is built once — for a first batch whose sequence had
16 real tokens, padded to 64 — then reused (same padded shape, so ``flex_attention`` accepts
it). Partial blocks re-evaluate ``mask_mod`` with the new length, but the key blocks that were
empty for 16 tokens stay unlisted: a longer sequence's queries never see keys past 16. Compiled
``flex_attention`` computes exactly that, silently; eager mode evaluates ``mask_mod``
everywhere and hides it. (Shrinking a mask with ``BlockMask._adjust`` is exact for a
length-independent ``mask_mod``: the ``torch_flex`` adapter checks that way too.)
"""

from functools import cache

import torch

from chunkattn._internal.contract.core import ChunkConfig, validate_chunk_config
from chunkattn._internal.impl.masks import chunk_mask_mod
from chunkattn.adapters._common import block_mask_view

PADDED_TO, FIRST_LENGTH = 64, 16


@cache
def _reused(chunk_size, context_chunks):
    from torch.nn.attention.flex_attention import create_block_mask

    lengths = torch.tensor([FIRST_LENGTH])
    mod = chunk_mask_mod(ChunkConfig(chunk_size, context_chunks), lengths)
    mask = create_block_mask(mod, 1, None, PADDED_TO, PADDED_TO, device="cpu", BLOCK_SIZE=16)
    return mask, lengths


def create_dynamic_chunk_mask(seq_len, config, device=None):
    validate_chunk_config(config)
    if config.chunk_size is None:
        return None
    if seq_len > PADDED_TO:
        raise ValueError(f"batches are padded to {PADDED_TO}")
    mask, lengths = _reused(config.chunk_size, config.context_chunks)
    lengths.fill_(seq_len)  # this batch's length, into the tensor the mask_mod closes over
    view = block_mask_view(mask, PADDED_TO)[:, :, :seq_len, :seq_len]
    return view if device is None else view.to(device)
