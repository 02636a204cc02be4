"""The model checks have teeth in mixed precision: every catalogued mixed-precision bug
(tests/models/amp_bug_*.py) passes every check in ``32-true`` and is caught, in the precision it
names (``EXPECTED_PRECISION``), by the check it names (``EXPECTED_FAILURE``), through ``--model``
as a user would run it; the correct mixed-precision models (amp_ok_*.py: a bool mask into SDPA,
``finfo(scores.dtype).min``, an additive mask in the compute dtype) pass every check in every
precision (docs/contract.md: Precision and device)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import Phase, settings

from chunkattn._internal.commands.cli import main
from chunkattn._internal.engine.precision import Precision
from chunkattn.testing import CHECKS, CheckContext, load_target, profile_settings, run_check

pytest_plugins = ["pytester"]

MODELS = Path(__file__).parent / "models"
BUGS = sorted(MODELS.glob("amp_bug_*.py"))
CORRECT = sorted(MODELS.glob("amp_ok_*.py"))
#: every check a model target with a module and a stream gets
MODEL_CHECKS = [n for n, c in CHECKS.items() if {"model", "stream", "stream_state"} & set(c.needs)]
TRACKER = re.compile(r"[\w.-]+/[\w.-]+#\d+")


def _declared(path: Path, name: str) -> str:
    return re.search(rf'{name} = "([^"]+)"', path.read_text()).group(1)


def _run(path: Path, names: list[str], precision: Precision) -> dict:
    target = load_target(model=f"{path}:make_model", timeout=60)
    ctx = CheckContext(target, precision=precision)
    # a catalogued bug's counterexample need not be minimal here: no shrinking, less time
    profile = settings(profile_settings("precommit"), phases=(Phase.explicit, Phase.generate))
    return {
        n: run_check(CHECKS[n], ctx, profile)
        for n in names
        if CHECKS[n].skip_reason(target) is None
    }


def test_catalogue_is_large_enough_and_cites_its_trackers():
    assert len(BUGS) >= 6 and len(CORRECT) >= 3
    precisions = {_declared(p, "EXPECTED_PRECISION") for p in BUGS}
    assert {"bf16-mixed", "16-mixed"} <= precisions
    for path in BUGS:
        assert _declared(path, "EXPECTED_FAILURE") in CHECKS, path.stem
        assert Precision(_declared(path, "EXPECTED_PRECISION")).reduced, path.stem
        doc = path.read_text().split('"""')[1]
        assert len(TRACKER.findall(doc)) >= 2, f"{path.stem} names no tracker"


@pytest.mark.parametrize("path", BUGS, ids=lambda p: p.stem)
def test_amp_bug_passes_in_32_true_and_is_caught_in_its_precision(path: Path):
    results = _run(path, MODEL_CHECKS, Precision.TRUE_32)
    flagged = {n: r.message for n, r in results.items() if r.status != "pass"}
    assert not flagged, f"{path.stem} fails in 32-true, so it is not a mixed-precision bug"
    assert "model.grad_finite" in results and "stream.equivalence" in results
    expected = _declared(path, "EXPECTED_FAILURE")
    precision = Precision(_declared(path, "EXPECTED_PRECISION"))
    result = _run(path, [expected], precision)[expected]
    assert result.status == "fail", f"{expected} [{precision}] missed {path.stem}"
    assert result.precision == str(precision) and result.counterexample is not None
    assert result.message and "\n" not in result.message


@pytest.mark.parametrize("precision", list(Precision), ids=str)
@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.stem)
def test_correct_amp_model_passes_in_every_precision(path: Path, precision: Precision):
    results = _run(path, MODEL_CHECKS, precision)
    flagged = {n: (r.counterexample, r.message) for n, r in results.items() if r.status != "pass"}
    assert not flagged, f"{path.stem} wrongly flagged in {precision}: {flagged}"
    assert {"model.chunk_causality", "model.overfits", "stream.equivalence"} <= set(results)


def test_verify_names_the_precision_of_each_result(capsys):
    """The must-show command: a healthy model passes in every precision (exit 0), each JSON
    result of a model check naming its precision; a bug fails only in its own."""
    healthy = f"{MODELS / 'amp_ok_finfo_min.py'}:make_model"
    args = ["--precision", "32-true,bf16-mixed,16-mixed", "--profile", "precommit", "--json"]
    assert main(["verify", "--model", healthy, "-k", "model.finite", *args]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(c["name"], c["precision"], c["status"]) for c in report["checks"]] == [
        ("model.finite", p, "pass") for p in ("32-true", "bf16-mixed", "16-mixed")
    ]
    bug = f"{MODELS / 'amp_bug_fill_float32_min.py'}:make_model"
    assert main(["verify", "--model", bug, "-k", "model.finite", *args[:-1]]) == 1
    lines = [line for line in capsys.readouterr().out.splitlines() if "model.finite" in line]
    assert [line.split()[0] for line in lines] == ["PASS", "FAIL", "FAIL"], lines
    assert "model.finite [bf16-mixed]" in lines[1] and "BFloat16 without overflow" in lines[1]


