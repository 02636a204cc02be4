"""Seeded bug (causal variant): the block mask of the "full" variant reused as Llama 4's chunked
attention: the chunk boundary is there, the causal cut inside the chunk is not, so a query sees
the future frames of its own chunk."""

import _base
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "mask.causality"
WITHIN_CHUNK = "causal"


def create_dynamic_chunk_mask(seq_len, config, device=None):
    return _base.create_dynamic_chunk_mask(seq_len, config, device)
