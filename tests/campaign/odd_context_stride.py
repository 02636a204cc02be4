"""A chunk mask whose deep left context runs in strides of two chunks, rounding an odd ``L >= 3``
down to the even number below. The shipped regression seeds (``L`` of 0, 1 and 10) pass it;
random exploration finds it within seconds. The campaign tests use it to show that what one
run found is replayed by the next from the shared database, not found again by luck."""

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class ChunkConfig:
    chunk_size: int | None = None
    context_chunks: int | None = None

    def is_full_context(self) -> bool:
        return self.chunk_size is None


def create_dynamic_chunk_mask(seq_len, config, device=None):
    chunk, context = config.chunk_size, config.context_chunks
    if chunk is None:
        return None
    if chunk < 1 or (context is not None and context < 0):
        raise ValueError(f"bad chunk config {config}")
    if context is not None and context >= 3:
        context = context // 2 * 2
    idx = torch.arange(seq_len, device=device) // chunk
    qc, kc = idx[:, None], idx[None, :]
    mask = kc <= qc
    if context is not None:
        mask &= kc >= qc - context
    return mask[None, None]
