"""Every check's case schema fits what its strategy draws, in both scopes, pinned or not; and
holds what no strategy draws out."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chunkattn._internal.engine.cases import Cases, fields
from chunkattn._internal.engine.registry import validate
from chunkattn._internal.engine.schema import Drawn, Float, Int, ListOf, OneOf, Optional, Record
from chunkattn._internal.engine.seeds import load_seeds
from chunkattn._internal.engine.target import Target
from chunkattn.testing import CHECKS, CheckContext, builtin_targets

#: the fixed geometries the shipped adapters pin cases to (SLIDING_WINDOW, L = 0)
PINNED = [
    Target("pinned", fixed=(("chunk_size", 1),)),
    Target("pinned", fixed=(("context_chunks", 0),)),
]


def test_every_check_declares_its_cases():
    """A check's strategy and schema come from one declaration (a Cases), never a list."""
    for name, check in CHECKS.items():
        assert isinstance(check.cases, Cases), name
        assert check.schema is check.cases.schema, name


def _scopes() -> list[tuple[str, str]]:
    """Every check in the narrow scope, and in the wide one where its strategy differs there."""
    pairs = []
    for name, check in sorted(CHECKS.items()):
        pairs.append((name, "narrow"))
        narrow, wide = (check.strategy(w) for w in (False, True))
        if repr(narrow) != repr(wide):
            pairs.append((name, "wide"))
    return pairs


@pytest.mark.parametrize(("name", "scope"), _scopes())
def test_strategy_cases_fit_the_schema(name, scope):
    ctx = CheckContext(builtin_targets()["chunkattn"], wide=scope == "wide")
    check = CHECKS[name]

    @settings(
        max_examples=5 if check.exhaustive else 50,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(check.strategy(ctx.wide))
    def fits(case):
        for pinned in [case, *(t.pin(case) for t in PINNED if isinstance(case, dict))]:
            reason = validate(name, pinned)
            assert reason is None, f"{name} ({scope}) drew {pinned}, its schema says: {reason}"

    fits()


def test_shipped_seeds_fit():
    for name, cases in load_seeds().items():
        for case in cases:
            assert validate(name, case) is None, (name, case)


@pytest.mark.parametrize(
    ("check", "case", "reason"),
    [
        ("mask.left_span", {"seq_len": "abc", "chunk_size": 3, "context_chunks": 2}, "seq_len: "),
        ("mask.left_span", {"seq_len": 641, "chunk_size": 3, "context_chunks": 2}, "[1, 640]"),
        ("mask.left_span", {"seq_len": 8, "chunk_size": 3.0, "context_chunks": 2}, "chunk_size"),
        ("mask.left_span", {"seq_len": True, "chunk_size": 3, "context_chunks": 2}, "True"),
        ("mask.left_span", {"seq_len": 8, "chunk_size": 3}, "missing field 'context_chunks'"),
        ("mask.causality", {"seq_len": 8, "chunk_size": 3, "context_chunks": 1, "x": 1}, "'x'"),
        ("mask.shape_dtype", {"seq_len": 49, "chunk_size": 3, "context_chunks": 1}, "seq_len"),
        ("mask.caller_owns", {"seq_len": 4, "chunk_size": 2, "context_chunks": 1, "mutation": "x"}, "mutation"),
        ("mask.small_scope", {"max_len": 10_000}, "max_len"),
        ("mask.nope", {"seq_len": 4}, "unknown check 'mask.nope'"),
        ("ceil.exact", {"context_sec": float("nan"), "timestep_duration_sec": 0.08, "chunk_size": 1}, "context_sec"),
        ("sampler.reachable", {"chunk_size_min": 1, "chunk_size_max": 10, "context_sec_min": 0.0, "context_sec_max": 1.0, "timestep_duration_sec": 0.01, "chunkwise_prob": 0.5, "left_constrain_prob": 1.0, "seed": 0}, "chunkwise_prob"),
        ("sampler.rejects_bad_input", {"chunk_size_min": 1, "chunk_size_max": 10**9, "context_sec_min": 0.0, "context_sec_max": 1.0, "timestep_duration_sec": 0.01, "chunkwise_prob": 0.5, "left_constrain_prob": 1.0, "seed": 0}, "chunk_size_max"),
        ("config.sampler_matches", {"seed": 1}, "integer"),
        ("model.finite", {"seed": 0, "noise": 0, "lengths": [1, 2, 3, 4, 5]}, "lengths"),
        ("model.finite", {"seed": 0, "noise": 0, "lengths": [1, -1]}, "lengths[1]"),
        ("stream.equivalence", {"seed": 0, "noise": 0, "frames": 10**6, "cuts": []}, "frames"),
    ],
)  # fmt: skip
def test_cases_that_do_not_fit_are_named(check, case, reason):
    got = validate(check, case)
    assert got is not None and reason in got and "\n" not in got, got


def test_vocabulary():
    assert Int(0, 3).problem(3) is None and Int(0, 3).problem(4) and Int(0, 3).problem(False)
    assert Float(0, 1).problem(1) is None and Float(0, 1).problem(float("inf"))
    assert Float(0, 1, nonfinite=True).problem(float("nan")) is None
    assert Optional(Int(0, 1)).problem(None) is None and Optional(Int(0, 1)).problem("0")
    assert OneOf(True).problem(1) and OneOf(1).problem(1) is None
    assert ListOf(Int(0, 1), 2).problem([0, 1]) is None and ListOf(Int(0, 1), 2).problem([0] * 3)
    assert ListOf(Int(0, 1), 2).problem((0,))  # JSON and YAML give lists


@given(st.integers(1, 640), st.integers(1, 64), st.one_of(st.none(), st.integers(0, 128)))
def test_campaign_geometry_fits_the_geometry_checks(seq_len, chunk, context):
    case = {"seq_len": seq_len, "chunk_size": chunk, "context_chunks": context}
    assert validate("mask.left_span", case) is None


def test_a_field_is_drawn_within_its_own_bounds():
    """A field declared once (``Int(2, 5)``) is both what is drawn and what a stored case may hold."""
    cases = fields(n=Int(2, 5, corners=(2,)), xs=ListOf(OneOf("a", "b"), max_len=2))

    @settings(max_examples=100, database=None, derandomize=True)
    @given(cases.strategy())
    def drawn(case):
        assert cases.schema.problem(case) is None
        assert 2 <= case["n"] <= 5 and set(case["xs"]) <= {"a", "b"}

    drawn()
    assert cases.schema.problem({"n": 6, "xs": []})
    assert cases.with_fields(m=Int(0, 0)).schema.problem({"n": 2, "xs": [], "m": 1})
    assert cases.setting(n=3).schema.problem({"n": 2, "xs": []})
    assert cases.allowing(n=Int(-1, 5)).schema.problem({"n": -1, "xs": []}) is None
    drawn_field = Drawn(ListOf(Int(0, 9), max_len=3), st.permutations([1, 2, 3]).map(list))
    assert Record({"p": drawn_field}).problem({"p": [9]}) is None
