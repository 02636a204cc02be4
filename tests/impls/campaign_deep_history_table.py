"""A chunk mask with a fast path for the eval chunk size, correct everywhere a short run looks.

For ``C == 16`` (the usual eval config) the band of visible past chunks comes from a table built
for 16 chunks of history, so a deeper left context at that chunk size is silently cut to 16
chunks. It shows only for ``C == 16``, ``L > 16`` and sequences longer than 17 chunks (272
frames): a ``ci``-profile run (``T <= 48``, ``L <= 12``), the small-scope grid (``T <= 24``) and
the shipped seeds never go there. A campaign (``chunkattn fuzz``) does.
"""

import _base
from _base import ChunkConfig

EVAL_CHUNK = 16
TABLE_DEPTH = 16  # chunks of history the precomputed band covers


def create_dynamic_chunk_mask(seq_len, config, device=None):
    context = config.context_chunks
    if config.chunk_size == EVAL_CHUNK and context is not None and context >= 0:
        context = min(context, TABLE_DEPTH)  # the fast path's table is only this deep
    return _base.create_dynamic_chunk_mask(seq_len, ChunkConfig(config.chunk_size, context), device)
