"""Case spaces: what a named check draws, in both scopes, and what a stored case of it may hold.

A check declares one :class:`Cases` (``@register(name, cases, ...)``). It holds the strategy a
pytest run draws from, the wider one a campaign (``chunkattn fuzz``, ``CheckContext.wide``) draws
from, and the schema every replayed case must fit. The three are declared together, from the same
constants, so a strategy and its schema cannot drift apart (``tests/test_case_schema.py`` draws
from every check's strategies in both scopes and requires each case to fit).

The vocabulary below names the spaces the checks share::

    register("mask.causality", mask_geometry())                   # T, C, L, campaigns go deep
    register("model.finite", model_inputs(lengths=LENGTHS))        # model seed, noise, lengths
    register("config.sampler_matches", Cases.of(SEED))             # a bare seed
    model_inputs(pad=Int(0, 8))                                    # a field: drawn and bounded
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from hypothesis import strategies as st

from chunkattn._internal.engine import strategies as cs
from chunkattn._internal.engine.schema import Float, Int, ListOf, OneOf, Optional, Record, Schema

__all__ = [
    "LENGTHS",
    "MODEL_SEED",
    "NOISE",
    "PROBABILITY",
    "SAMPLER_FIELDS",
    "SEED",
    "TIMESTEP",
    "Cases",
    "ceil_decimals",
    "fields",
    "mask_geometry",
    "model_inputs",
    "sampler_arguments",
]

Case = dict[str, Any]


@dataclass(frozen=True)
class Cases:
    """The cases of one check: ``narrow`` (a pytest run), ``wide`` (a campaign; default: the
    same) and ``schema`` (what a stored case may hold: the bounds of the widest of the two)."""

    narrow: st.SearchStrategy[Any]
    schema: Schema
    wide: st.SearchStrategy[Any] | None = None

    @classmethod
    def of(cls, schema: Schema) -> Cases:
        """The values of ``schema``, drawn by the schema itself."""
        return cls(schema.strategy(), schema)

    def strategy(self, wide: bool = False) -> st.SearchStrategy[Any]:
        """The strategy of one scope: ``wide`` for a campaign."""
        return self.wide if wide and self.wide is not None else self.narrow

    def _record(self) -> Record:
        if not isinstance(self.schema, Record):
            raise TypeError("only a space of records (flat dicts) has fields")
        return self.schema

    def with_fields(self, **more: Schema) -> Cases:
        """Each case with ``more`` fields, each drawn by its schema (both scopes)."""
        extra = st.fixed_dictionaries({k: v.strategy() for k, v in more.items()})

        def extend(strategy: st.SearchStrategy[Case]) -> st.SearchStrategy[Case]:
            return st.tuples(strategy, extra).map(lambda t: {**t[0], **t[1]})

        record = self._record()
        return Cases(
            extend(self.narrow),
            Record({**record.fields, **more}, record.optional),
            None if self.wide is None else extend(self.wide),
        )

    def setting(self, **values: Any) -> Cases:
        """Each case with the fields ``values`` fixed (a stored case must hold exactly them)."""
        record = self._record()

        def fix(strategy: st.SearchStrategy[Case]) -> st.SearchStrategy[Case]:
            return strategy.map(lambda case: {**case, **values})

        schemas = {k: OneOf(v) for k, v in values.items()}
        return Cases(
            fix(self.narrow),
            Record({**record.fields, **schemas}, record.optional),
            None if self.wide is None else fix(self.wide),
        )

    def allowing(self, **schemas: Schema) -> Cases:
        """The same draws; stored cases may also hold what ``schemas`` admit (a check whose case
        may itself be the bad input it feeds the target)."""
        record = self._record()
        return replace(self, schema=Record({**record.fields, **schemas}, record.optional))


def fields(**schemas: Schema) -> Cases:
    """Flat cases of independent fields, each drawn by its schema."""
    record = Record(schemas)
    return Cases(record.strategy(), record)


# --------------------------------------------------------------------------- shared fields

SEED = Int(0, cs.SEED_MAX)
TIMESTEP = Float(min(cs.TIMESTEPS + (float(cs.TIMESTEP_RANGE[0]),)), float(cs.TIMESTEP_RANGE[1]))
PROBABILITY = Float(0.0, 1.0)
#: a model target's seed (0, the factory's default, drawn on its own) and the input noise's seed
MODEL_SEED = Int(0, 2**16, corners=(0,))
NOISE = Int(0, 2**16)
#: a batch's lengths in frames: rows of length 0 and 1 drawn on their own
LENGTHS = ListOf(Int(0, 40, corners=(0, 1)), max_len=4, min_len=1)

#: the sampler's arguments as flat keys (:func:`~chunkattn._internal.engine.strategies.sampler_cases`)
SAMPLER_FIELDS: dict[str, Schema] = {
    "chunk_size_min": Int(1, cs.SAMPLER_MAX_CHUNK),
    "chunk_size_max": Int(1, 2 * cs.SAMPLER_MAX_CHUNK),
    "context_sec_min": Float(0.0, float(cs.SAMPLER_MAX_CONTEXT_SEC)),
    "context_sec_max": Float(0.0, float(cs.SAMPLER_MAX_CONTEXT_SEC)),
    "timestep_duration_sec": TIMESTEP,
    "chunkwise_prob": PROBABILITY,
    "left_constrain_prob": PROBABILITY,
    "seed": SEED,
}


# --------------------------------------------------------------------------- the spaces


def mask_geometry(*, full_context: bool = False, campaign: bool = True) -> Cases:
    """``{seq_len, chunk_size, context_chunks}`` from ``T = 1``, ``C`` up to past ``T``, ``L``
    from 0 and ``None`` (``full_context``: ``C = None`` too); with ``campaign``, a campaign also
    draws long sequences with deep left context
    (:func:`~chunkattn._internal.engine.strategies.deep_mask_cases`)."""
    narrow = cs.mask_cases(full_context=full_context)
    if campaign:
        seq_len = Int(1, max(cs.MASK_MAX_LEN, cs.DEEP_MAX_LEN))
        chunk: Schema = Int(
            1, max(cs.MASK_MAX_LEN + cs.MASK_CHUNK_PAST_LEN, cs.DEEP_MAX_CHUNK, *cs.COMMON_CHUNKS)
        )
        context = Optional(Int(0, max(cs.MAX_CONTEXT_CHUNKS, cs.DEEP_MAX_CONTEXT)))
        wide = st.one_of(narrow, cs.deep_mask_cases())
    else:
        seq_len = Int(1, cs.MASK_MAX_LEN)
        chunk = Int(1, cs.MASK_MAX_LEN + cs.MASK_CHUNK_PAST_LEN)
        context = Optional(Int(0, cs.MAX_CONTEXT_CHUNKS))
        wide = None
    if full_context:
        chunk = Optional(chunk)
    record = Record({"seq_len": seq_len, "chunk_size": chunk, "context_chunks": context})
    return Cases(narrow, record, wide)


def ceil_decimals() -> Cases:
    """``{context_sec, timestep_duration_sec, chunk_size}`` aimed at the float-division traps
    (:func:`~chunkattn._internal.engine.strategies.ceil_cases`)."""
    record = Record(
        {
            "context_sec": Float(0.0, cs.CEIL_MAX_CONTEXT_SEC),
            "timestep_duration_sec": TIMESTEP,
            "chunk_size": Int(1, cs.CEIL_MAX_CHUNK),
        }
    )
    return Cases(cs.ceil_cases(), record)


def sampler_arguments() -> Cases:
    """Valid sampler arguments with a seed, probabilities at both extremes
    (:func:`~chunkattn._internal.engine.strategies.sampler_cases`)."""
    return Cases(cs.sampler_cases(), Record(SAMPLER_FIELDS))


def model_inputs(**more: Schema) -> Cases:
    """A black-box model check's case: the factory's ``seed``, the input ``noise`` seed, and
    ``more`` fields, each drawn by its schema."""
    return fields(seed=MODEL_SEED, noise=NOISE, **more)
