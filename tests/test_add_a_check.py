"""Adding a check is one function in one new file, with nothing else edited (docs/contributing.md,
"Add a check"): it is then a check of ``chunkattn verify``, a test of the pytest plugin, a schema
of the database screening and a page of ``chunkattn explain``.

The new file goes into a copy of the installed package (this checkout's stays as it is, for the
other tests running beside this one), put first on ``PYTHONPATH``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "chunkattn"

NEW_CHECK = '''
"""A check added from one new file."""

from chunkattn._internal.engine.cases import mask_geometry
from chunkattn._internal.engine.registry import CheckContext, fail, register


@register("mask.sees_itself", mask_geometry(campaign=False))
def mask_sees_itself(ctx: CheckContext, case: dict) -> None:
    """Every query sees its own key.

    ## What it asserts
    The diagonal of the mask is True: a token attends to itself in every geometry.
    """
    mask = ctx.target.create_dynamic_chunk_mask(
        case["seq_len"],
        ctx.target.ChunkConfig(chunk_size=case["chunk_size"], context_chunks=case["context_chunks"]),
    )
    if mask is not None and not bool(mask[0, 0].diagonal().all()):
        fail("a query does not see itself")
'''


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("package")
    shutil.copytree(SRC, root / "chunkattn", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "chunkattn" / "_internal" / "checks" / "sees_itself.py").write_text(NEW_CHECK)
    return root


def _run(copy: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHUNKATTN_", "PYTEST_"))}
    env.update(PYTHONPATH=str(copy), CHUNKATTN_PROFILE="precommit")
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd or copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_plugin_collects_it(copy: Path, tmp_path: Path):
    run = _run(
        copy, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider",
        "-v", "--pyargs", "chunkattn.properties", "-k", "sees_itself", cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "test_mask_sees_itself[chunkattn] PASSED" in run.stdout, run.stdout


def test_verify_the_database_and_explain_know_it(copy: Path, tmp_path: Path):
    """One process of the copy (each costs a torch import): verify runs the check, the database
    screens a stored case against its schema, and explain prints its page."""
    script = textwrap.dedent(
        f"""
        import contextlib, io, json
        from chunkattn._internal.commands.cli import main
        from chunkattn._internal.engine.database import (
            FAILURES_KEY, open_database, record_failure, screen_failures,
        )

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            verify = main(["verify", "-k", "mask.sees_itself", "--json"])
        [result] = [c for c in json.loads(out.getvalue())["checks"] if c["name"] == "mask.sees_itself"]

        db = open_database({str(tmp_path / "db")!r})
        fits = {{"seq_len": 3, "chunk_size": 1, "context_chunks": 0}}
        recorded = record_failure(db, "mask.sees_itself", "t", fits)
        # what a stale or hostile client could write: record_failure itself refuses it
        too_long = {{**fits, "seq_len": 10**6}}
        refused = not record_failure(db, "mask.sees_itself", "t", too_long)
        entry = {{"check": "mask.sees_itself", "target": "t", "case": too_long}}
        db.save(FAILURES_KEY, json.dumps(entry).encode())
        screened = screen_failures(db)

        page = io.StringIO()
        with contextlib.redirect_stdout(page):
            explain = main(["explain", "mask.sees_itself"])
        print(json.dumps(dict(
            verify=int(verify), result=result, recorded=recorded, refused=refused,
            kept=len(screened.entries), set_aside=screened.set_aside, reason=screened.reason,
            explain=int(explain), page=page.getvalue(),
        )))
        """
    )
    run = _run(copy, "-c", script)
    assert run.returncode == 0, run.stdout + run.stderr
    got = json.loads(run.stdout.splitlines()[-1])
    # verify: the new check ran and passed on chunkattn's own mask
    assert (
        got["verify"] == 0 and got["result"]["status"] == "pass" and got["result"]["examples"] > 0
    )
    # the database: the fitting case kept, the one past the schema's bound set aside, with why
    assert got["recorded"] and got["refused"] and (got["kept"], got["set_aside"]) == (1, 1)
    assert "mask.sees_itself" in got["reason"] and "seq_len" in got["reason"]
    # explain: the page, from the docstring and the declaration
    page = got["page"]
    assert got["explain"] == 0 and page.startswith(
        "# mask.sees_itself\n\nEvery query sees its own key."
    )
    assert "The diagonal of the mask is True" in page
    assert "- `seq_len`: an integer in [1, 48]" in page
