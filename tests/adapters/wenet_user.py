"""A user's own WeNet-style mask function (the shape of WeNet's ``subsequent_chunk_mask``),
checked through chunkattn's WeNet convention: correct."""

import torch

from chunkattn.adapters.conventions import wenet_target


def subsequent_chunk_mask(size, chunk_size, num_left_chunks=-1, device=None):
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    ret = torch.zeros(size, size, device=device, dtype=torch.bool)
    for i in range(size):
        start = (
            0 if num_left_chunks < 0 else max((i // chunk_size - num_left_chunks) * chunk_size, 0)
        )
        ending = min((i // chunk_size + 1) * chunk_size, size)
        ret[i, start:ending] = True
    return ret


create_dynamic_chunk_mask = wenet_target(subsequent_chunk_mask)
