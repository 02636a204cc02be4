"""The training-health checks (docs/contract.md: The training side) have teeth: every catalogued training bug
(tests/models/train_bug_*.py) passes every forward and streaming check and is caught by the check
it names, through ``--model`` as a user would run it, by ``verify`` and ``doctor --model`` alike
(both naming the parameters); the healthy models (frozen on purpose, dropout, a training forward
of their own) pass everything."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import Phase, settings

from chunkattn._internal.commands.cli import main
from chunkattn._internal.contract.loader import load_config
from chunkattn.testing import (
    CHECKS,
    CheckContext,
    CheckFailure,
    load_target,
    profile_settings,
    run_check,
)

pytest_plugins = ["pytester"]

MODELS = Path(__file__).parent / "models"
BUGS = sorted(MODELS.glob("train_bug_*.py"))
HEALTHY = sorted(MODELS.glob("train_ok_*.py"))
TRAIN = [n for n, c in CHECKS.items() if "train" in c.needs]
FORWARD = [
    n
    for n, c in CHECKS.items()
    if {"model", "stream", "stream_state"} & set(c.needs) and "train" not in c.needs
]
#: the doctor's row for each check
ROWS = {
    "model.grad_finite": "backward finite",
    "model.grad_flow": "gradient flow",
    "model.overfits": "overfit one batch",
}


def _expected(path: Path) -> str:
    return re.search(r'EXPECTED_FAILURE = "([^"]+)"', path.read_text()).group(1)


def _run(path: Path, names: list[str]) -> dict:
    target = load_target(model=f"{path}:make_model", timeout=60)
    ctx = CheckContext(target, load_config())
    # a catalogued bug's counterexample need not be minimal here: no shrinking, less time
    profile = settings(profile_settings("precommit"), phases=(Phase.explicit, Phase.generate))
    return {n: run_check(CHECKS[n], ctx, profile) for n in names}


def _parameters(path: Path) -> list[str]:
    target = load_target(model=f"{path}:make_model", timeout=60)
    return [name for name, _ in target.model(0).module.named_parameters()]


def test_catalogue_covers_every_training_check():
    assert set(TRAIN) == set(ROWS)
    assert len(BUGS) >= 5 and len(HEALTHY) >= 3
    assert {_expected(p) for p in BUGS} == set(ROWS)


@pytest.mark.parametrize("path", BUGS, ids=lambda p: p.stem)
def test_training_bug_passes_forward_checks_and_is_caught(path: Path):
    expected = _expected(path)
    results = _run(path, FORWARD)
    flagged = {n: r.message for n, r in results.items() if r.status != "pass"}
    assert not flagged, f"{path.stem} fails forward-only checks, so it is not a training bug"
    assert "stream.equivalence" in results and "model.finite" in results
    if expected == "model.overfits":
        # one run of a few hundred steps (run_check would replay the failing one once more)
        target = load_target(model=f"{path}:make_model", timeout=60)
        with pytest.raises(CheckFailure) as caught:
            CHECKS[expected].run(CheckContext(target), {"seed": 0, "noise": 0, "chunks": 2})
        assert "not 10x lower" in str(caught.value) or "nothing to train" in str(caught.value)
        return
    result = _run(path, [expected])[expected]
    assert result.status == "fail", f"{expected} missed {path.stem}: {result.status}"
    named = [n for n in _parameters(path) if re.search(rf"\b{re.escape(n)}\b", result.message)]
    assert named, f"{expected} names no parameter: {result.message}"


@pytest.mark.parametrize("path", HEALTHY, ids=lambda p: p.stem)
def test_healthy_model_passes_everything(path: Path):
    results = _run(path, [*FORWARD, *TRAIN])
    flagged = {n: r.message for n, r in results.items() if r.status != "pass"}
    assert not flagged, f"{path.stem} wrongly flagged: {flagged}"


@pytest.mark.parametrize("path", [*BUGS, *HEALTHY], ids=lambda p: p.stem)
def test_doctor_model(path: Path, capsys, monkeypatch):
    """Exit 1 with the failing row and the parameters named on a bug, 0 on a healthy model."""
    monkeypatch.setenv("COLUMNS", "400")  # one table row a line, names unbroken
    # a bug that fails to overfit fails at any budget: half of it is enough here
    steps = [] if path in HEALTHY else ["--steps", "150"]
    code = main(["doctor", "--model", f"{path}:make_model", *steps])
    out = capsys.readouterr().out
    rows = {
        m.group(1).strip(): m.group(2)
        for m in re.finditer(r"^│ ([a-z ]+?)\s+│ (ok|FINDING)\s+│(.*)$", out, re.M)
    }
    assert set(rows) == {"forward finite", *ROWS.values()}, out
    if path in HEALTHY:
        assert code == 0 and set(rows.values()) == {"ok"} and "healthy" in out, out
        return
    row = ROWS[_expected(path)]
    assert code == 1 and rows[row] == "FINDING", out
    line = next(line for line in out.splitlines() if line.startswith(f"│ {row} "))
    if row != ROWS["model.overfits"]:
        assert any(re.search(rf"\b{re.escape(n)}\b", line) for n in _parameters(path)), line
    else:
        assert "NOT met" in line or "nothing trains" in line, line


@pytest.mark.parametrize(
    ("model", "code"),
    [("train_bug_unused_parameter.py", 1), ("train_ok_frozen.py", 0)],
)
def test_verify_model_runs_the_training_checks(model: str, code: int, capsys, tmp_path: Path):
    """verify runs both gradient checks on a model target and names the parameters that get no
    gradient. The cases are replayed (``--profile seeds``): that every catalogued training bug
    is found by exploration is ``test_training_bug_passes_forward_checks_and_is_caught``'s
    part; shrinking this bug's case (every input shows it) cost verify 100 backward passes."""
    seeds = tmp_path / "seeds.yaml"
    case = "{seed: 0, noise: 0, lengths: [3, 0]"
    seeds.write_text(
        f"model.grad_finite:\n  - {case}, pad: 2}}\nmodel.grad_flow:\n  - {case}, chunks: 2}}\n"
    )
    spec = f"{MODELS / model}:make_model"
    options = ["--profile", "seeds", "--seeds", str(seeds), "-k", "model.grad", "--json"]
    got = main(["verify", "--model", spec, *options])
    report = json.loads(capsys.readouterr().out)
    statuses = {c["name"]: c for c in report["checks"]}
    assert set(statuses) == {"model.grad_finite", "model.grad_flow"}
    assert got == code and {s["status"] for s in statuses.values()} <= {"pass", "fail"}
    if code:
        failed = statuses["model.grad_flow"]
        assert failed["status"] == "fail" and "aux_head_weight, aux_head_bias" in failed["message"]


