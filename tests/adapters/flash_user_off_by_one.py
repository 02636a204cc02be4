"""A user's own flash-attention-style window function that counts the current token in
``left`` (Hugging Face's convention inside flash's parameter): one token too narrow."""

import torch

from chunkattn.adapters.conventions import SLIDING_WINDOW, flash_window_target

FIXED_GEOMETRY = SLIDING_WINDOW


def local_mask(size, window_size, device):
    left, _ = window_size
    q = torch.arange(size, device=device)[:, None]
    k = torch.arange(size, device=device)[None, :]
    visible = k <= q
    return visible if left < 0 else visible & (q - k < left)


create_dynamic_chunk_mask = flash_window_target(local_mask)
