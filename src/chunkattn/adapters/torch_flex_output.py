"""PyTorch ``flex_attention``'s output, read back as the mask it applied.

Library: ``torch`` (``torch.nn.attention.flex_attention``). Mapping: chunkattn's own
``chunk_mask_mod(ChunkConfig(C, L))`` and its ``create_block_mask`` go into ``flex_attention``
on a probe whose every score is equal (``q = k = 0``) and whose values are one-hot
(``v = I``): each output row is then ``1/n`` on the ``n`` keys the query attended to and
exactly 0 elsewhere, so ``output > 0`` *is* the applied mask, compared with the dense
reference by the ``mask.*`` checks. A query that attends to nothing gets a zero row (flex's
convention) and shows as such.

Convention: ``flex_attention`` runs un-compiled (eager: it evaluates ``mask_mod`` densely and
does not consult the block tables; the compiled kernel's view of the blocks is the
``torch_flex`` adapter's). Float64, so ``1/n`` never rounds to 0.
"""

from __future__ import annotations

import warnings

from chunkattn._internal.contract.core import ChunkConfig
from chunkattn.adapters._common import Library

LIBRARY = "torch"
VARIANT = "full within chunk; flex_attention output (eager) on a one-hot probe"
MAPPING = "chunkattn's chunk_mask_mod(C, L) -> flex_attention(q=k=0, v=I) -> output > 0"
WITHIN_CHUNK = "full"

_LIB = Library("torch", "torch.nn.attention.flex_attention")
available, version = _LIB.available, _LIB.version


def create_dynamic_chunk_mask(seq_len: int, config: ChunkConfig, device=None):
    """The mask ``flex_attention`` applied, as ``(1, 1, T, T)`` bool; ``None`` for full context."""
    import torch

    from chunkattn._internal.contract.core import validate_chunk_config
    from chunkattn._internal.impl.masks import chunk_mask_mod

    validate_chunk_config(config)
    if config.chunk_size is None:
        return None
    flex = _LIB.load()
    device = torch.get_default_device() if device is None else torch.device(device)
    block_mask = flex.create_block_mask(
        chunk_mask_mod(config), None, None, seq_len, seq_len, device=device
    )
    scores = torch.zeros(1, 1, seq_len, 1, dtype=torch.float64, device=device)
    values = torch.eye(seq_len, dtype=torch.float64, device=device)[None, None]
    with warnings.catch_warnings():  # "called without torch.compile": eager is the point here
        warnings.simplefilter("ignore", UserWarning)
        out = flex.flex_attention(scores, scores, values, block_mask=block_mask)
    return out > 0
