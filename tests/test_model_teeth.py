"""The model checks have teeth: every catalogued model bug (tests/models/bug_*.py) is caught by
the check it names, run through ``--model`` as a user would, and no correct model (written in
four styles) is ever flagged."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import Phase, settings

from chunkattn._internal.commands.report import model_claims
from chunkattn._internal.contract.loader import load_config
from chunkattn.testing import CHECKS, CheckContext, load_target, profile_settings, run_check

PHASES = (Phase.explicit, Phase.reuse, Phase.generate)
MODELS = Path(__file__).parent / "models"
BUGS = sorted(MODELS.glob("bug_*.py"))
CORRECT = sorted(MODELS.glob("correct_*.py"))
MODEL_CHECKS = [n for n, c in CHECKS.items() if {"model", "stream", "stream_state"} & set(c.needs)]


def _run(path: Path, names: list[str]) -> dict:
    target = load_target(model=f"{path}:make_model", timeout=60)
    ctx = CheckContext(target, load_config())
    # a catalogued bug's counterexample need not be minimal here: no shrinking, less time
    profile = settings(profile_settings("precommit"), phases=PHASES)
    return {
        name: run_check(CHECKS[name], ctx, profile)
        for name in names
        if CHECKS[name].skip_reason(target) is None
    }


def test_catalogue_is_large_enough():
    assert len(BUGS) >= 10 and len(CORRECT) >= 2
    conformer_bugs = [p for p in BUGS if "_conformer_" in p.name]
    conformers = [p for p in CORRECT if "_conformer_" in p.name]
    assert len(conformer_bugs) >= 8 and len(conformers) >= 3
    assert all(c.stem for c in CORRECT if "absolute" in c.stem)


@pytest.mark.parametrize("path", BUGS, ids=lambda p: p.stem)
def test_model_bug_is_caught(path: Path):
    expected = re.search(r'EXPECTED_FAILURE = "([^"]+)"', path.read_text()).group(1)
    assert expected in CHECKS, f"{path.stem} names an unknown check {expected}"
    result = _run(path, [expected]).get(expected)
    assert result is not None, f"{expected} does not apply to {path.stem}"
    if result.status != "fail":
        others = {n: r.status for n, r in _run(path, MODEL_CHECKS).items() if r.status != "pass"}
        pytest.fail(f"{path.stem}: {expected} did not catch it ({result.status}); others: {others}")
    assert result.counterexample is not None and result.message


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.stem)
def test_correct_model_passes(path: Path):
    results = _run(path, MODEL_CHECKS)
    flagged = {n: (r.counterexample, r.message) for n, r in results.items() if r.status != "pass"}
    assert not flagged, f"{path.stem} wrongly flagged: {flagged}"
    assert "model.lookahead" in results and "stream.equivalence" in results
    claims = model_claims(load_target(model=f"{path}:make_model").model(0))
    assert claims.error is None and claims.measured == claims.promised, (
        f"{path.stem}: measured chunk dependencies {claims.measured} are not the promised "
        f"{claims.promised}"
    )
