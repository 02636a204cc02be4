"""The plumbing every command and the plugin share: one Status, one set of exit codes, one
declaration per option, results (a lost database too) as data, and the hint on FAIL lines."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.database import InMemoryExampleDatabase

from chunkattn._internal.commands import cli
from chunkattn._internal.commands.report import result_line
from chunkattn._internal.engine import options as o
from chunkattn._internal.engine.database import DatabaseLost, GuardedDatabase
from chunkattn._internal.engine.results import CheckResult, ExitCode, Status
from chunkattn._internal.engine.runner import run_check, run_checks
from chunkattn.testing import CHECKS, CheckContext, builtin_targets, profile_settings

HERE = Path(__file__).parent
FLOAT_CEIL = HERE / "impls" / "bug_float_ceil.py"


def test_status_is_the_plain_word_in_json_and_comparisons():
    result = CheckResult("mask.left_span", "fail", 3, {"seq_len": 1}, "boom")
    assert result.status is Status.FAIL and result.status == "fail"
    assert json.loads(json.dumps(result.as_dict()))["status"] == "fail"
    assert type(result.as_dict()["status"]) is str and "lost" not in result.as_dict()
    assert f"{Status.SKIP}" == "skip" and Status.ERROR.upper() == "ERROR"
    assert [s.ok for s in Status] == [True, False, True, False]
    # a result read back from JSON (the helper process) is the same result
    assert CheckResult(**json.loads(json.dumps(result.as_dict()))) == result


def test_exit_codes_are_the_documented_numbers():
    assert (ExitCode.OK, ExitCode.FINDING, ExitCode.USAGE) == (0, 1, 2)
    assert ExitCode.of(True) is ExitCode.OK and ExitCode.of(False) is ExitCode.FINDING


def test_every_command_returns_an_exit_code(capsys):
    assert isinstance(cli.main(["mask", "--seq-len", "4", "--chunk-size", "2"]), ExitCode)
    assert cli.main(["verify", "--no-such-option"]) is ExitCode.USAGE
    assert cli.main(["seeds", "list"]) is ExitCode.OK


def test_fail_lines_end_with_the_hint_to_explain_the_check():
    failed = CheckResult("ceil.exact", Status.FAIL, 2, {"n": 1}, "off by one")
    assert result_line(failed).endswith("(run: chunkattn explain ceil.exact)")
    for status in (Status.PASS, Status.SKIP, Status.ERROR):
        assert "chunkattn explain" not in result_line(CheckResult("ceil.exact", status))


def test_verify_fail_lines_end_with_the_hint(capsys):
    code = cli.main(["verify", "--impl", str(FLOAT_CEIL), "--profile", "precommit", "-k", "ceil."])
    out = capsys.readouterr().out
    fails = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert code == ExitCode.FINDING and fails
    for line in fails:
        assert line.endswith(f"(run: chunkattn explain {line.split()[1]})"), line


def test_explain_is_a_subcommand_calling_the_explain_module(monkeypatch):
    from chunkattn._internal.commands import explain

    seen = []
    monkeypatch.setattr(explain, "main", lambda name, out: seen.append(name) or ExitCode.OK)
    assert cli.main(["explain", "mask.left_span"]) is ExitCode.OK
    assert seen == ["mask.left_span"]


def _declared(parser: argparse.ArgumentParser, command: str) -> dict[str, argparse.Action]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {a.dest: a for a in sub.choices[command]._actions}


def test_the_commands_share_one_declaration_of_each_option():
    parser = cli._build_parser()
    for command in ("verify", "fuzz", "survey", "doctor"):
        actions = _declared(parser, command)
        assert actions["timeout"].type is o.seconds
        assert actions["timeout"].help == o.TIMEOUT.help
    for command in ("verify", "fuzz"):
        actions = _declared(parser, command)
        for option in (o.IMPL, o.MODEL, o.DB):
            assert actions[option.dest].help == option.help
            assert actions[option.dest].option_strings == list(option.flags)


def test_the_plugin_declares_the_same_options(pytestconfig):
    for option in o.PLUGIN_OPTIONS:
        assert pytestconfig.getoption(option.pytest_dest, "missing") != "missing"
    names = {flag for option in o.PLUGIN_OPTIONS for flag in option.pytest_flags}
    assert names == {
        "--impl",
        "--chunkattn-impl",
        "--model",
        "--chunkattn-model",
        "--seeds",
        "--chunkattn-seeds",
        "--record-seeds",
        "--chunkattn-record-seeds",
        "--chunkattn-profile",
        "--chunkattn-timeout",
        "--chunkattn-db",
        "--chunkattn-precision",
        "--chunkattn-device",
    }


def test_an_option_default_comes_from_the_users_environment(monkeypatch):
    monkeypatch.setenv("CHUNKATTN_DB", "redis://db.example:6379/0")
    assert o.DB.resolved_default() == "redis://db.example:6379/0"
    monkeypatch.delenv("CHUNKATTN_DB")
    assert o.DB.resolved_default() is None and o.TIMEOUT.resolved_default() == 60.0


def test_the_plugin_writes_nothing_into_the_environment(tmp_path: Path):
    (tmp_path / "leakcheck.py").write_text(
        "import os\n\n"
        "def pytest_collection_finish(session):\n"
        "    leaked = sorted(k for k in os.environ if k.startswith('CHUNKATTN_'))\n"
        "    assert not leaked, leaked\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"]
        + ["-p", "leakcheck", "--pyargs", "chunkattn.properties", "-k", "ceil_exact"]
        + ["--chunkattn-profile=seeds"]
        + [f"--seeds={tmp_path / 'seeds.yaml'}", f"--chunkattn-db={tmp_path / 'db'}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("CHUNKATTN_")},
            "PYTHONPATH": str(tmp_path),
        },
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "passed" in run.stdout


class _Gone(InMemoryExampleDatabase):
    def fetch(self, key):
        raise ConnectionError("the server went away")


def test_a_lost_database_is_a_result_not_an_exception():
    ctx = CheckContext(builtin_targets()["chunkattn"])
    database = GuardedDatabase(_Gone(), "redis://gone:1/0")
    profile = settings(profile_settings("precommit"), database=database)
    try:
        result = run_check(CHECKS["mask.left_span"], ctx, profile)
    except DatabaseLost:  # pragma: no cover - the point of the test
        pytest.fail("run_check raised DatabaseLost")
    assert result.status is Status.ERROR and result.lost and "redis://gone:1/0" in result.lost
    outcome = run_checks([CHECKS["mask.left_span"], CHECKS["mask.causality"]], ctx, profile)
    assert outcome.results == [] and outcome.lost == result.lost
