"""The dependency-free core: the chunk-config value type, the exact context formula, validators.

Everything else builds on this module, and it imports nothing beyond the standard library (no
torch, YAML or rich), so the sampler's arithmetic and the validation rules can be used and
tested anywhere. One definition of each rule: the mask, the sampler, the config loader and the
CLI all validate through the functions here.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

__all__ = [
    "DEFAULT_TIMEOUT",
    "WITHIN_CHUNK",
    "ChunkConfig",
    "ConfigError",
    "check_chunk_size",
    "check_context_chunks",
    "check_sampler_values",
    "context_chunks_for",
    "exact",
    "is_bad_number",
    "is_int",
    "validate_chunk_config",
]

#: the contract's variants inside a chunk: ``"full"`` (docs/contract.md: The mask: a query sees its whole
#: chunk) and ``"causal"`` (section 11, Llama 4's chunked attention: ``k <= q`` inside it too)
WITHIN_CHUNK = ("full", "causal")

#: seconds one call into a target may take by default (``--timeout``; defined here, not in
#: :mod:`chunkattn._internal.engine.limits`, so the CLI can show it without importing the test suite)
DEFAULT_TIMEOUT = 60.0


@dataclass
class ChunkConfig:
    """One attention geometry.

    ``chunk_size``: tokens per chunk, ``None`` for full (bidirectional) context.
    ``context_chunks``: past chunks visible besides the current one, ``None`` for unlimited.
    """

    chunk_size: int | None
    context_chunks: int | None

    def is_full_context(self) -> bool:
        return self.chunk_size is None


class ConfigError(ValueError):
    """A bad config value; ``str()`` is one line naming the file (if any) and the key."""

    def __init__(self, message: str, *, key: str | None = None, source: str | None = None):
        self.key, self.source, self.detail = key, source, message
        where = ": ".join(part for part in (source, key) if part)
        super().__init__(f"{where}: {message}" if where else message)


def is_int(x: Any) -> bool:
    """An integer type (``int``, numpy integer), not a bool and not an integral float."""
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def is_bad_number(x: Any) -> bool:
    """Not a real number, or infinite, or NaN."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return True
    return not math.isfinite(float(x))


def check_chunk_size(value: Any, name: str = "chunk_size") -> None:
    """``ValueError`` naming ``name`` unless ``value`` is None (full context) or an int >= 1."""
    if value is not None and (not is_int(value) or value < 1):
        raise ValueError(f"{name} must be None (full context) or an integer >= 1, got {value!r}")


def check_context_chunks(value: Any, name: str = "context_chunks") -> None:
    """``ValueError`` naming ``name`` unless ``value`` is None (unlimited) or an int >= 0."""
    if value is not None and (not is_int(value) or value < 0):
        raise ValueError(f"{name} must be None (unlimited) or an integer >= 0, got {value!r}")


def validate_chunk_config(config: ChunkConfig) -> None:
    """Raise ``ValueError`` unless ``C`` is None or an integer >= 1 and ``L`` None or >= 0."""
    check_chunk_size(config.chunk_size)
    check_context_chunks(config.context_chunks)


def exact(x: float | int | Fraction) -> Fraction:
    """The decimal value of ``x`` as written: ``exact(0.56) == Fraction(56, 100)``."""
    if isinstance(x, Fraction):
        return x
    return Fraction(repr(x)) if isinstance(x, float) else Fraction(x)


def context_chunks_for(context_sec: float, timestep_duration_sec: float, chunk_size: int) -> int:
    """``ceil(context_sec / timestep_duration_sec / chunk_size)`` on the decimal values as written.

    Plain float division drifts: ``0.56 / 0.08 / 1 == 7.000000000000001``, whose ceil is one
    chunk too many. Here every float is read as its shortest decimal repr:

    >>> context_chunks_for(0.56, 0.08, 1)
    7
    """
    if is_bad_number(context_sec) or context_sec < 0:
        raise ValueError(f"context_sec must be a finite number >= 0, got {context_sec!r}")
    if is_bad_number(timestep_duration_sec) or timestep_duration_sec <= 0:
        raise ValueError(
            f"timestep_duration_sec must be a finite number > 0, got {timestep_duration_sec!r}"
        )
    if not is_int(chunk_size) or chunk_size < 1:
        raise ValueError(f"chunk_size must be an integer >= 1, got {chunk_size!r}")
    return math.ceil(exact(context_sec) / exact(timestep_duration_sec) / int(chunk_size))


def check_sampler_values(
    *,
    chunk_size_min: Any,
    chunk_size_max: Any,
    context_sec_min: Any,
    context_sec_max: Any,
    timestep_duration_sec: Any,
    chunkwise_prob: Any,
    left_constrain_prob: Any,
) -> None:
    """Raise :class:`ConfigError` (a ``ValueError``) keyed by the first bad value.

    The one definition of what a sampler accepts, shared by the sampler's constructor and the
    config loader.
    """
    _check_range("chunk_size", chunk_size_min, chunk_size_max, 1, is_int, "a finite integer >= 1")
    _check_range(
        "context_sec",
        context_sec_min,
        context_sec_max,
        0,
        lambda v: not is_bad_number(v),
        "a finite number of seconds >= 0",
    )
    if is_bad_number(timestep_duration_sec) or timestep_duration_sec <= 0:
        raise ConfigError(
            f"must be a finite number of seconds > 0, got {timestep_duration_sec!r}",
            key="timestep_duration_sec",
        )
    for key, value in (
        ("chunkwise_prob", chunkwise_prob),
        ("left_constrain_prob", left_constrain_prob),
    ):
        if is_bad_number(value) or not 0 <= value <= 1:
            raise ConfigError(f"must be a probability in [0, 1], got {value!r}", key=key)


def _check_range(
    name: str, low: Any, high: Any, minimum: int, valid: Callable[[Any], bool], what: str
) -> None:
    """``{name}_min``/``{name}_max`` are each ``valid`` (described as ``what``), the minimum
    at least ``minimum`` and at most the maximum; :class:`ConfigError` keyed by the bad one."""
    for key, value in ((f"{name}_min", low), (f"{name}_max", high)):
        if not valid(value):
            raise ConfigError(f"must be {what}, got {value!r}", key=key)
    if low < minimum:
        raise ConfigError(f"must be >= {minimum}, got {low!r}", key=f"{name}_min")
    if low > high:
        raise ConfigError(f"must be >= {name}_min ({low}), got {high!r}", key=f"{name}_max")
