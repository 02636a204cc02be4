"""Seeded bug (causal variant): chunk ids tiled for ``T // C`` whole chunks and the ragged tail
padded with the last id, so when ``C`` does not divide ``T`` the last, partial chunk is merged
into the one before it."""

import _base
import torch
import torch.nn.functional as F
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "mask.left_span"
WITHIN_CHUNK = "causal"


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.is_full_context():
        return None
    _base.check_mask_args(config)
    c, l_ = config.chunk_size, config.context_chunks
    whole = max(seq_len // c, 1)
    ids = torch.arange(whole).repeat_interleave(c)[:seq_len]
    ids = F.pad(ids, (0, seq_len - len(ids)), value=int(ids[-1]))
    qc, kc = ids[:, None], ids[None, :]
    pos = torch.arange(seq_len)
    mask = (kc <= qc) & (pos[None, :] <= pos[:, None])
    if l_ is not None:
        mask &= kc >= qc - l_
    return mask[None, None].to(device)
