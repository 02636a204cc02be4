"""A chunk mask whose deep left context runs in strides of two chunks, rounding an odd ``L >= 3``
down to the even number below. The shipped regression seeds (``L`` of 0, 1 and 10) pass it;
random exploration finds it within seconds. The campaign tests use it to show that what one
run found is replayed by the next from the shared database, not found again by luck."""

import _base
from _base import ChunkConfig


def create_dynamic_chunk_mask(seq_len, config, device=None):
    context = config.context_chunks
    if context is not None and context >= 3:
        context = context // 2 * 2
    return _base.create_dynamic_chunk_mask(seq_len, ChunkConfig(config.chunk_size, context), device)
