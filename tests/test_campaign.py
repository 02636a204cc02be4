"""Long campaigns against a real Redis: ``chunkattn fuzz``, ``--db``, ``seeds export``.

Each test starts its own ``redis-server`` on a free loopback port and stops it by its own pid.
Where Debian's ``redis-server`` is not installed (``.ci/run`` installs it), the tests skip with
that reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chunkattn._internal.commands.cli import main
from chunkattn._internal.engine.database import open_database, stored_failures

sys.path.insert(0, str(Path(__file__).parent))
from _plugin_runs import run_properties  # noqa: E402  (imported at collection: see its docstring)

pytest_plugins = ["pytester"]

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None,
    reason="redis-server is not installed (Debian package redis-server; .ci/run installs it)",
)
IMPLS = Path(__file__).parent / "impls"
CORRECT = IMPLS / "correct_numpy.py"
BUG = IMPLS / "campaign_odd_context_stride.py"  # found fast by exploring, missed by shipped seeds
DEEP = IMPLS / "campaign_deep_history_table.py"  # found only by a campaign's wide strategies


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_server(start_redis):
    """A fresh redis-server of this test's own: ``(url, process)``."""
    url = start_redis()
    return url, start_redis.processes[-1]


def _fuzz(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "chunkattn._internal.commands.cli", "fuzz", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )


def _in_process(capsys, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out + err


def test_two_campaigns_share_one_database_and_export_seeds(
    redis_server, tmp_path, capsys, monkeypatch
):
    """Two campaigns at once on one database (a buggy and a correct implementation) both finish
    with their verdicts; the next run replays what the first found; seeds export carries it to
    a machine with no database."""
    url, _ = redis_server
    common = ["--db", url, "-k", "mask.left_span"]
    buggy = _fuzz("--impl", str(BUG), *common, "--workers", "2", "--max-time", "120", cwd=tmp_path)
    # one worker is enough for the campaign that finds nothing (each worker imports torch)
    correct = _fuzz(
        "--impl", str(CORRECT), *common, "--workers", "1", "--max-time", "3", cwd=tmp_path
    )
    out, err = buggy.communicate(timeout=150)
    assert buggy.returncode == 1, out + err
    assert "FAIL  mask.left_span" in out and "counterexample" in out
    assert "Traceback" not in err
    out, err = correct.communicate(timeout=60)
    assert correct.returncode == 0, out + err
    assert "0 failed" in out and "PASS  mask.left_span" in out and "Traceback" not in err
    stored = stored_failures(open_database(url))
    assert stored and {e["target"] for e in stored} == {str(BUG)}

    # the next run that points at the database replays the failure before it explores
    code, text = _in_process(capsys, "verify", "--impl", str(BUG), "--db", url, "-k", "left_span")
    assert code == 1 and "stored failure replayed from the database" in text, text
    code, text = _in_process(capsys, "verify", "--impl", str(CORRECT), "--db", url, "-k", "mask.")
    assert code == 0, text

    found = tmp_path / "found.yaml"
    code, text = _in_process(capsys, "seeds", "export", "--db", url, "--out", str(found))
    assert code == 0 and "mask.left_span" in found.read_text(), text

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    monkeypatch.chdir(fresh)  # an empty local database: only the exported seeds can find it
    replay = ["--seeds", str(found), "--profile", "seeds", "-k", "mask."]
    code, text = _in_process(capsys, "verify", "--impl", str(BUG), *replay)
    assert code == 1 and "regression seed failed" in text, text
    code, text = _in_process(capsys, "verify", "--impl", str(CORRECT), *replay)
    assert code == 0, text


def test_database_that_goes_away_is_one_clear_error(redis_server, tmp_path):
    url, server = redis_server
    run = _fuzz(
        "--impl", str(CORRECT), "--db", url, "--workers", "1", "--max-time", "60",
        "-k", "mask.causality", cwd=tmp_path,
    )  # fmt: skip
    assert run.stdout.readline().startswith("fuzz: ")  # the campaign has started
    time.sleep(2)  # the worker is exploring
    server.kill()
    server.wait(10)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 2, out + err
    assert f"example database {url}" in err and "the campaign stopped" in err
    assert "Traceback" not in err


def test_plugin_replays_the_shared_database(redis_server, capsys, pytester, monkeypatch):
    for name in [k for k in os.environ if k.startswith("CHUNKATTN_")]:
        monkeypatch.delenv(name)
    url, _ = redis_server
    code, text = _in_process(capsys, "fuzz", "--db", "http://example.org")
    assert code == 2 and "--db http://example.org: expected redis://" in text
    port = free_port()
    code, text = _in_process(capsys, "verify", "--db", f"redis://127.0.0.1:{port}/0")
    assert code == 2 and "cannot connect" in text and len(text.strip().splitlines()) == 1

    from chunkattn._internal.engine.database import record_failure

    case = {"seq_len": 20, "chunk_size": 2, "context_chunks": 3}
    record_failure(open_database(url), "mask.left_span", "elsewhere", case)
    # the plugin, in a pytest run in this process
    pytest_run = run_properties(
        pytester, "--impl", str(BUG), "--chunkattn-db", url, "--chunkattn-profile", "seeds",
        "-k", "left_span or own_chunk",
    )  # fmt: skip
    out = pytest_run.stdout.str()
    assert pytest_run.ret == 1, out + pytest_run.stderr.str()[-2000:]
    assert "1 failed, 1 passed" in out, out


@pytest.mark.parametrize("profile", ["ci", "seeds"])
def test_campaign_bugs_hide_from_a_pytest_run(profile, capsys):
    """The deep-history bug hides from a ``ci`` run and the shipped seeds (the benchmark shows a
    campaign finding it within two minutes); the odd-stride one from the shipped seeds."""
    for bug in [DEEP] + ([BUG] if profile == "seeds" else []):
        code, text = _in_process(capsys, "verify", "--impl", str(bug), "--profile", profile)
        assert code == 0, text