BAD_TARGETS = {
    "module=object()": "module must be the torch.nn.Module whose parameters are trained",
    "module=torch.nn.Identity()": "has no parameters to train",
    "module=torch.nn.Linear(2, 2), train_forward=3": "train_forward must be a callable",
    "train_forward=lambda x, lengths: x": "train_forward needs module",
}


@pytest.mark.parametrize("extra", BAD_TARGETS, ids=lambda e: e.split("=")[0] + "_bad")
def test_bad_training_attributes_are_one_line_errors(extra: str, tmp_path: Path, capsys):
    path = tmp_path / "bad_model.py"
    path.write_text(
        "from types import SimpleNamespace\nimport torch\n\n\n"
        "def make_model(seed=0):\n"
        "    return SimpleNamespace(forward=lambda x, lengths: x, features=2, samples_per_patch=1,"
        f" chunk_size=1, context_chunks=None, depth=1, {extra})\n"
    )
    for command in (["doctor", "--model"], ["verify", "--model"]):
        assert main([*command, f"{path}:make_model"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and BAD_TARGETS[extra] in err, err
        assert "bad_model.py:make_model(seed=0)" in err


def test_doctor_model_needs_a_module_and_no_config(capsys):
    assert main(["doctor", "--model", f"{MODELS / 'correct_relative.py'}:make_model"]) == 2
    assert "exposes no module" in capsys.readouterr().err
    assert main(["doctor", "cfg.yaml", "--model", "m.py:make_model"]) == 2
    assert "not both" in capsys.readouterr().err


def test_plugin_collects_and_runs_the_training_checks(pytester: pytest.Pytester, monkeypatch):
    """``pytest --pyargs chunkattn.properties --model=...`` from a user's repository: the three
    checks are collected tests and run (a failing one is shown through verify above)."""
    for name in ("_common.py", "_trainable.py"):
        shutil.copy(MODELS / name, pytester.path / name)
    shutil.copy(MODELS / "train_ok_dropout.py", pytester.path / "my_model.py")
    for name in [k for k in os.environ if k.startswith("CHUNKATTN_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CHUNKATTN_PROFILE", "precommit")
    run = pytester.runpytest_inprocess(
        "--pyargs",
        "chunkattn.properties",
        "--model=my_model.py:make_model",
        "-p",
        "no:randomly",
        "-v",
        "-k",
        "grad_finite or grad_flow or overfits",
    )
    run.assert_outcomes(passed=3, deselected=len(CHECKS) - 3)
    for name in TRAIN:
        run.stdout.fnmatch_lines(
            [f"*test_{name.replace('.', '_')}[[]my_model.py:make_model[]] PASSED*"]
        )


def test_a_zero_initialised_gate_is_given_its_first_step():
    """LoRA's ``A`` has an exactly zero first gradient (``B`` starts at zero): named after one
    backward pass, it would be a false alarm on every LoRA fine-tune; after the settling steps
    it learns, while a parameter outside the graph (None) is still named at once."""
    from chunkattn._internal.checks.train import gradient_report

    model = load_target(model=f"{MODELS / 'train_ok_zero_init_gate.py'}:make_model").model(0)
    first = gradient_report(model, [0, 3, 8, 4], 8, settle_steps=0).norms
    lora_a = [name for name in first if name.endswith("lora_a")]
    assert lora_a and all(first[name] == 0.0 for name in lora_a)
    settled = gradient_report(model, [0, 3, 8, 4], 8).norms
    assert all(settled[name] > 0 for name in lora_a)
    unused = load_target(model=f"{MODELS / 'train_bug_unused_parameter.py'}:make_model").model(0)
    assert None in gradient_report(unused, [0, 3, 8, 4], 8).norms.values()


def test_a_parameter_used_on_some_batches_only_is_given_the_next():
    """A learned mask embedding that a training batch happens not to use has no gradient at
    all on that batch (seed 6 masks no row): the settling steps redraw the masking, and it
    learns; the verdict and the loss are the same every run, and the caller's global generator
    is left as it was although the module draws from it."""
    import torch

    from chunkattn._internal.checks.train import gradient_report

    path = MODELS / "train_ok_global_rng_masking.py"
    model = load_target(model=f"{path}:make_model").model(0)
    assert gradient_report(model, [0, 3, 8, 4], 8, seed=6, settle_steps=0).norms["mask_emb"] is None
    state = torch.random.get_rng_state()
    first = gradient_report(model, [0, 3, 8, 4], 8, seed=6)
    again = gradient_report(model, [0, 3, 8, 4], 8, seed=6)
    assert torch.equal(state, torch.random.get_rng_state())
    assert first.norms["mask_emb"] and first == again
