"""attention-gym's sliding window (``attn_gym.masks.generate_sliding_window``), a FlexAttention
``mask_mod`` in flash-attention's convention.

Library: ``attn-gym`` (``attn_gym.masks``). Mapping: a token-level window, ``C = 1``
(``FIXED_GEOMETRY``); ``window_size`` does not count the current token (``q - k <=
window_size``, causal), so ``window_size = L``. ``L = None`` has no ``window_size`` spelling
(attention-gym has no "unlimited" value, unlike flash-attention's ``-1``): its ``causal_mask``
is used instead. The ``mask_mod`` is evaluated on the full grid by torch's ``create_mask``.

Convention: ``L < 0`` is passed on as ``window_size``, so what attention-gym does with a
negative window (flash-attention would read ``-1`` as unlimited) is what
``mask.rejects_bad_input`` sees; ``C != 1`` cannot be expressed (``ValueError``).
"""

from __future__ import annotations

from chunkattn._internal.contract.core import ChunkConfig
from chunkattn.adapters._common import Library, cannot_express

LIBRARY = "attn-gym"
VARIANT = "sliding window mask_mod (generate_sliding_window), flash-attention convention"
MAPPING = "C = 1, window_size = L (the window excludes the current token); L = None: causal_mask"
WITHIN_CHUNK = "full"
FIXED_GEOMETRY = {"chunk_size": 1}

_LIB = Library("attn-gym", "attn_gym.masks")
available, version = _LIB.available, _LIB.version


def create_dynamic_chunk_mask(seq_len: int, config: ChunkConfig, device=None):
    """attention-gym's window of ``L`` past tokens as a ``(1, 1, T, T)`` bool mask."""
    import torch
    from torch.nn.attention.flex_attention import create_mask

    if config.chunk_size is None:
        return None
    if config.chunk_size != 1:
        raise cannot_express(
            "attn_gym_sliding_window", f"a window is chunk_size 1, got {config.chunk_size!r}"
        )
    masks = _LIB.load()
    if config.context_chunks is None:
        mod = masks.causal_mask
    else:
        mod = masks.generate_sliding_window(config.context_chunks)
    device = torch.get_default_device() if device is None else torch.device(device)
    return create_mask(mod, 1, 1, seq_len, seq_len, device=device)
