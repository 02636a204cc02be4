"""What a stored case of each named check may hold: field names, types and bounds.

A shared example database is a trust boundary: anyone who can write to it can write a case, and
every run that points at it replays what it holds. A case is replayed only if it fits its check's
schema here — the check exists, the fields are the check's, each value has its type and lies
within the bounds of the widest strategy the check draws from (the campaign scope,
``CheckContext.wide``). So a typo, a stale client or a ``seq_len`` of 20000 cannot turn a correct
run red or make it take minutes. The bounds come from the strategies' own constants
(:mod:`chunkattn._internal.engine.strategies`) where the strategies have them; ``tests/test_case_schema.py``
draws many cases from every check's strategy, in both scopes, and requires each to fit, so a
schema and its strategy cannot drift apart.

A new check needs an entry in :data:`SCHEMAS`::

    SCHEMAS["model.new_check"] = _model_fields(lengths=ListOf(Int(0, 40), 4, min_len=1))
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from chunkattn._internal.checks.config import _CORRUPTIONS as CONFIG_CORRUPTIONS
from chunkattn._internal.checks.mask import (
    _BAD_CHUNKS,
    _BAD_CONTEXTS,
    _DEVICES,
    _MUTATIONS,
    SMALL_SCOPE_MAX_LEN,
)
from chunkattn._internal.engine import strategies as cs

__all__ = [
    "SCHEMAS",
    "Float",
    "Int",
    "ListOf",
    "OneOf",
    "Optional",
    "Record",
    "Schema",
    "validate",
]


def _shown(value: Any) -> str:
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


@dataclass(frozen=True)
class Int(Schema):
    """An integer (not a bool, not a float) in ``[lo, hi]``."""

    lo: int
    hi: int

    def describe(self) -> str:
        return f"an integer in [{self.lo}, {self.hi}]"

    def problem(self, value: Any, path: str = "") -> str | None:
        if isinstance(value, bool) or not isinstance(value, int) or not self.lo <= value <= self.hi:
            return f"{_where(path)}expected {self.describe()}, got {_shown(value)}"
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
        return f"{_where(path)}expected {self.describe()}, got {_shown(value)}"


@dataclass(frozen=True)
class Optional(Schema):
    """``None`` or ``inner``."""

    inner: Schema

    def describe(self) -> str:
        return f"null or {self.inner.describe()}"

    def problem(self, value: Any, path: str = "") -> str | None:
        if value is None or self.inner.problem(value) is None:
            return None
        return f"{_where(path)}expected {self.describe()}, got {_shown(value)}"


@dataclass(frozen=True)
class OneOf(Schema):
    """One of ``values`` (compared with their type: ``1`` is not ``True``)."""

    values: tuple[Any, ...]

    def __init__(self, *values: Any) -> None:
        object.__setattr__(self, "values", values)

    def describe(self) -> str:
        return "one of " + ", ".join(map(repr, self.values))

    def problem(self, value: Any, path: str = "") -> str | None:
        if any(type(value) is type(v) and value == v for v in self.values):
            return None
        return f"{_where(path)}expected {self.describe()}, got {_shown(value)}"


@dataclass(frozen=True)
class ListOf(Schema):
    """A list of ``min_len`` to ``max_len`` items, each fitting ``item``."""

    item: Schema
    max_len: int
    min_len: int = 0

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

    def describe(self) -> str:
        return "a mapping with fields " + ", ".join(self.fields)

    def problem(self, value: Any, path: str = "") -> str | None:
        if not isinstance(value, dict):
            return f"{_where(path)}expected {self.describe()}, got {_shown(value)}"
        for key in value:
            if key not in self.fields:
                return (
                    f"{_where(path)}unknown field {_shown(key)} (fields: {', '.join(self.fields)})"
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


# --------------------------------------------------------------------------- the bounds

_SEED = Int(0, cs.SEED_MAX)
_TIMESTEP = Float(min(cs.TIMESTEPS + (float(cs.TIMESTEP_RANGE[0]),)), float(cs.TIMESTEP_RANGE[1]))
_PROBABILITY = Float(0.0, 1.0)

#: a pytest run's mask geometry (:func:`~chunkattn._internal.engine.strategies.mask_cases`)
_SEQ_LEN = Int(1, cs.MASK_MAX_LEN)
_CHUNK = Int(1, cs.MASK_MAX_LEN + cs.MASK_CHUNK_PAST_LEN)
_CONTEXT = Optional(Int(0, cs.MAX_CONTEXT_CHUNKS))
#: a campaign's, which also draws :func:`~chunkattn._internal.engine.strategies.deep_mask_cases`
_WIDE_SEQ_LEN = Int(1, max(cs.MASK_MAX_LEN, cs.DEEP_MAX_LEN))
_WIDE_CHUNK = Int(1, max(_CHUNK.hi, cs.DEEP_MAX_CHUNK, *cs.COMMON_CHUNKS))
_WIDE_CONTEXT = Optional(Int(0, max(cs.MAX_CONTEXT_CHUNKS, cs.DEEP_MAX_CONTEXT)))


def _geometry(chunk: Schema = _CHUNK, *, wide: bool = False, **extra: Schema) -> Record:
    if wide:
        fields = {"seq_len": _WIDE_SEQ_LEN, "chunk_size": chunk, "context_chunks": _WIDE_CONTEXT}
    else:
        fields = {"seq_len": _SEQ_LEN, "chunk_size": chunk, "context_chunks": _CONTEXT}
    return Record({**fields, **extra})


_CEIL = Record(
    {
        "context_sec": Float(0.0, cs.CEIL_MAX_CONTEXT_SEC),
        "timestep_duration_sec": _TIMESTEP,
        "chunk_size": Int(1, cs.CEIL_MAX_CHUNK),
    }
)

_SAMPLER_FIELDS: dict[str, Schema] = {
    "chunk_size_min": Int(1, cs.SAMPLER_MAX_CHUNK),
    "chunk_size_max": Int(1, 2 * cs.SAMPLER_MAX_CHUNK),
    "context_sec_min": Float(0.0, float(cs.SAMPLER_MAX_CONTEXT_SEC)),
    "context_sec_max": Float(0.0, float(cs.SAMPLER_MAX_CONTEXT_SEC)),
    "timestep_duration_sec": _TIMESTEP,
    "chunkwise_prob": _PROBABILITY,
    "left_constrain_prob": _PROBABILITY,
    "seed": _SEED,
}
_SAMPLER = Record(_SAMPLER_FIELDS)


def _bad_sampler_input() -> Record:
    """``sampler.rejects_bad_input``: a valid case, or one with ``corrupted`` naming the one bad
    value it holds; the bad values reach as far as those the check itself tries (inf, NaN, one
    below a range, -1, a probability of 1.5)."""
    valid = {k: v for k, v in _SAMPLER_FIELDS.items() if k != "seed"}
    fields: dict[str, Schema] = {
        key: Float(min(-1.0, schema.lo - 1), max(schema.hi, 1.5), nonfinite=True)
        for key, schema in valid.items()
    }
    return Record(
        {**fields, "seed": _SEED, "corrupted": OneOf(*valid)}, optional=frozenset({"corrupted"})
    )


#: ``sampler.reachable`` draws a chunk range of up to 10 values from ``1..30`` and a context
#: range of 10 equal bins of up to 30 timesteps from :data:`TIMESTEPS`, both probabilities 1
_REACHABLE = Record(
    {
        "chunk_size_min": Int(1, 30),
        "chunk_size_max": Int(1, 39),
        "context_sec_min": Float(0.0, 200 * max(cs.TIMESTEPS)),
        "context_sec_max": Float(0.0, (200 + 10 * 30) * max(cs.TIMESTEPS)),
        "timestep_duration_sec": OneOf(*cs.TIMESTEPS),
        "chunkwise_prob": Float(1.0, 1.0),
        "left_constrain_prob": Float(1.0, 1.0),
        "seed": _SEED,
    }
)


def _config_block(omit: tuple[bool, ...] = (False, True), **extra: Schema) -> Record:
    """A config check's case: the sampler block (no seed), its eval block and layout."""
    fields = {k: v for k, v in _SAMPLER_FIELDS.items() if k != "seed"}
    return Record(
        {
            **fields,
            "eval_chunk_size": Optional(Int(1, 32)),
            "eval_context_sec": Optional(Float(0.0, 20.0)),
            "layout": OneOf("top", "upstream"),
            "omit_probabilities": OneOf(*omit),
            **extra,
        }
    )


