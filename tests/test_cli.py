"""The command line as a user meets it: exit codes, one-line errors, the JSON report."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from chunkattn._internal.commands.cli import main
from chunkattn._internal.engine.seeds import load_seeds
from chunkattn.testing import CHECKS

HERE = Path(__file__).parent
UPSTREAM = HERE / "configs" / "upstream_style_config.yaml"
FLOAT_CEIL = HERE / "impls" / "bug_float_ceil.py"


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def chunkattn(capsys):
    """The command in-process (a subprocess per call would spend seconds importing torch);
    ``test_console_script_*`` runs the installed entry point for real."""

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


def test_verify_default_passes_the_mask_checks(chunkattn):
    run = chunkattn("verify", "--profile", "precommit", "-k", "mask.")
    assert run.returncode == 0, run.stdout + run.stderr
    lines = [line for line in run.stdout.splitlines() if line.startswith(("PASS", "FAIL"))]
    assert len(lines) == 10 and all(line.startswith("PASS") for line in lines)
    assert "left context per layer: 10 chunks = 40 tokens = 3.2 s" in run.stdout


def test_verify_prints_one_line_per_check(chunkattn):
    """Replaying seeds only: every check reports; those with no seeds say so instead of passing."""
    run = chunkattn("verify", "--profile", "seeds")
    assert run.returncode == 0, run.stdout + run.stderr
    status = {}
    for line in run.stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word in ("PASS", "FAIL", "SKIP", "ERROR"):
            status[rest.split()[0]] = word
    assert sorted(status) == sorted(CHECKS)
    seeded = load_seeds()
    for name, word in status.items():
        assert word == ("PASS" if seeded.get(name) else "SKIP"), (name, word)


def test_verify_on_upstream_layout_config(chunkattn):
    run = chunkattn("verify", str(UPSTREAM), "--profile", "precommit", "-k", "config.")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "model.transformer.chunked_attention" in run.stdout
    assert "whole stack (depth 5)" in run.stdout


def test_verify_float_ceil_names_check_and_counterexample(chunkattn):
    run = chunkattn(
        "verify", "--impl", str(FLOAT_CEIL), "--profile", "precommit", "--json", "-k", "ceil."
    )
    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    assert report["ok"] is False and report["target"] == str(FLOAT_CEIL)
    failed = {c["name"]: c for c in report["checks"] if c["status"] == "fail"}
    assert "ceil.exact" in failed
    example = failed["ceil.exact"]["counterexample"]
    assert example == {"context_sec": 0.56, "timestep_duration_sec": 0.08, "chunk_size": 1}
    assert "gave 8, exact is 7" in failed["ceil.exact"]["message"]
    assert {c["status"] for c in report["checks"]} <= {"pass", "fail", "skip", "error"}


BLOCK = """chunked_attention:
  chunk_size_min: 1
  chunk_size_max: {chunk_max}
  context_sec_min: 3
  context_sec_max: 20
  timestep_duration_sec: 0.08
  chunkwise_prob: {prob}
  eval: {{chunk_size: 4, context_sec: 3.2}}
