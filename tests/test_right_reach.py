"""``right_reach`` (chunkattn's extension of the declarations, for a window with right context in every
layer, NeMo's ``regular`` style, or a non-causal convolution), against the token-level truth.

The reference is ``tests/test_geometry.py``'s (imported, not copied), with the convolution (and, at ``C = 1``, the
attention window) reading ``right_reach`` tokens right of a token: which frames each token
reads, which keys each query sees, which tokens each layer mixes, composed layer by layer and
aggregated to chunks. :meth:`ModelTarget.expected_dependence` must equal it wherever
:meth:`ModelTarget.allows` leaves nothing open.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chunkattn._internal.engine.model_target import ModelTarget, as_model_target
from chunkattn.testing import TargetError

sys.path.insert(0, str(Path(__file__).parent))
from test_geometry import token_dependencies  # noqa: E402  (the one token-level reference)


@given(
    chunk=st.integers(1, 4),
    spp=st.integers(1, 3),
    layers=st.lists(st.one_of(st.none(), st.integers(0, 2)), min_size=1, max_size=3),
    reach=st.integers(0, 3),
    right=st.integers(0, 4),
    lookahead=st.integers(0, 5),
    lookbehind=st.integers(0, 5),
    conv_first=st.booleans(),
    causal=st.booleans(),
)
def test_right_reach_is_the_token_level_truth(
    chunk, spp, layers, reach, right, lookahead, lookbehind, conv_first, causal
):
    if causal and right and chunk > 1:
        causal = False  # rejected by validation (see below)
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
        right_reach=right,
        within_chunk="causal" if causal else "full",
    )
    chunks = model.window_chunks(cap=12)
    frames = chunks * chunk * spp + model.ahead_frames
    tokens = -(-frames // spp)
    deps = token_dependencies(
        tokens, frames, chunk, spp, layers, reach, lookahead, conv_first, causal, lookbehind, right
    )
    fpc = chunk * spp
    for c in range(chunks):
        read = set().union(*deps[c * chunk : (c + 1) * chunk])
        for j in range(chunks):
            truth = any(j * fpc <= f < (j + 1) * fpc for f in read)
            assert model.allows(c, j, truth), (c, j)
            left_open = lookbehind and reach and conv_first
            right_open = right and lookahead
            if not left_open and not right_open:  # nothing left open: the formula is the truth
                assert model.expected_dependence(c, j) == truth, (c, j)
        # every frame a chunk's outputs read lies before ahead_frames past the chunk
        assert max(read, default=0) < (c + 1) * fpc + model.ahead_frames


def test_a_right_reach_widens_the_promise_by_whole_chunks_per_layer():
    model = ModelTarget(
        forward=lambda x, lengths: x,
        features=1,
        samples_per_patch=4,
        chunk_size=1,
        context_chunks=4,
        depth=2,
        right_reach=1,
    )
    assert model.right_span == 2 and model.ahead_frames == 8
    assert model.expected_dependence(3, 5) and not model.expected_dependence(3, 6)


def test_right_reach_with_causal_chunks_is_one_line_naming_it():
    declared = SimpleNamespace(
        forward=lambda x, lengths: x,
        features=1,
        samples_per_patch=1,
        chunk_size=2,
        context_chunks=1,
        depth=1,
        right_reach=1,
        within_chunk="causal",
    )
    with pytest.raises(TargetError, match="right_reach=1 with within_chunk='causal'"):
        as_model_target(declared)
    declared.right_reach = -1
    with pytest.raises(TargetError, match="right_reach must be an integer >= 0"):
        as_model_target(declared)
