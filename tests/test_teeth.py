"""The suite has teeth: every seeded bug is caught by the check it breaks, and no correct
implementation — however differently written — is ever flagged."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import Phase, settings

from chunkattn._internal.contract.loader import load_config
from chunkattn._internal.engine.seeds import load_seeds
from chunkattn.testing import (
    CHECKS,
    CheckContext,
    CheckResult,
    load_target,
    profile_settings,
    run_check,
)

PHASES = (Phase.explicit, Phase.reuse, Phase.generate)
IMPLS = Path(__file__).parent / "impls"
BUGS = sorted(IMPLS.glob("bug_*.py"))
CORRECT = sorted(IMPLS.glob("correct_*.py")) + [IMPLS / "_base.py"]


def _run_suite(path: Path, only: str | None = None) -> dict[str, CheckResult]:
    """Every check that applies to the target at ``path`` (or just ``only``), precommit profile,
    regression seeds first — what the pre-commit hook runs."""
    target = load_target(str(path))
    ctx = CheckContext(target, load_config())
    # a catalogued bug's counterexample need not be minimal here: no shrinking, less time
    profile = settings(profile_settings("precommit"), phases=PHASES)
    seeds = load_seeds()
    return {
        name: run_check(check, ctx, profile, seeds.get(name, []))
        for name, check in CHECKS.items()
        if check.skip_reason(target) is None and only in (None, name)
    }


def test_catalogue_is_large_enough():
    assert len(BUGS) >= 15
    assert len(CORRECT) >= 3


@pytest.mark.parametrize("path", BUGS, ids=lambda p: p.stem)
def test_seeded_bug_is_caught(path: Path):
    expected = re.search(r'EXPECTED_FAILURE = "([^"]+)"', path.read_text()).group(1)
    assert expected in CHECKS, f"{path.stem} names an unknown check {expected}"
    result = _run_suite(path, only=expected)[expected]
    if result.status != "fail":
        caught_by = sorted(n for n, r in _run_suite(path).items() if r.status != "pass")
        pytest.fail(
            f"{path.stem}: {expected} did not catch it ({result.status}); "
            + (f"only {caught_by} did" if caught_by else "it survived the whole suite")
        )
    assert result.counterexample is not None and result.message


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.stem)
def test_correct_implementation_passes(path: Path):
    results = _run_suite(path)
    flagged = {n: (r.counterexample, r.message) for n, r in results.items() if r.status != "pass"}
    assert not flagged, f"{path.stem} wrongly flagged: {flagged}"
