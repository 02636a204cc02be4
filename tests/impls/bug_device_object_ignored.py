"""Seeded bug: a device given as a string is honoured, a torch.device object silently is not."""

import _base
import torch
from _base import *  # noqa: F403
from _base import ChunkConfig  # noqa: F401

EXPECTED_FAILURE = "mask.shape_dtype"


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if isinstance(device, torch.device):
        device = None
    return _base.create_dynamic_chunk_mask(seq_len, config, device)
