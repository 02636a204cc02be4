"""What every adapter shares: its library (found lazily, with its version), the checks on what a
library can express, and the FlexAttention renderings two adapters use.

An adapter never rebuilds the mask it is about: it calls the library and reads the library's
answer back into the contract's ``(1, 1, T, T)`` bool form. The helpers here only *read*
(a ``BlockMask``'s block tables, a mask builder's output); none of them decides visibility.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any

__all__ = [
    "Library",
    "block_mask_view",
    "cannot_express",
    "evaluate_mask_mod",
    "plain",
]


@dataclass(frozen=True)
class Library:
    """The installed library an adapter wraps: ``dist`` is its pip name, ``module`` what to
    import. Nothing is imported until :meth:`load` (so a missing library is detectable)."""

    dist: str
    module: str

    def available(self) -> bool:
        """Is the library installed? Found, not imported: a submodule is looked up only when
        its top-level package is already imported (looking it up imports its parents)."""
        top = self.module.split(".")[0]
        try:
            return importlib.util.find_spec(self.module if top in sys.modules else top) is not None
        except (ImportError, ValueError):
            return False

    def version(self) -> str | None:
        try:
            return importlib.metadata.version(self.dist)
        except importlib.metadata.PackageNotFoundError:
            return None

    def load(self) -> ModuleType:
        try:
            return importlib.import_module(self.module)
        except ModuleNotFoundError as exc:
            raise ModuleNotFoundError(
                f"{self.dist} is not installed ({exc}); pip install 'chunkattn[field]'"
            ) from None


def cannot_express(adapter: str, why: str) -> ValueError:
    """The error for a geometry the library has no parameters for."""
    return ValueError(f"{adapter}: {why}")


def plain(mask: Any, seq_len: int) -> Any:
    """A library's ``(T, T)`` or ``(B, H, T, T)`` mask as the contract's ``(1, 1, T, T)``: a view
    (never a copy), so a library that hands out a cached tensor is still caught by
    ``mask.caller_owns``. Anything else is returned as it came, for the checks to judge."""
    import torch

    if not isinstance(mask, torch.Tensor):
        return mask
    if mask.dim() == 2:
        return mask[None, None]
    if mask.dim() == 4 and tuple(mask.shape[-2:]) == (seq_len, seq_len):
        return mask[:1, :1]
    return mask


def _block_table(num_blocks: Any, indices: Any, rows: int, cols: int) -> Any:
    """``(rows, cols)`` bool: which key blocks each query block lists, read from a
    ``BlockMask``'s ``(num_blocks, indices)`` pair (batch 0, head 0). Query blocks the tables
    have no entry for list nothing; listed indices past ``cols`` are dropped."""
    import torch

    num = num_blocks[0, 0].to(torch.long)
    idx = indices[0, 0].to(torch.long)
    have = min(rows, num.shape[0])
    table = torch.zeros(rows, cols + 1, dtype=torch.bool, device=num.device)
    if have:
        listed = torch.arange(idx.shape[-1], device=num.device) < num[:have, None]
        where = torch.where(listed, idx[:have], cols).clamp(0, cols)
        table[:have].scatter_(1, where, True)
    return table[:, :cols]


def block_mask_view(block_mask: Any, seq_len: int) -> Any:
    """The ``(1, 1, T, T)`` bool mask a compiled ``flex_attention`` kernel applies for
    ``block_mask``, read from the mask itself: a key is visible iff its block is listed *full*
    for the query's block (full blocks are computed without calling ``mask_mod``), or listed
    *partial* and ``mask_mod`` allows it. Unlisted blocks are skipped whatever ``mask_mod``
    says. (Un-compiled ``flex_attention`` ignores the block tables and evaluates ``mask_mod``
    everywhere, so this is what training on an accelerator computes, not what eager mode does.)
    """
    import torch

    bq, bk = block_mask.BLOCK_SIZE
    rows, cols = -(-seq_len // bq), -(-seq_len // bk)
    partial = _block_table(block_mask.kv_num_blocks, block_mask.kv_indices, rows, cols)
    if block_mask.full_kv_num_blocks is not None:
        full = _block_table(block_mask.full_kv_num_blocks, block_mask.full_kv_indices, rows, cols)
    else:
        full = torch.zeros_like(partial)

    def elements(table: torch.Tensor) -> torch.Tensor:
        return table.repeat_interleave(bq, 0).repeat_interleave(bk, 1)[:seq_len, :seq_len]

    allowed = evaluate_mask_mod(block_mask.mask_mod, seq_len, partial.device)
    return (elements(full) | (elements(partial) & allowed))[None, None]


def evaluate_mask_mod(mask_mod: Any, seq_len: int, device: Any) -> Any:
    """``(T, T)`` bool: ``mask_mod(0, 0, q, k)`` on every pair. Called once on broadcast
    index grids (mask_mods are elementwise tensor code, so this is what the kernel computes
    pair by pair, ~10x cheaper than vmap); torch's ``create_mask`` if that does not work."""
    import torch
    from torch.nn.attention.flex_attention import create_mask

    zero = torch.zeros((), dtype=torch.long, device=device)
    idx = torch.arange(seq_len, device=device)
    try:
        out = mask_mod(zero, zero, idx[:, None], idx[None, :])
    except Exception:
        out = None
    if isinstance(out, torch.Tensor) and tuple(out.shape) == (seq_len, seq_len):
        return out.to(torch.bool)
    return create_mask(mask_mod, 1, 1, seq_len, seq_len, device=device)[0, 0]
