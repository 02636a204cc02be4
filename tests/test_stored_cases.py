"""A shared database is a trust boundary: stored entries that do not fit their check's case schema
are set aside, never run, with one line saying so; the genuine failure beside them still counts.

The database is a real ``redis-server`` of the test's own on a loopback port (stopped by its own
pid; skipped where Debian's ``redis-server`` is not installed) or a directory database.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from chunkattn._internal.commands.cli import main
from chunkattn._internal.engine.database import (
    FAILURES_KEY,
    open_database,
    record_failure,
    stored_failures,
)
from chunkattn._internal.engine.seeds import load_seeds

sys.path.insert(0, str(Path(__file__).parent))
from _plugin_runs import run_properties  # noqa: E402  (imported at collection: see its docstring)

pytest_plugins = ["pytester"]

IMPLS = Path(__file__).parent / "impls"
CORRECT = IMPLS / "correct_numpy.py"
BUG = IMPLS / "campaign_odd_context_stride.py"
REDIS_SERVER = shutil.which("redis-server")

#: the failure BUG genuinely has, stored as any worker would store it
GENUINE = {"seq_len": 20, "chunk_size": 2, "context_chunks": 3}
#: what a stale client, a hand-made entry or a newer chunkattn may leave in a shared database
BAD_ENTRIES = [
    {"check": "mask.left_span", "target": "x", "case": {"seq_len": "abc", "chunk_size": 3, "context_chunks": 2}},
    {"check": "mask.matches_reference", "target": "x", "case": {"seq_len": 20000, "chunk_size": 3, "context_chunks": 2}},
    {"check": "mask.causality", "target": "x", "case": {"seq_len": 9, "chunk_size": 3, "context_chunks": 1, "stride": 2}},
    {"check": "mask.own_chunk", "target": "x", "case": {"seq_len": 9, "chunk_size": 3}},
    {"check": "mask.no_such_check", "target": "x", "case": {"seq_len": 9}},
]  # fmt: skip
NOT_JSON = b"\xff\x00 mask.left_span seq_len=abc"
SET_ASIDE = len(BAD_ENTRIES) + 1


@pytest.fixture(params=["redis", "directory"])
def poisoned(request, tmp_path, start_redis):
    """The URL of a database holding the bad entries beside one genuine failure."""
    url = str(tmp_path / "db") if request.param == "directory" else start_redis()
    database = open_database(url)
    for entry in BAD_ENTRIES:
        database.save(FAILURES_KEY, json.dumps(entry).encode())
    database.save(FAILURES_KEY, NOT_JSON)
    record_failure(database, "mask.left_span", str(BUG), GENUINE)
    return url


def _in_process(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    return (code, *capsys.readouterr())


def _set_aside_line(err: str) -> str:
    lines = [line for line in err.splitlines() if "set aside" in line]
    assert len(lines) == 1, err
    return lines[0]


def test_verify_sets_bad_entries_aside_and_replays_the_genuine_failure(
    poisoned, capsys, monkeypatch
):
    # every stored entry replayed as it is would fail the correct implementation (TypeError on
    # 'abc', KeyError on the missing field) and take minutes on seq_len 20000
    monkeypatch.setenv("COLUMNS", "200")
    code, out, err = _in_process(
        capsys, "verify", "--impl", str(CORRECT), "--db", poisoned, "--profile", "seeds",
        "-k", "mask.", "--json",
    )  # fmt: skip
    assert code == 0, out[-3000:] + err
    line = _set_aside_line(err)
    assert f"set aside {SET_ASIDE} stored entries in {poisoned}" in line
    report = json.loads(out)
    assert report["set_aside"]["count"] == SET_ASIDE
    assert report["set_aside"]["reason"] in line
    assert {c["status"] for c in report["checks"]} <= {"pass", "skip"}

    code, out, err = _in_process(
        capsys, "verify", "--impl", str(BUG), "--db", poisoned, "--profile", "seeds", "-k", "mask."
    )
    assert code == 1, out + err
    failed = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 1 and "mask.left_span" in failed[0], out
    assert "stored failure replayed from the database" in failed[0] and "'seq_len': 20" in failed[0]
    assert f"set aside {SET_ASIDE}" in _set_aside_line(err)


def test_seeds_export_leaves_bad_entries_out(poisoned, capsys, tmp_path):
    code, out, err = _in_process(capsys, "seeds", "export", "--db", poisoned)
    assert code == 0, err
    assert yaml.safe_load(out) == {"mask.left_span": [GENUINE]}
    assert f"left out {SET_ASIDE} stored entries" in err and len(err.strip().splitlines()) == 1

    found = tmp_path / "found.yaml"
    code, out, err = _in_process(capsys, "seeds", "export", "--db", poisoned, "--out", str(found))
    assert code == 0 and f"left out {SET_ASIDE}" in err, err
    assert load_seeds(found)["mask.left_span"][-1] == GENUINE
    assert yaml.safe_load(found.read_text()) == {"mask.left_span": [GENUINE]}


@pytest.mark.parametrize("poisoned", ["directory"], indirect=True)
def test_fuzz_and_the_plugin_set_bad_entries_aside(poisoned, tmp_path, pytester, monkeypatch):
    for name in [k for k in os.environ if k.startswith("CHUNKATTN_")]:
        monkeypatch.delenv(name)
    fuzz = subprocess.run(
        [
            sys.executable,
            "-m",
            "chunkattn._internal.commands.cli",
            "fuzz",
            "--impl",
            str(CORRECT),
            "--db",
            poisoned,
        ]
        + ["--workers", "1", "--max-time", "1", "-k", "mask.left_span"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert fuzz.returncode == 0, fuzz.stdout + fuzz.stderr
    assert "PASS  mask.left_span" in fuzz.stdout
    assert f"set aside {SET_ASIDE} stored entries" in _set_aside_line(fuzz.stderr)

    # the plugin, in a pytest run in this process
    plugin = run_properties(
        pytester, "--impl", str(CORRECT), "--chunkattn-db", poisoned, "--chunkattn-profile",
        "seeds", "-k", "left_span or own_chunk or causality",
    )  # fmt: skip
    out = plugin.stdout.str()
    assert plugin.ret == 0, out + plugin.stderr.str()[-2000:]
    assert "3 passed" in out
    assert f"set aside {SET_ASIDE} stored entries" in _set_aside_line(out)


def test_verify_reports_each_checks_seconds(capsys):
    started = time.monotonic()
    code, out, err = _in_process(
        capsys, "verify", "--profile", "precommit", "-k", "mask.[cs]*", "--json"
    )
    wall = time.monotonic() - started
    assert code == 0, err
    checks = {c["name"]: c for c in json.loads(out)["checks"]}
    assert set(checks) == {
        "mask.causality",
        "mask.caller_owns",
        "mask.shape_dtype",
        "mask.small_scope",
    }
    seconds = [c["seconds"] for c in checks.values()]
    assert all(isinstance(s, float) and s >= 0 for s in seconds)
    # an offloaded check runs in the helper process meanwhile: only the others add up here
    from chunkattn._internal.engine.helper import OFFLOADED

    here = [c["seconds"] for name, c in checks.items() if name not in OFFLOADED]
    assert 0 < sum(here) <= wall and max(seconds) <= wall
    assert checks["mask.small_scope"]["seconds"] > 0  # every small geometry: never instant

    code, out, err = _in_process(capsys, "verify", "--profile", "seeds", "-k", "mask.causality")
    assert re.search(r"^PASS\s+mask\.causality\s+\d+ examples\s+\d+\.\d\d s$", out, re.M), out


def test_a_case_that_would_be_set_aside_is_not_stored(tmp_path):
    """A counterexample pinned outside its check's bounds (a target's FIXED_GEOMETRY) stays
    Hypothesis's own entry: storing it would only have every reader set it aside."""
    database = open_database(str(tmp_path / "db"))
    pinned = {"seq_len": 9, "chunk_size": 1000, "context_chunks": 0}
    assert not record_failure(database, "mask.left_span", "wide_window", pinned)
    assert record_failure(database, "mask.left_span", "t", GENUINE)
    assert [e["case"] for e in stored_failures(database)] == [GENUINE]


