"""Case schemas: what a stored case of a named check may hold — field names, types and bounds.

A shared example database is a trust boundary: anyone who can write to it can write a case, and
every run that points at it replays what it holds. A case is replayed only if it fits its check's
schema — the check exists, the fields are the check's, each value has its type and lies within the
bounds of the widest strategy the check draws from. So a typo, a stale client or a ``seq_len`` of
20000 cannot turn a correct run red or make it take minutes.

A schema is declared together with the strategy it describes (:class:`~.cases.Cases`); the
simple types here draw their own values too (:meth:`Schema.strategy`), so a field declared as
``Int(0, 8)`` is drawn from ``0..8`` and a stored ``9`` is set aside — one declaration, no copy
of the bounds to drift.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

__all__ = ["Drawn", "Float", "Int", "ListOf", "OneOf", "Optional", "Record", "Schema", "shown"]


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _where(path: str) -> str:
    return f"{path}: " if path else ""


class Schema(ABC):
    """A type with bounds; :meth:`problem` says why a value does not fit (one line), or None."""

    @abstractmethod
    def problem(self, value: Any, path: str = "") -> str | None: ...

    @abstractmethod
    def describe(self) -> str: ...

    def strategy(self) -> st.SearchStrategy[Any]:
        """Values of exactly this schema, as a strategy (for the types that can draw their own)."""
        raise TypeError(f"{type(self).__name__} does not draw its own values: use Drawn(...)")


@dataclass(frozen=True)
class Int(Schema):
    """An integer (not a bool, not a float) in ``[lo, hi]``; ``corners``: values drawn on their
    own besides the whole range (a length of 0 or 1, a seed of 0)."""

    lo: int
    hi: int
    corners: tuple[int, ...] = ()

    def strategy(self) -> st.SearchStrategy[int]:
        whole = st.integers(self.lo, self.hi)
        return st.one_of(*(st.just(c) for c in self.corners), whole) if self.corners else whole

    def describe(self) -> str:
        return f"an integer in [{self.lo}, {self.hi}]"

    def problem(self, value: Any, path: str = "") -> str | None:
        if isinstance(value, bool) or not isinstance(value, int) or not self.lo <= value <= self.hi:
            return f"{_where(path)}expected {self.describe()}, got {shown(value)}"
        return None


@dataclass(frozen=True)
class Float(Schema):
    """A number (int or float, not a bool) in ``[lo, hi]``; ``nonfinite``: inf, -inf and NaN too
    (checks that feed them to the target as bad input)."""

    lo: float
    hi: float
    nonfinite: bool = False

    def describe(self) -> str:
        extra = ", inf or nan" if self.nonfinite else ""
        return f"a number in [{self.lo:g}, {self.hi:g}]{extra}"

    def problem(self, value: Any, path: str = "") -> str | None:
        if not isinstance(value, bool) and isinstance(value, int | float):
            if not math.isfinite(value):
                if self.nonfinite:
                    return None
            elif self.lo <= value <= self.hi:
                return None
        return f"{_where(path)}expected {self.describe()}, got {shown(value)}"


@dataclass(frozen=True)
class Optional(Schema):
    """``None`` or ``inner``."""

    inner: Schema

    def strategy(self) -> st.SearchStrategy[Any]:
        return st.one_of(st.none(), self.inner.strategy())

    def describe(self) -> str:
        return f"null or {self.inner.describe()}"

    def problem(self, value: Any, path: str = "") -> str | None:
        if value is None or self.inner.problem(value) is None:
            return None
        return f"{_where(path)}expected {self.describe()}, got {shown(value)}"


@dataclass(frozen=True)
class OneOf(Schema):
    """One of ``values`` (compared with their type: ``1`` is not ``True``)."""

    values: tuple[Any, ...]

    def __init__(self, *values: Any) -> None:
        object.__setattr__(self, "values", values)

    def strategy(self) -> st.SearchStrategy[Any]:
        return st.sampled_from(self.values)

    def describe(self) -> str:
        return "one of " + ", ".join(map(repr, self.values))

    def problem(self, value: Any, path: str = "") -> str | None:
        if any(type(value) is type(v) and value == v for v in self.values):
            return None
        return f"{_where(path)}expected {self.describe()}, got {shown(value)}"


@dataclass(frozen=True)
class ListOf(Schema):
    """A list of ``min_len`` to ``max_len`` items, each fitting ``item``."""

    item: Schema
    max_len: int
    min_len: int = 0

    def strategy(self) -> st.SearchStrategy[list[Any]]:
        return st.lists(self.item.strategy(), min_size=self.min_len, max_size=self.max_len)

    def describe(self) -> str:
        return f"a list of {self.min_len} to {self.max_len} items, each {self.item.describe()}"

    def problem(self, value: Any, path: str = "") -> str | None:
        if not isinstance(value, list) or not self.min_len <= len(value) <= self.max_len:
            size = f" of {len(value)} items" if isinstance(value, list) else ""
            return (
                f"{_where(path)}expected a list of {self.min_len} to {self.max_len} items, "
                f"got {type(value).__name__}{size}"
            )
        for i, item in enumerate(value):
            reason = self.item.problem(item, f"{path}[{i}]")
            if reason:
                return reason
        return None


@dataclass(frozen=True)
class Record(Schema):
    """A mapping with exactly the ``fields`` (those in ``optional`` may be absent)."""

    fields: dict[str, Schema]
    optional: frozenset[str] = frozenset()

    def strategy(self) -> st.SearchStrategy[dict[str, Any]]:
        return st.fixed_dictionaries({k: v.strategy() for k, v in self.fields.items()})

    def describe(self) -> str:
        return "a mapping with fields " + ", ".join(self.fields)

    def problem(self, value: Any, path: str = "") -> str | None:
        if not isinstance(value, dict):
            return f"{_where(path)}expected {self.describe()}, got {shown(value)}"
        for key in value:
            if key not in self.fields:
                return (
                    f"{_where(path)}unknown field {shown(key)} (fields: {', '.join(self.fields)})"
                )
        for key, schema in self.fields.items():
            if key not in value:
                if key in self.optional:
                    continue
                return f"{_where(path)}missing field {key!r}"
            reason = schema.problem(value[key], f"{path}.{key}" if path else key)
            if reason:
                return reason
        return None


@dataclass(frozen=True)
class Drawn(Schema):
    """``schema``, drawn from ``values`` (a strategy of its own: permutations, a composite)."""

    schema: Schema
    values: st.SearchStrategy[Any]

    def strategy(self) -> st.SearchStrategy[Any]:
        return self.values

    def describe(self) -> str:
        return self.schema.describe()

    def problem(self, value: Any, path: str = "") -> str | None:
        return self.schema.problem(value, path)
