"""The declared geometry of a model target (docs/contract.md: What a model declares it reaches), against a naive token-level reference.

:meth:`ModelTarget.expected_dependence` is the chunk-level formula
``c - sum(L_i + ceil(left_reach / C)) <= j <= c + ceil(lookahead_frames / (C*S))``. Here the
same question is answered from the definitions alone: which frames each token reads, which keys
each query sees in every layer (its chunk, ``L`` chunks back, causal inside the chunk or not),
and which tokens a convolution of reach ``r`` mixes, composed layer by layer; then aggregated to
chunks. The two must agree for every geometry, whether the convolution comes before or after
attention in a layer.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chunkattn._internal.engine.model_target import ModelTarget, as_model_target
from chunkattn.testing import TargetError


def token_dependencies(
    tokens: int,
    frames: int,
    chunk: int,
    spp: int,
    layers: list[int | None],
    reach: int,
    lookahead: int,
    conv_first: bool,
    causal: bool,
    lookbehind: int = 0,
    right: int = 0,
) -> list[set[int]]:
    """``deps[t]``: the input frames output token ``t`` depends on, from the definitions; each
    layer's convolution reads ``reach`` tokens left and ``right`` tokens right of a token (a
    ``right_reach``, tests/test_right_reach.py)."""

    def sees(q: int, k: int, context: int | None) -> bool:
        qc, kc = q // chunk, k // chunk
        if kc > qc or (context is not None and kc < qc - context):
            return False
        return not causal or k <= q

    deps = [
        set(range(max(0, t * spp - lookbehind), min((t + 1) * spp + lookahead, frames)))
        for t in range(tokens)
    ]
    for context in layers:

        def attention(d: list[set[int]], context: int | None = context) -> list[set[int]]:
            return [
                set().union(*(d[k] for k in range(tokens) if sees(q, k, context)))
                for q in range(tokens)
            ]

        def convolution(d: list[set[int]]) -> list[set[int]]:
            return [set().union(*d[max(0, t - reach) : t + 1 + right]) for t in range(tokens)]

        deps = attention(convolution(deps)) if conv_first else convolution(attention(deps))
    return deps


@given(
    chunk=st.integers(1, 4),
    spp=st.integers(1, 3),
    layers=st.lists(st.one_of(st.none(), st.integers(0, 2)), min_size=1, max_size=3),
    reach=st.integers(0, 5),
    lookahead=st.integers(0, 7),
    lookbehind=st.integers(0, 7),
    conv_first=st.booleans(),
    causal=st.booleans(),
)
def test_expected_dependence_is_the_token_level_truth(
    chunk, spp, layers, reach, lookahead, lookbehind, conv_first, causal
):

    model = ModelTarget(
        forward=lambda x, lengths: x,
        features=1,
        samples_per_patch=spp,
        chunk_size=chunk,
        context_chunks=layers,
        depth=len(layers),
        left_reach=reach,
        lookahead_frames=lookahead,
        lookbehind_frames=lookbehind,
        within_chunk="causal" if causal else "full",
    )
    chunks = model.window_chunks(cap=9)
    frames = chunks * chunk * spp + lookahead
    deps = token_dependencies(
        chunks * chunk, frames, chunk, spp, layers, reach, lookahead, conv_first, causal, lookbehind
    )
    fpc = chunk * spp
    for c in range(chunks):
        read = set().union(*deps[c * chunk : (c + 1) * chunk])
        for j in range(chunks):
            truth = any(j * fpc <= f < (j + 1) * fpc for f in read)
            assert model.allows(c, j, truth), (c, j)
            if (
                not (lookbehind and reach) or not conv_first
            ):  # nothing left open: the formula is the truth
                assert model.expected_dependence(c, j) == truth, (c, j)


def _declared(**overrides):
    base = dict(
        forward=lambda x, lengths: x,
        features=2,
        samples_per_patch=1,
        chunk_size=2,
        context_chunks=1,
        depth=2,
    )
    return SimpleNamespace(**{**base, **overrides})


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"left_reach": -1}, "left_reach must be an integer >= 0"),
        ({"left_reach": 2.5}, "left_reach must be an integer >= 0"),
        ({"lookahead_frames": "3"}, "lookahead_frames must be an integer >= 0"),
        ({"context_chunks": [1, None, 2]}, "context_chunks has 3 entries"),
        ({"context_chunks": [1, -1]}, "context_chunks[1] must be an integer >= 0 or None"),
        ({"context_chunks": []}, "context_chunks is an empty list"),
        ({"timestep_sec": 0}, "timestep_sec must be a number of seconds > 0"),
        ({"timestep_sec": float("nan")}, "timestep_sec must be a number of seconds > 0"),
        ({"within_chunk": "left"}, "within_chunk must be one of"),
    ],
)
def test_a_bad_declaration_is_one_line_naming_the_attribute(overrides, named):
    with pytest.raises(TargetError) as info:
        as_model_target(_declared(**overrides), "m.py:make")
    message = str(info.value)
    assert named in message and message.startswith("m.py:make: ") and "\n" not in message


def test_a_per_layer_list_sets_the_depth():
    model = as_model_target(_declared(context_chunks=[1, None, 0], depth=3))
    assert model.layer_context == (1, None, 0) and model.left_span is None
    model = as_model_target(
        SimpleNamespace(**{**vars(_declared(context_chunks=[2, 0])), "depth": 2}),
    )
    assert model.left_span == 2 and model.depth == 2
    no_depth = _declared(context_chunks=[1, 1, 1])
    del no_depth.depth
    assert as_model_target(no_depth).depth == 3


def test_verify_names_a_bad_declaration_in_one_line(tmp_path, capsys):
    from chunkattn._internal.commands.cli import main

    path = tmp_path / "claims.py"
    path.write_text(
        "from types import SimpleNamespace\n"
        "def make_model(seed=0):\n"
        "    return SimpleNamespace(forward=lambda x, lengths: x, features=2, samples_per_patch=1,\n"
        "                           chunk_size=2, context_chunks=[1, 1, None], depth=2)\n"
    )
    assert main(["verify", "--model", f"{path}:make_model"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "context_chunks has 3 entries" in err
    assert "Traceback" not in err
