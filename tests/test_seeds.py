"""A bug found once stays found: regression seeds are replayed with no random exploration."""

from __future__ import annotations

import math
import os
import re
import sys
from pathlib import Path

import pytest
import yaml

from chunkattn._internal.commands.cli import main
from chunkattn._internal.contract.reference import reference_context_chunks

sys.path.insert(0, str(Path(__file__).parent))
from _plugin_runs import run_properties  # noqa: E402  (imported at collection: see its docstring)

pytest_plugins = ["pytester"]

IMPLS = Path(__file__).parent / "impls"
RECORDED_ONLY = IMPLS / "recorded_only.py"


@pytest.fixture
def cli(capsys):
    """``chunkattn ARGS`` in-process: (exit status, stdout, stderr)."""

    def call(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        return (code, *capsys.readouterr())

    return call


def test_seeds_add_then_replay_without_exploration(tmp_path: Path, cli, pytester, monkeypatch):
    for name in [k for k in os.environ if k.startswith("CHUNKATTN_")]:
        monkeypatch.delenv(name)
    seeds = tmp_path / "seeds.yaml"
    base = [
        "verify",
        "--impl",
        str(RECORDED_ONLY),
        "--profile",
        "seeds",
        "-k",
        "mask.",
    ]
    assert cli(*base, "--seeds", str(seeds))[0] == 0  # nothing recorded yet: not found
    code, out, _ = cli(
        "seeds",
        "add",
        "mask.matches_reference",
        "seq_len=21",
        "chunk_size=5",
        "context_chunks=2",
        "--file",
        str(seeds),
    )
    assert code == 0 and "added" in out
    assert yaml.safe_load(seeds.read_text()) == {
        "mask.matches_reference": [{"seq_len": 21, "chunk_size": 5, "context_chunks": 2}]
    }
    code, out, _ = cli(*base, "--seeds", str(seeds))
    assert code == 1
    assert "regression seed failed" in out and "'seq_len': 21" in out
    # under xdist (one worker runs every test): --impl, --seeds and the profile must reach it,
    # or this passes (pytest runs in this process; its xdist worker is a new one)
    replay = run_properties(
        pytester,
        "-n",
        "1",
        "-k",
        "test_mask_",
        f"--impl={RECORDED_ONLY}",
        f"--seeds={seeds}",
        "--chunkattn-profile=seeds",
    )
    out = replay.stdout.str()
    assert replay.ret == 1, out
    assert re.search(r"FAILED .*test_checks.py::test_mask_matches_reference", out), out
    assert "1 failed, 8 passed" in out


def test_record_seeds_stores_the_shrunk_counterexample(tmp_path: Path, pytester, monkeypatch):
    """``--record-seeds``: the plugin writes the shrunk failing case to the seeds file (a pytest
    run in this process: the plugin is the installed one, with no conftest of this repo's)."""
    seeds = tmp_path / "recorded.yaml"
    for name in [k for k in os.environ if k.startswith("CHUNKATTN_")]:
        monkeypatch.delenv(name)
    result = run_properties(
        pytester,
        "-k",
        "test_ceil_exact",
        f"--impl={IMPLS / 'bug_float_ceil.py'}",
        f"--seeds={seeds}",
        "--record-seeds",
    )
    assert result.ret == 1, result.stdout.str()
    recorded = yaml.safe_load(seeds.read_text())["ceil.exact"]
    assert len(recorded) == 1
    case = recorded[0]
    exact = reference_context_chunks(
        case["context_sec"], case["timestep_duration_sec"], case["chunk_size"]
    )
    assert (
        math.ceil(case["context_sec"] / case["timestep_duration_sec"] / case["chunk_size"]) != exact
    )


def test_bad_seed_files_are_one_line_errors(tmp_path: Path, cli):
    bad = tmp_path / "bad.yaml"
    bad.write_text("ceil.exactt:\n  - {context_sec: 1}\n")
    code, _, err = cli("verify", "--seeds", str(bad))
    assert code == 2
    assert (
        err.strip()
        == f"chunkattn: error: {bad}: ceil.exactt: unknown check; did you mean ceil.exact?"
    )


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("{seq_len: abc, chunk_size: 3, context_chunks: 2}", "seq_len: expected an integer"),
        ("{seq_len: 20000, chunk_size: 3, context_chunks: 2}", "seq_len: expected an integer"),
        ("{seq_len: 9, chunk_size: 3}", "missing field 'context_chunks'"),
        ("{seq_len: 9, chunk_size: 3, context_chunks: 1, stride: 2}", "unknown field 'stride'"),
    ],
)
def test_seed_that_does_not_fit_its_check_is_one_line_error(tmp_path: Path, cli, case, reason):
    bad = tmp_path / "seeds.yaml"
    bad.write_text(
        f"mask.left_span:\n  - {{seq_len: 7, chunk_size: 3, context_chunks: 0}}\n  - {case}\n"
    )
    code, out, err = cli("verify", "--seeds", str(bad), "-k", "mask.left_span")
    assert code == 2 and not out
    assert err.startswith(f"chunkattn: error: {bad}: mask.left_span: case 2: {reason}"), err
    assert len(err.strip().splitlines()) == 1


def test_seed_that_does_not_fit_is_a_pytest_usage_error(tmp_path: Path, pytester):
    bad = tmp_path / "seeds.yaml"
    bad.write_text("mask.left_span:\n  - {seq_len: 20000, chunk_size: 3, context_chunks: 2}\n")
    result = run_properties(pytester, f"--seeds={bad}", "-k", "left_span")
    err = result.stderr.str()
    assert result.ret == 4, result.stdout.str() + err
    assert f"{bad}: mask.left_span: case 1: seq_len: expected an integer in [1, 640]" in err
    assert "Traceback" not in err