_MODEL_SEED = Int(0, 2**16)
_LENGTHS = ListOf(Int(0, 40), max_len=4, min_len=1)


def _model_fields(**extra: Schema) -> Record:
    """A black-box model check's case (``target_model_cases``): model seed, noise seed, extra."""
    return Record({"seed": _MODEL_SEED, "noise": _MODEL_SEED, **extra})


def _own_model(max_depth: int = 3) -> Record:
    """``model_cases``: a tiny chunkattn model and a batch's lengths."""
    return Record(
        {
            "depth": Int(1, max_depth),
            "chunk_size": Int(1, 4),
            "context_chunks": Optional(Int(0, 2)),
            "samples_per_patch": Int(1, 3),
            "features": Int(3, 6),
            "n_heads": Int(1, 2),
            "seed": _MODEL_SEED,
            "lengths": ListOf(Int(0, 30), max_len=4, min_len=1),
        }
    )


#: every registered check's case schema, keyed by check name
SCHEMAS: dict[str, Schema] = {
    "mask.shape_dtype": _geometry(
        Optional(_CHUNK), devices=ListOf(OneOf(*_DEVICES, "cuda"), max_len=len(_DEVICES) + 1)
    ),
    "mask.causality": _geometry(_WIDE_CHUNK, wide=True),
    "mask.own_chunk": _geometry(_WIDE_CHUNK, wide=True),
    "mask.left_span": _geometry(_WIDE_CHUNK, wide=True),
    "mask.unlimited": _geometry(Int(1, cs.MASK_MAX_LEN + 8)),
    "mask.monotone": _geometry(_WIDE_CHUNK, wide=True),
    "mask.matches_reference": _geometry(Optional(_WIDE_CHUNK), wide=True),
    # a stored case may itself be the bad input: the values the check tries are allowed
    "mask.rejects_bad_input": Record(
        {
            "seq_len": _SEQ_LEN,
            "chunk_size": Int(min(_BAD_CHUNKS), _CHUNK.hi),
            "context_chunks": Optional(Int(min(_BAD_CONTEXTS), cs.MAX_CONTEXT_CHUNKS)),
        }
    ),
    "mask.caller_owns": _geometry(mutation=OneOf(*_MUTATIONS)),
    "mask.small_scope": Record({"max_len": Int(1, SMALL_SCOPE_MAX_LEN)}),
    "ceil.exact": _CEIL,
    "ceil.coverage": _CEIL,
    "ceil.small_scope": Record({"max_hundredths": Int(0, 1000), "max_chunk_size": Int(1, 20)}),
    "sampler.ranges": _SAMPLER,
    "sampler.reachable": _REACHABLE,
    "sampler.probabilities": _SAMPLER,
    "sampler.determinism": _SAMPLER,
    "sampler.rejects_bad_input": _bad_sampler_input(),
    "sampler.isolation": _SAMPLER,
    "config.loads": _config_block(),
    "config.eval": _config_block(),
    "config.defaults": _config_block(omit=(True,)),
    "config.errors": _config_block(omit=(False,), corruption=OneOf(*sorted(CONFIG_CORRUPTIONS))),
    "config.sampler_matches": _SEED,
    "model.chunk_causality": _model_fields(chunks=Int(2, 6), cut=Int(0, 5)),
    "model.receptive_field": _model_fields(in_chunk=Int(0, 11)),
    "model.lookahead": _model_fields(chunk=Int(0, 2), token=Int(0, 63)),
    "model.padding_invariance": _model_fields(lengths=_LENGTHS, pad=Int(0, 8)),
    "model.batch_invariance": _model_fields(rows=Int(2, 4), chunks=Int(1, 3)),
    "model.finite": _model_fields(lengths=_LENGTHS),
    "model.backends_agree": _own_model(),
    "model.train_eval": _own_model(),
    "model.grad_finite": _model_fields(
        lengths=ListOf(Int(0, 40), max_len=3, min_len=1), pad=Int(0, 8)
    ),
    "model.grad_flow": _model_fields(
        lengths=ListOf(Int(0, 40), max_len=3, min_len=1), chunks=Int(2, 4)
    ),
    "model.overfits": Record({"seed": Int(0, 7), "noise": Int(0, 7), "chunks": Int(1, 2)}),
    "stream.equivalence": _model_fields(frames=Int(1, 60), cuts=ListOf(Int(0, 60), max_len=8)),
    "stream.latency": _model_fields(chunks=Int(1, 4), cuts=ListOf(Int(0, 80), max_len=8)),
    "stream.bounded_state": _model_fields(piece=Int(1, 12)),
}


def validate(check: str, case: Any) -> str | None:
    """Why ``case`` may not be run as a case of ``check`` (one line), or None if it fits."""
    from chunkattn.testing import CHECKS  # every check module registered

    if check not in CHECKS:
        return f"unknown check {_shown(check)}"
    schema = SCHEMAS.get(check)
    if schema is None:
        return f"{check} has no case schema (chunkattn._internal.engine.case_schema.SCHEMAS)"
    return schema.problem(case)
