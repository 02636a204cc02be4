"""The manual's "Use it from your own repository" (docs/own-repo.md), done as a user would: in a scratch repository
outside this checkout, with the installed plugin and nothing of this repository's conftest."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chunkattn.testing import CHECKS

ROOT = Path(__file__).resolve().parents[1]
IMPLS = ROOT / "tests" / "impls"
MODELS = ROOT / "tests" / "models"


def _block(marker: str) -> str:
    page = (ROOT / "docs" / "own-repo.md").read_text()
    block = page.split(f"<!-- {marker} -->")[1].split(f"<!-- /{marker} -->")[0]
    return block.split("\n", 2)[2].rsplit("```", 1)[0]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHUNKATTN_", "PYTEST_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    # the README's commands as written; only the profile is the fast one, to keep the suite short
    return {**env, "CHUNKATTN_PROFILE": "precommit"}


def _run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        shlex.split(command), cwd=cwd, env=_env(), capture_output=True, text=True, timeout=600
    )


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """A lab's repository: its own chunking_utils.py and model, no conftest of chunkattn's."""
    repo = tmp_path / "lab"
    repo.mkdir()
    shutil.copy(IMPLS / "correct_token_bounds.py", repo / "chunking_utils.py")
    shutil.copy(IMPLS / "_base.py", repo / "_base.py")
    shutil.copy(MODELS / "_common.py", repo / "_common.py")
    shutil.copy(MODELS / "correct_absolute.py", repo / "my_model.py")
    return repo


def test_an_unrelated_suite_is_untouched(tmp_path: Path):
    """Installed but not asked: no torch import, the suite's own Hypothesis profile in force
    (even one named like chunkattn's), no chunkattn module loaded beyond the plugin."""
    repo = tmp_path / "unrelated"
    repo.mkdir()
    (repo / "test_mine.py").write_text(
        "import sys\n"
        "from hypothesis import given, settings, strategies as st\n\n"
        "settings.register_profile('ci', max_examples=7)\n"
        "settings.load_profile('ci')\n\n\n"
        "@given(st.integers())\n"
        "def test_profile_is_mine(x):\n"
        "    assert settings.default.max_examples == 7\n\n\n"
        "def test_nothing_heavy_imported():\n"
        "    assert 'torch' not in sys.modules\n"
        "    plugin = 'chunkattn._internal.integrations.pytest_plugin'\n"
        "    # the plugin, the option declarations it shares with the CLI and the contract's\n"
        "    # constants they name (both standard library only), and the (empty) packages\n"
        "    # that hold them\n"
        "    leaves = [plugin, 'chunkattn._internal.engine.options',\n"
        "              'chunkattn._internal.contract.core']\n"
        "    allowed = {m.rsplit('.', n)[0] for m in leaves for n in range(3)}\n"
        "    assert not [m for m in sys.modules if m.startswith('chunkattn.')\n"
        "                and m not in allowed]\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"],
        cwd=repo,
        env={**_env(), "CI": "true"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout
    assert (
        "chunkattn"
        in subprocess.run(
            [sys.executable, "-m", "pytest", "--help"], capture_output=True, text=True, cwd=repo
        ).stdout
    )  # the plugin is installed and offers its options


@pytest.mark.parametrize("command", _block("own-repo").strip().splitlines())
def test_readme_commands_pass_on_correct_code(lab: Path, command: str):
    run = _run(command, lab)
    assert run.returncode == 0, f"{command}\n{run.stdout[-3000:]}{run.stderr[-2000:]}"
    assert "passed" in run.stdout and "failed" not in run.stdout


def test_readme_test_file_runs_and_a_seeded_bug_fails(lab: Path):
    """The README's own test file, and the installed suite, in one run on a seeded bug: the
    user's tests (the mask is right) pass, the named check the bug breaks fails, and every
    named check was collected (all but the selected ones deselected)."""
    (lab / "test_chunking.py").write_text(_block("own-test"))
    shutil.copy(IMPLS / "bug_float_ceil.py", lab / "chunking_utils.py")
    run = _run(
        "pytest test_chunking.py --pyargs chunkattn.properties --impl=chunking_utils.py"
        " -p no:randomly -k 'test_left_span or test_mask_is_square or test_ceil_exact'",
        lab,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert re.search(r"FAILED .*test_checks.py::test_ceil_exact", run.stdout)
    # selected: the user's two tests and ceil.exact, of the user's two and every named check
    assert f"1 failed, 2 passed, {len(CHECKS) - 1} deselected" in run.stdout


def test_every_named_check_is_a_generated_test():
    from chunkattn.properties import test_checks

    generated = {name for name in vars(test_checks) if name.startswith("test_")}
    assert generated == {"test_" + re.sub(r"\W", "_", name) for name in CHECKS}
    for name, check in CHECKS.items():
        test = getattr(test_checks, "test_" + re.sub(r"\W", "_", name))
        assert test.chunkattn_check is check
