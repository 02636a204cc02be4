"""The suite's GPU tests (docs/contract.md: Precision and device): the model checks on a CUDA
device, in every precision. They run where CUDA is present (``pytest -m gpu tests/test_gpu.py``)
and are skipped with the reason everywhere else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from hypothesis import Phase, settings

from chunkattn._internal.commands.cli import main
from chunkattn._internal.engine.precision import ALL, Precision
from chunkattn.testing import CHECKS, CheckContext, load_target, profile_settings, run_check

MODELS = Path(__file__).parent / "models"
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device; none here"),
]
MODEL_CHECKS = [n for n, c in CHECKS.items() if {"model", "stream", "stream_state"} & set(c.needs)]


def _run(path: Path, precision: Precision, names=MODEL_CHECKS) -> dict:
    target = load_target(model=f"{path}:make_model", timeout=120, device="cuda")
    ctx = CheckContext(target, precision=precision)
    profile = settings(profile_settings("precommit"), phases=(Phase.explicit, Phase.generate))
    return {
        n: run_check(CHECKS[n], ctx, profile)
        for n in names
        if CHECKS[n].skip_reason(target) is None
    }


@pytest.mark.parametrize("precision", list(Precision), ids=str)
@pytest.mark.parametrize("path", sorted(MODELS.glob("amp_ok_*.py")), ids=lambda p: p.stem)
def test_correct_models_pass_on_cuda(path: Path, precision: Precision):
    results = _run(path, precision)
    flagged = {n: r.message for n, r in results.items() if r.status != "pass"}
    assert not flagged, f"{path.stem} on cuda in {precision}: {flagged}"


@pytest.mark.parametrize("path", sorted(MODELS.glob("amp_bug_*.py")), ids=lambda p: p.stem)
def test_bugs_are_caught_on_cuda(path: Path):
    text = path.read_text()
    expected = text.split('EXPECTED_FAILURE = "')[1].split('"')[0]
    precision = Precision(text.split('EXPECTED_PRECISION = "')[1].split('"')[0])
    assert _run(path, precision, [expected])[expected].status == "fail"


def test_verify_on_cuda(capsys):
    spec = f"{MODELS / 'amp_ok_sdpa_bool.py'}:make_model"
    code = main(["verify", "--model", spec, "--device", "cuda", "--precision", "all", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    assert {c["precision"] for c in report["checks"] if "precision" in c} == {str(p) for p in ALL}


def test_the_model_and_its_inputs_are_on_the_device():
    from chunkattn._internal.checks.model import build_placed

    target = load_target(model=f"{MODELS / 'amp_ok_sdpa_bool.py'}:make_model", device="cuda")
    model = build_placed(target.model, 0, Precision.BF16_MIXED, "cuda")
    assert next(model.module.parameters()).device.type == "cuda"
    # the checks build inputs on the CPU from their seeded generators; the model gets them there
    y = model.forward(torch.randn(1, 8, model.features), torch.tensor([8]))
    assert y.device.type == "cuda" and y.dtype == torch.bfloat16
