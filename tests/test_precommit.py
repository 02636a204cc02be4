"""The published pre-commit hook, exercised for real in scratch repositories (offline)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IMPLS = Path(__file__).parent / "impls"
CONFIG = Path(__file__).parent / "configs" / "upstream_style_config.yaml"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHUNKATTN_", "PYTEST_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    env["CHUNKATTN_CACHE_DIR"] = str(tmp_path / "chunkattn-cache")  # the hook's green runs
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
    )
    return {**env, **extra}


def _lab_repo(tmp_path: Path, impl: str) -> Path:
    """A lab's training repo: its own chunking_utils.py and custom_config.yaml."""
    repo = tmp_path / "lab"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(IMPLS / "_base.py", repo / "_base.py")
    shutil.copy(IMPLS / impl, repo / "chunking_utils.py")
    shutil.copy(CONFIG, repo / "scripts" / "custom_config.yaml")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    return repo


# a correct implementation passing through the hook is the README snippet's test below
@pytest.mark.parametrize(("impl", "passes"), [("bug_float_ceil.py", False)])
def test_try_repo(tmp_path: Path, impl: str, passes: bool):
    repo = _lab_repo(tmp_path, impl)
    env = _env(tmp_path, CHUNKATTN_IMPL="chunking_utils.py")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(ROOT),
            "chunkattn-verify",
            "--all-files",
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (run.returncode == 0) == passes, run.stdout + run.stderr
    if not passes:
        assert "FAIL  ceil.exact" in run.stdout
        assert "'context_sec': 0.56" in run.stdout


def _pre_commit(repo: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """``pre-commit run --all-files`` in ``repo``."""
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", *args],
        cwd=repo,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_readme_snippet_runs_in_a_fresh_repository(tmp_path: Path):
    """The README's snippet, with repo and rev pointed at this checkout, pasted as is."""
    readme = (ROOT / "README.md").read_text()
    snippet = readme.split("## Use it from pre-commit")[1].split("```yaml\n")[1].split("```")[0]
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    snippet = snippet.replace("https://github.com/<you>/chunkattn", str(ROOT)).replace(
        "rev: main", f"rev: {head}"
    )
    repo = _lab_repo(tmp_path, "correct_token_bounds.py")
    target = repo / "src" / "brainaudio" / "models" / "utils"
    target.mkdir(parents=True)
    shutil.move(repo / "chunking_utils.py", target / "chunking_utils.py")
    shutil.move(repo / "_base.py", target / "_base.py")
    (repo / ".pre-commit-config.yaml").write_text(snippet)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    run = _pre_commit(repo, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "chunkattn verify" in run.stdout and "Passed" in run.stdout
    # the next commit leaves the chunking code alone: the hook skips the checks, and says so
    again = _pre_commit(repo, tmp_path, "--verbose")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "skipped (cached)" in again.stdout and "--no-cache" in again.stdout
