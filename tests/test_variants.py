"""The contract's variant ``within_chunk="causal"`` (docs/contract.md: Adapters, Llama 4's chunked
attention): the naive reference draws it right, and a target module must name it exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from chunkattn._internal.contract.core import ChunkConfig
from chunkattn._internal.contract.reference import reference_mask, reference_visible
from chunkattn.testing import TargetError, load_target

# T=7, C=3: chunks {0,1,2} {3,4,5} {6}. Drawn by hand from the definition: a query sees the L
# previous chunks whole, and its own chunk up to and including itself.
CAUSAL_L1 = """
1 . . . . . .
1 1 . . . . .
1 1 1 . . . .
1 1 1 1 . . .
1 1 1 1 1 . .
1 1 1 1 1 1 .
. . . 1 1 1 1
"""
CAUSAL_L0 = """
1 . . . . . .
1 1 . . . . .
1 1 1 . . . .
. . . 1 . . .
. . . 1 1 . .
. . . 1 1 1 .
. . . . . . 1
"""
# the default variant on the same geometry, for contrast: the whole own chunk is visible
FULL_L1 = """
1 1 1 . . . .
1 1 1 . . . .
1 1 1 . . . .
1 1 1 1 1 1 .
1 1 1 1 1 1 .
1 1 1 1 1 1 .
. . . 1 1 1 1
"""


def _picture(text: str) -> torch.Tensor:
    return torch.tensor([[c == "1" for c in row.split()] for row in text.strip().splitlines()])


@pytest.mark.parametrize(
    ("context", "within", "picture"),
    [(1, "causal", CAUSAL_L1), (0, "causal", CAUSAL_L0), (1, "full", FULL_L1)],
)
def test_reference_draws_the_hand_drawn_picture(context, within, picture):
    want = _picture(picture)
    got = reference_mask(7, ChunkConfig(3, context), within_chunk=within)
    assert got.shape == (1, 1, 7, 7) and got.dtype == torch.bool
    assert torch.equal(got[0, 0], want)
    assert all(
        reference_visible(q, k, 3, context, within) == bool(want[q, k])
        for q in range(7)
        for k in range(7)
    )


def test_causal_reference_without_left_limit_is_plain_causal():
    tril = torch.ones(7, 7, dtype=torch.bool).tril()
    for chunk in (1, 3, 7, 9):
        assert torch.equal(
            reference_mask(7, ChunkConfig(chunk, None), within_chunk="causal")[0, 0], tril
        )
    assert reference_mask(7, ChunkConfig(None, None), within_chunk="causal") is None


@pytest.mark.parametrize("call", [reference_mask, reference_visible])
def test_reference_rejects_an_unknown_variant(call):
    args = (7, ChunkConfig(3, 1)) if call is reference_mask else (0, 0, 3, 1)
    with pytest.raises(
        ValueError, match=r"within_chunk must be one of 'full', 'causal', got 'lower'"
    ):
        call(*args, within_chunk="lower")


def test_an_unknown_within_chunk_in_a_module_is_one_line_error(tmp_path: Path):
    path = tmp_path / "typo_variant.py"
    path.write_text(
        'WITHIN_CHUNK = "casual"\n\n\ndef create_dynamic_chunk_mask(seq_len, config, device=None):\n'
        "    return None\n"
    )
    with pytest.raises(TargetError) as caught:
        load_target(str(path))
    message = str(caught.value)
    assert "\n" not in message
    assert "typo_variant.py" in message and "WITHIN_CHUNK" in message and "'casual'" in message
    assert "'causal'" in message  # the allowed values are named
