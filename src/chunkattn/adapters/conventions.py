"""Conventions the field uses for the same geometry, mapped onto chunkattn's ``ChunkConfig``.

Libraries describe chunked and windowed attention with their own parameters and sentinels.
Each pair of functions here maps one convention onto the contract (``from_*``: the library's
parameters to a :class:`~chunkattn._internal.contract.core.ChunkConfig`) and back (``to_*``), and each
``*_target`` wraps a user's own mask function written in that convention as a
``create_dynamic_chunk_mask``, so ``chunkattn verify --impl`` can check it::

    # my_target.py
    from chunkattn.adapters.conventions import wenet_target
    from mylab.masks import subsequent_chunk_mask        # fn(size, chunk_size, num_left_chunks, device)

    create_dynamic_chunk_mask = wenet_target(subsequent_chunk_mask)

A convention whose windows are token-level (flash-attention, Hugging Face's ``sliding_window``)
is ``C = 1``: set ``FIXED_GEOMETRY = SLIDING_WINDOW`` beside it, so the checks ask only for
windows.

======================  ====================================  ==================================
convention              parameters                            chunkattn
======================  ====================================  ==================================
WeNet                   ``chunk_size, num_left_chunks``       ``C = chunk_size``;
                                                              ``num_left_chunks < 0`` (``-1``)
                                                              is unlimited: ``L = None``
NeMo ``chunked_limited`` ``att_context_size=[left, right]``   ``C = right + 1``, ``L = left // C``
                                                              (``left = -1``: unlimited); a
                                                              ``left`` that is not a multiple of
                                                              ``C`` is a finding (NeMo rounds it
                                                              down silently)
flash-attention         ``window_size=(left, right)``         ``C = 1``, ``L = left`` (the
                                                              window does not count the current
                                                              token); ``left = -1`` unlimited;
                                                              ``right`` must be 0 (causal)
Hugging Face            ``sliding_window=W``                  ``C = 1``, ``L = W - 1`` (``W``
                                                              counts the current token); ``None``
                                                              is no window (unlimited)
======================  ====================================  ==================================

>>> from_nemo([64, 15])
ChunkConfig(chunk_size=16, context_chunks=4)
>>> from_hf_sliding_window(4) == from_flash_window((3, 0))
True
>>> to_wenet(ChunkConfig(16, None))
(16, -1)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from chunkattn._internal.contract.core import (
    ChunkConfig,
    check_chunk_size,
    check_context_chunks,
    is_int,
)
from chunkattn.adapters._common import plain

__all__ = [
    "SLIDING_WINDOW",
    "NemoRoundingFinding",
    "flash_window_target",
    "from_flash_window",
    "from_hf_sliding_window",
    "from_nemo",
    "from_wenet",
    "hf_sliding_window_target",
    "nemo_finding",
    "nemo_target",
    "to_flash_window",
    "to_hf_sliding_window",
    "to_nemo",
    "to_wenet",
    "wenet_target",
]

#: ``FIXED_GEOMETRY`` for a target module whose windows are token-level
SLIDING_WINDOW = {"chunk_size": 1}

MaskFn = Callable[..., Any]


def _int(value: Any, name: str) -> int:
    if not is_int(value):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    return int(value)


# --------------------------------------------------------------------------- WeNet


def from_wenet(chunk_size: int | None, num_left_chunks: int = -1) -> ChunkConfig:
    """WeNet's ``subsequent_chunk_mask(size, chunk_size, num_left_chunks)`` parameters.

    Any negative ``num_left_chunks`` (WeNet's default ``-1``) is unlimited left context;
    ``chunk_size=None`` is full context (WeNet then builds no chunk mask at all).

    >>> from_wenet(16, -1), from_wenet(16, 0)
    (ChunkConfig(chunk_size=16, context_chunks=None), ChunkConfig(chunk_size=16, context_chunks=0))
    """
    if chunk_size is None:
        return ChunkConfig(None, None)
    chunk = _int(chunk_size, "chunk_size")
    if chunk < 1:
        raise ValueError(
            f"chunk_size must be >= 1, got {chunk} (WeNet's decoding_chunk_size < 0 means full "
            "context: pass None)"
        )
    left = _int(num_left_chunks, "num_left_chunks")
    return ChunkConfig(chunk, None if left < 0 else left)


def to_wenet(config: ChunkConfig) -> tuple[int, int]:
    """``(chunk_size, num_left_chunks)`` for ``config``: unlimited is ``-1``.

    WeNet reserves negative ``num_left_chunks`` for "unlimited", so a negative
    ``context_chunks`` has no WeNet spelling: ``ValueError``.
    """
    check_context_chunks(config.context_chunks)
    if config.chunk_size is None:
        raise ValueError("full context has no subsequent_chunk_mask (WeNet builds no chunk mask)")
    return config.chunk_size, -1 if config.context_chunks is None else config.context_chunks


def wenet_target(fn: MaskFn) -> MaskFn:
    """``create_dynamic_chunk_mask`` from a WeNet-style ``fn(size, chunk_size,
    num_left_chunks, device)`` returning a ``(size, size)`` bool mask.

    ``chunk_size`` is passed as it comes, bad values included, so what ``fn`` does with
    ``0`` or ``-1`` is what ``mask.rejects_bad_input`` sees. Full context returns ``None``
    without calling ``fn``.
    """

    def create_dynamic_chunk_mask(seq_len: int, config: ChunkConfig, device=None):
        if config.chunk_size is None:
            return None
        _, left = to_wenet(ChunkConfig(1, config.context_chunks))
        return plain(fn(seq_len, config.chunk_size, left, _device(device)), seq_len)

    create_dynamic_chunk_mask.__doc__ = f"{getattr(fn, '__name__', fn)} in the WeNet convention."
    return create_dynamic_chunk_mask


# --------------------------------------------------------------------------- NeMo


class NemoRoundingFinding(ValueError):
    """``att_context_size=[left, right]`` with ``left`` not a multiple of ``right + 1``: NeMo's
    ``chunked_limited`` style uses ``left // (right + 1)`` chunks, silently dropping the rest."""


def nemo_finding(att_context_size: Sequence[int]) -> str | None:
    """What NeMo silently changes in ``att_context_size``, or None if it means what it says."""
    left, right = (_int(v, "att_context_size") for v in att_context_size)
    chunk = right + 1
    if right < 0 or left < 0 or left % chunk == 0:
        return None
    kept = left // chunk
    return (
        f"att_context_size=[{left}, {right}]: left {left} is not a multiple of the chunk size "
        f"{chunk}; NeMo's chunked_limited attention uses {kept} chunks = {kept * chunk} frames "
        f"of left context, not {left}"
    )


def from_nemo(att_context_size: Sequence[int], *, strict: bool = True) -> ChunkConfig:
    """NeMo's ``att_context_size=[left, right]`` (``att_context_style="chunked_limited"``):
    ``C = right + 1``, ``L = left // C``, ``left = -1`` unlimited.

    A ``left`` that is not a multiple of ``C`` raises :class:`NemoRoundingFinding` (a
    ``ValueError``) unless ``strict=False``, which returns what NeMo actually builds. A
    ``right`` of ``-1`` (NeMo's unlimited right context) is not chunked attention.

    >>> from_nemo([70, 3])
    Traceback (most recent call last):
    ...
    chunkattn.adapters.conventions.NemoRoundingFinding: att_context_size=[70, 3]: left 70 is not a multiple of the chunk size 4; NeMo's chunked_limited attention uses 17 chunks = 68 frames of left context, not 70
    >>> from_nemo([70, 3], strict=False)
    ChunkConfig(chunk_size=4, context_chunks=17)
    """
    if len(att_context_size) != 2:
        raise ValueError(f"att_context_size must be [left, right], got {att_context_size!r}")
    left, right = (_int(v, "att_context_size") for v in att_context_size)
    if right < 0:
        raise ValueError(
            f"att_context_size=[{left}, {right}]: right={right} is unlimited right context, "
            "not chunked attention"
        )
    if left < -1:
        raise ValueError(f"att_context_size=[{left}, {right}]: left must be >= 0 or -1")
    finding = nemo_finding([left, right])
    if finding and strict:
        raise NemoRoundingFinding(finding)
    chunk = right + 1
    return ChunkConfig(chunk, None if left < 0 else left // chunk)


def to_nemo(config: ChunkConfig) -> list[int]:
    """``[left, right]`` for ``config``: ``[L * C, C - 1]``, unlimited left is ``-1``."""
    check_chunk_size(config.chunk_size)
    check_context_chunks(config.context_chunks)
    if config.chunk_size is None:
        raise ValueError("full context has no att_context_size in chunked_limited style")
    c, l_ = config.chunk_size, config.context_chunks
    return [-1 if l_ is None else l_ * c, c - 1]


def nemo_target(fn: MaskFn) -> MaskFn:
    """``create_dynamic_chunk_mask`` from a NeMo-style ``fn(size, att_context_size, device)``
    returning a ``(size, size)`` bool mask.

    NeMo reserves ``-1`` in both places for "unlimited", so ``C < 1`` and ``L < 0`` have no
    NeMo spelling and raise ``ValueError`` here.
    """

    def create_dynamic_chunk_mask(seq_len: int, config: ChunkConfig, device=None):
        if config.chunk_size is None:
            return None
        return plain(fn(seq_len, to_nemo(config), _device(device)), seq_len)

    create_dynamic_chunk_mask.__doc__ = f"{getattr(fn, '__name__', fn)} in the NeMo convention."
    return create_dynamic_chunk_mask


# --------------------------------------------------------------------------- windows


def _window_only(config: ChunkConfig, what: str) -> None:
    if config.chunk_size != 1:
        raise ValueError(
            f"{what} is a token-level window (chunk_size 1); chunk_size={config.chunk_size!r} "
            "cannot be expressed"
        )


def from_flash_window(window_size: int | Sequence[int]) -> ChunkConfig:
    """flash-attention's ``window_size=(left, right)`` (or just ``left``), causal: the window
    does not count the current token, so ``L = left``; ``left = -1`` is unlimited.

    >>> from_flash_window((3, 0)), from_flash_window(-1)
    (ChunkConfig(chunk_size=1, context_chunks=3), ChunkConfig(chunk_size=1, context_chunks=None))
    """
    left, right = (window_size, 0) if is_int(window_size) else tuple(window_size)
    left, right = _int(left, "window_size"), _int(right, "window_size")
    if right != 0:
        raise ValueError(
            f"window_size={window_size!r}: a right window of {right} is per-token lookahead, "
            "not chunked attention (causal windows have right = 0)"
        )
    if left < -1:
        raise ValueError(f"window_size={window_size!r}: left must be >= 0 or -1 (unlimited)")
    return ChunkConfig(1, None if left == -1 else left)


def to_flash_window(config: ChunkConfig) -> tuple[int, int]:
    """``(left, 0)`` for a token-level window; unlimited is ``(-1, 0)``.

    flash-attention reserves ``-1`` for "unlimited", so a negative ``context_chunks`` has no
    spelling: ``ValueError``.
    """
    _window_only(config, "flash-attention's window_size")
    check_context_chunks(config.context_chunks)
    return (-1 if config.context_chunks is None else config.context_chunks, 0)


def flash_window_target(fn: MaskFn) -> MaskFn:
    """``create_dynamic_chunk_mask`` from ``fn(size, window_size, device)`` in the
    flash-attention convention, returning a ``(size, size)`` bool mask. Pair it with
    ``FIXED_GEOMETRY = SLIDING_WINDOW``."""

    def create_dynamic_chunk_mask(seq_len: int, config: ChunkConfig, device=None):
        if config.chunk_size is None:
            return None
        return plain(fn(seq_len, to_flash_window(config), _device(device)), seq_len)

    create_dynamic_chunk_mask.__doc__ = f"{getattr(fn, '__name__', fn)} in flash's convention."
    return create_dynamic_chunk_mask


def from_hf_sliding_window(sliding_window: int | None) -> ChunkConfig:
    """Hugging Face's ``sliding_window=W``: ``W`` counts the current token, so ``L = W - 1``;
    ``None`` is no window (plain causal, unlimited).

    >>> from_hf_sliding_window(4096)
    ChunkConfig(chunk_size=1, context_chunks=4095)
    """
    if sliding_window is None:
        return ChunkConfig(1, None)
    window = _int(sliding_window, "sliding_window")
    if window < 1:
        raise ValueError(f"sliding_window must be >= 1 (it counts the current token), got {window}")
    return ChunkConfig(1, window - 1)


def to_hf_sliding_window(config: ChunkConfig, *, validate: bool = True) -> int | None:
    """``W = L + 1`` for a token-level window; unlimited is ``None``.

    With ``validate=False`` a negative ``context_chunks`` maps to ``W <= 0`` unchecked (so an
    adapter shows what the library does with it).
    """
    _window_only(config, "Hugging Face's sliding_window")
    if validate:
        check_context_chunks(config.context_chunks)
    return None if config.context_chunks is None else config.context_chunks + 1


def hf_sliding_window_target(fn: MaskFn) -> MaskFn:
    """``create_dynamic_chunk_mask`` from ``fn(size, sliding_window, device)`` in Hugging
    Face's convention (``None`` = no window), returning a ``(size, size)`` bool mask. Pair it
    with ``FIXED_GEOMETRY = SLIDING_WINDOW``. ``W <= 0`` is passed to ``fn`` as it comes."""

    def create_dynamic_chunk_mask(seq_len: int, config: ChunkConfig, device=None):
        if config.chunk_size is None:
            return None
        window = to_hf_sliding_window(config, validate=False)
        return plain(fn(seq_len, window, _device(device)), seq_len)

    create_dynamic_chunk_mask.__doc__ = f"{getattr(fn, '__name__', fn)} in HF's convention."
    return create_dynamic_chunk_mask


def _device(device: Any) -> Any:
    """``None`` as the default device, for functions whose own default is a fixed CPU."""
    import torch

    return torch.get_default_device() if device is None else torch.device(device)