"""


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (BLOCK.format(chunk_max=".inf", prob=1.0), "chunked_attention.chunk_size_max"),
        (BLOCK.format(chunk_max=20, prob=1.5), "chunked_attention.chunkwise_prob"),
        (
            BLOCK.format(chunk_max=20, prob=1.0).replace("chunk_size_min", "chunk_size_mn"),
            "chunk_size_mn",
        ),
        (
            BLOCK.format(chunk_max=20, prob=1.0).replace("  timestep_duration_sec: 0.08\n", ""),
            "timestep_duration_sec",
        ),
        ("chunked_attention: [1, 2\n", None),
    ],
    ids=["infinite", "probability", "typo", "missing", "not-yaml"],
)
def test_bad_config_is_one_line_exit_2(chunkattn, tmp_path: Path, text: str, key: str | None):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    for command in (["verify", str(path)], ["doctor", str(path)]):
        run = chunkattn(*command)
        assert run.returncode == 2, run.stdout + run.stderr
        assert run.stdout == ""
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in run.stderr
        assert str(path) in lines[0]
        if key:
            assert key in lines[0]
    if key == "chunk_size_mn":
        assert "did you mean chunk_size_min" in lines[0]


def test_missing_file_and_bad_impl_are_usage_errors(chunkattn, tmp_path: Path):
    missing = chunkattn("verify", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "nope.yaml: no such file" in missing.stderr
    lacking = tmp_path / "half.py"
    lacking.write_text("class ChunkConfig: pass\n")
    bad = chunkattn("verify", "--impl", str(lacking))
    assert bad.returncode == 2
    assert "half.py: exposes nothing checkable" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_mask_picture_and_bad_arguments(chunkattn):
    run = chunkattn("mask", "--seq-len", "6", "--chunk-size", "2", "--context-chunks", "0")
    assert run.returncode == 0
    rows = [r for r in run.stdout.splitlines()[1:] if r]
    assert rows == ["██ ·· ··"] * 2 + ["·· ██ ··"] * 2 + ["·· ·· ██"] * 2
    for bad in (["--chunk-size", "0"], ["--chunk-size", "2", "--context-chunks", "-1"]):
        run = chunkattn("mask", "--seq-len", "6", *bad)
        assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1


def test_console_script_bad_config_is_one_line_exit_2(tmp_path: Path):
    """The installed ``chunkattn`` entry point itself: exit 2, one line, no traceback."""
    script = Path(sys.executable).with_name("chunkattn")
    path = tmp_path / "bad.yaml"
    path.write_text(BLOCK.format(chunk_max=".inf", prob=1.0))
    run = subprocess.run(
        [str(script), "verify", str(path)], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.strip().splitlines() == [
        f"chunkattn: error: {path}: chunked_attention.chunk_size_max: must be a finite integer "
        ">= 1, got inf"
    ]


MODELS = HERE / "models"


def test_verify_model_reports_claims_and_the_measured_dependencies(chunkattn):
    run = chunkattn(
        "verify",
        "--model",
        f"{MODELS / 'correct_relative.py'}:make_model",
        "--profile",
        "precommit",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    for name in (
        "model.chunk_causality",
        "model.lookahead",
        "stream.equivalence",
        "stream.bounded_state",
    ):
        assert re.search(rf"PASS\s+{re.escape(name)}\s", run.stdout), name
    skip_lines = [line for line in run.stdout.splitlines() if line.startswith("SKIP")]
    assert len(skip_lines) <= 2, skip_lines
    assert re.search(r"SKIP\s+\d+ checks mask\.\*.*is a model target: no seed API", run.stdout)
    assert (
        not re.search(r"= [\d.]+ s\b", run.stdout)
        and "no timestep_sec declared: sizes in tokens" in run.stdout
    )
    assert "left receptive field" in run.stdout and "promised  measured" in run.stdout
    assert "✗" not in run.stdout.split("promised  measured")[1]


def test_verify_model_bug_fails_with_the_check_and_a_marked_matrix(chunkattn):
    model = f"{MODELS / 'bug_context_too_wide.py'}:make_model"
    run = chunkattn("verify", "--model", model, "--profile", "precommit", "--json")
    report = json.loads(run.stdout)
    assert run.returncode == 1 and not report["ok"]
    failed = {c["name"]: c for c in report["checks"] if c["status"] == "fail"}
    assert "model.receptive_field" in failed and failed["model.receptive_field"]["counterexample"]
    dependency = report["model"]["dependency"]
    assert dependency["measured"] != dependency["promised"]
    text = chunkattn("verify", "--model", model, "--profile", "precommit", "-k", "model.receptive")
    assert "✗" in text.stdout.split("promised  measured")[1]
    assert "FAIL  model.receptive_field" in text.stdout


def test_verify_prints_each_check_as_it_finishes(tmp_path: Path):
    """A long run is never silent: a check's line is on stdout (a pipe, not a terminal) while a
    later check is still running. The target's stream blocks its first ``feed`` until the test
    has read the first model check's line (and fails the stream check if that never happens), so
    a verify that printed only at the end could not pass."""
    gate = tmp_path / "gate"
    target = tmp_path / "gated.py"
    window = HERE / "models" / "correct_window.py"
    target.write_text(
        f"""import importlib.util, time
from pathlib import Path

spec = importlib.util.spec_from_file_location("window", {str(window)!r})
window = importlib.util.module_from_spec(spec)
spec.loader.exec_module(window)


class Gated:
    def __init__(self, stream):
        self.stream = stream
        self.flush, self.state_size = stream.flush, stream.state_size

    def feed(self, frames):
        deadline = time.monotonic() + 60
        while not Path({str(gate)!r}).exists():
            if time.monotonic() > deadline:
                raise RuntimeError("nobody read the earlier checks' lines")
            time.sleep(0.05)
        return self.stream.feed(frames)


def make_model(seed: int = 0):
    model = window.make_model(seed)
    new_stream = model.stream
    model.stream = lambda: Gated(new_stream())
    return model
"""
    )
    command = [sys.executable, "-m", "chunkattn", "verify", "--profile", "precommit"]
    process = subprocess.Popen(
        [*command, "--model", f"{target}:make_model", "-k", "*.[cef]*"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        seen = []
        for line in process.stdout:  # until the gate opens, only streamed lines can arrive
            seen.append(line)
            if line.startswith("PASS  model.chunk_causality"):
                break
        assert seen[0].startswith("target: ") and seen[-1].startswith("PASS  model.chunk_c"), seen
        gate.touch()
        rest = process.stdout.read()
        assert process.wait(timeout=120) == 0, rest
    finally:
        gate.touch()
        process.kill()
    assert "PASS  stream.equivalence" in rest and "3 passed, 0 failed" in rest, rest


def test_grouped_skip_lines_keep_each_precision_label(chunkattn):
    """The grouped SKIP line of a model target names every skipped run with its precision
    (a label's "[bf16-mixed]" is text, not console markup)."""
    model = f"{HERE / 'models' / 'correct_window.py'}:make_model"
    run = chunkattn("verify", "--model", model, "--precision", "all", "-k", "model.grad_f")
    assert run.returncode == 0, run.stdout + run.stderr
    (line,) = [line for line in run.stdout.splitlines() if "model checks" in line]
    for precision in ("32-true", "bf16-mixed", "16-mixed"):
        assert f"model.grad_finite [{precision}]" in line, line