def test_a_flood_of_valid_stored_cases_is_capped(tmp_path, capsys):
    """Thousands of cases that each fit their schema could still stall a run: a check replays
    the first MAX_REPLAYS distinct ones and the run says how many it left (export keeps them)."""
    from chunkattn._internal.engine.database import MAX_REPLAYS, stored_cases

    url = str(tmp_path / "db")
    database = open_database(url)
    extra = 5
    for seq_len in range(1, MAX_REPLAYS + extra + 1):
        case = {"seq_len": seq_len, "chunk_size": 2, "context_chunks": 1}
        record_failure(database, "mask.left_span", "elsewhere", case)
    assert len(stored_cases(database, "mask.left_span")) == MAX_REPLAYS
    code, out, err = _in_process(
        capsys, "verify", "--impl", str(CORRECT), "--db", url, "--profile", "seeds", "-k",
        "mask.left_span", "--json",
    )  # fmt: skip
    report = json.loads(out)
    assert code == 0 and report["set_aside"]["not_replayed"] == extra
    assert f"{extra} stored cases past the first {MAX_REPLAYS}" in err
    left_span = next(c for c in report["checks"] if c["name"] == "mask.left_span")
    shipped = len(load_seeds().get("mask.left_span", []))  # replayed first, as always
    assert left_span["examples"] == shipped + MAX_REPLAYS


def test_a_targets_own_stored_failure_is_replayed_past_the_cap(tmp_path):
    """Other targets' cases cannot crowd a target's own stored failure out of its replays."""
    from chunkattn._internal.engine.database import MAX_REPLAYS, stored_cases

    database = open_database(str(tmp_path / "db"))
    for seq_len in range(1, MAX_REPLAYS + 9):
        case = {"seq_len": seq_len, "chunk_size": 2, "context_chunks": 1}
        record_failure(database, "mask.left_span", "another", case)
    own = {"seq_len": 640, "chunk_size": 64, "context_chunks": 128}  # sorts last as JSON
    record_failure(database, "mask.left_span", "mine", own)
    assert own not in stored_cases(database, "mask.left_span")
    replayed = stored_cases(database, "mask.left_span", "mine")
    assert replayed[0] == own and len(replayed) == MAX_REPLAYS


def test_shrinking_stops_at_its_cap_and_says_so():
    """A failure is shrunk for at most ``shrink_calls`` calls after the first failing one (the
    survey's cap): the verdict is the uncapped run's, and the message says it was cut short."""
    from chunkattn.testing import CHECKS, CheckContext, load_target, profile_settings, run_check

    ctx = CheckContext(load_target(str(BUG)))
    check, profile = CHECKS["mask.left_span"], profile_settings("ci")
    full = run_check(check, ctx, profile)
    capped = run_check(check, ctx, profile, shrink_calls=2)
    assert full.status == capped.status == "fail"
    assert "cut short" not in full.message and full.examples > capped.examples
    assert capped.message.endswith("(shrinking cut short after 2 calls)")