def test_a_declared_precision_is_the_default(capsys):
    """amp_ok_sdpa_bool declares precision=[32-true, bf16-mixed, 16-mixed]: verify runs them
    without --precision; a name that is not a precision is one line, exit 2."""
    spec = f"{MODELS / 'amp_ok_sdpa_bool.py'}:make_model"
    assert main(["verify", "--model", spec, "-k", "model.finite", "--json"]) == 0
    checks = json.loads(capsys.readouterr().out)["checks"]
    assert [c["precision"] for c in checks] == ["32-true", "bf16-mixed", "16-mixed"]
    assert main(["verify", "--model", spec, "--precision", "fp8"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "expected one of 32-true, bf16-mixed" in err


def test_doctor_runs_each_precision(capsys, monkeypatch):
    """doctor --model --precision: the tables once per precision; the additive-mask bug is
    healthy in 32-true and a finding in 16-mixed, naming the first non-finite gradient."""
    monkeypatch.setenv("COLUMNS", "400")
    spec = f"{MODELS / 'amp_bug_additive_mask_cast.py'}:make_model"
    code = main(["doctor", "--model", spec, "--precision", "32-true,16-mixed", "--steps", "60"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "gradient norm per parameter [32-true]" in out and "[16-mixed] (one backward" in out
    verdicts = re.findall(r"^(healthy|\d+ finding\(s\))$", out, re.M)
    assert verdicts == ["healthy", "1 finding(s)"], out
    assert "(first: embedding.0)" in out and "GradScaler skipped" in out


def test_an_error_under_a_precision_is_a_finding_of_the_doctor(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    spec = f"{MODELS / 'amp_bug_fill_minus_1e9.py'}:make_model"
    assert main(["doctor", "--model", spec, "--precision", "16-mixed", "--steps", "30"]) == 1
    out = capsys.readouterr().out
    assert "RuntimeError: value cannot be converted to type c10::Half without overflow" in out


def test_plugin_runs_a_model_check_once_per_precision(pytester: pytest.Pytester, monkeypatch):
    """``--chunkattn-precision``: one test per precision, ids ending with it; the bug's test
    fails only in the precision it breaks in."""
    for name in ("_common.py", "_trainable.py", "_amp.py", "amp_bug_fill_float32_min.py"):
        shutil.copy(MODELS / name, pytester.path / name)
    for name in [k for k in os.environ if k.startswith("CHUNKATTN_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CHUNKATTN_PROFILE", "precommit")
    run = pytester.runpytest_inprocess(
        "--pyargs",
        "chunkattn.properties",
        "--model=amp_bug_fill_float32_min.py:make_model",
        "--chunkattn-precision=32-true,bf16-mixed",
        "-p",
        "no:randomly",
        "-k",
        "model_finite",
        "-v",
    )
    out = run.stdout.str()
    assert re.search(
        r"test_model_finite\[amp_bug_fill_float32_min.py:make_model-32-true\] PASSED", out
    )
    assert re.search(
        r"test_model_finite\[amp_bug_fill_float32_min.py:make_model-bf16-mixed\] FAILED", out
    )
    run.assert_outcomes(passed=1, failed=1)


def test_doctor_reaches_past_the_exact_integers(capsys, monkeypatch):
    """Under a reduced precision the doctor adds the long-row causality row: the chunk-index
    bug is healthy in 32-true and a finding in bf16-mixed."""
    monkeypatch.setenv("COLUMNS", "400")
    spec = f"{MODELS / 'amp_bug_chunk_index_in_compute_dtype.py'}:make_model"
    code = main(["doctor", "--model", spec, "--precision", "32-true,bf16-mixed", "--steps", "60"])
    out = capsys.readouterr().out
    assert code == 1 and re.findall(r"^(healthy|\d+ finding\(s\))$", out, re.M) == [
        "healthy",
        "1 finding(s)",
    ], out
    row = next(line for line in out.splitlines() if line.startswith("│ long-row causality"))
    assert "FINDING" in row and "262 tokens" in row
