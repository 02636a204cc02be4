"""``verify --cache`` (the pre-commit hook's way): a green run is skipped, and says so, only while
nothing it read has changed; a failing run is never remembered; a profile whose rerun draws new
examples is never skipped."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from hypothesis import Phase

from chunkattn._internal.commands.cli import main
from chunkattn._internal.engine.profile_names import PROFILE_NAMES, REPEATABLE
from chunkattn._internal.engine.profiles import PROFILES, profile_settings

IMPLS = Path(__file__).parent / "impls"
SKIPPED = "skipped (cached)"


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A lab's chunking module that imports a sibling (``base.py``, under a name of this test's
    own: in one pytest process another test's ``_base`` would already be imported); a cache of
    the test's own."""
    monkeypatch.setenv("CHUNKATTN_CACHE_DIR", str(tmp_path / "cache"))
    repo = tmp_path / "lab"
    repo.mkdir()
    sibling = f"base_{hashlib.sha1(str(tmp_path).encode()).hexdigest()[:12]}"
    shutil.copy(IMPLS / "_base.py", repo / f"{sibling}.py")
    (repo / "chunking.py").write_text(
        f"from {sibling} import ChunkConfig, ChunkConfigSampler, create_dynamic_chunk_mask  # noqa\n"
    )
    return repo


def _verify(capsys: pytest.CaptureFixture, impl: Path, *extra: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["verify", "--profile", "precommit", "--impl", str(impl), *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_green_run_is_skipped_until_a_module_it_imports_changes(lab: Path, capsys):
    impl, only = lab / "chunking.py", ("-k", "mask.causality")
    code, out = _verify(capsys, impl, "--cache", *only)
    assert code == 0 and "PASS  mask.causality" in out and SKIPPED not in out
    code, out = _verify(capsys, impl, "--cache", *only)
    assert code == 0 and SKIPPED in out and "PASS" not in out
    assert "--profile precommit -k mask.causality" in out and "--no-cache" in out
    # --no-cache (given after the hook's --cache, as pre-commit appends args) runs the checks
    code, out = _verify(capsys, impl, "--cache", *only, "--no-cache")
    assert code == 0 and "PASS  mask.causality" in out and SKIPPED not in out
    # another selection is another command: not the remembered one
    code, out = _verify(capsys, impl, "--cache", "-k", "mask.own_chunk")
    assert "PASS  mask.own_chunk" in out and SKIPPED not in out
    # the sibling module the target imports changed: checked again, then remembered again
    (sibling,) = (p for p in lab.glob("base_*.py"))
    with sibling.open("a") as f:
        f.write("# edited\n")
    code, out = _verify(capsys, impl, "--cache", *only)
    assert code == 0 and "PASS  mask.causality" in out and SKIPPED not in out
    assert SKIPPED in _verify(capsys, impl, "--cache", *only)[1]


def test_a_changed_config_or_seeds_file_is_checked_again(lab: Path, capsys, monkeypatch):
    monkeypatch.chdir(lab)
    impl, only = lab / "chunking.py", ("-k", "mask.causality")
    _verify(capsys, impl, "--cache", *only)
    assert SKIPPED in _verify(capsys, impl, "--cache", *only)[1]
    # the project seeds file verify reads by default appears
    (lab / "chunkattn-seeds.yaml").write_text("mask.causality: []\n")
    assert SKIPPED not in _verify(capsys, impl, "--cache", *only)[1]
    assert SKIPPED in _verify(capsys, impl, "--cache", *only)[1]


def test_failing_run_is_never_remembered(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("CHUNKATTN_CACHE_DIR", str(tmp_path / "cache"))
    for _ in range(2):
        code, out = _verify(capsys, IMPLS / "bug_float_ceil.py", "--cache", "-k", "ceil.exact")
        assert code == 1 and "FAIL  ceil.exact" in out and SKIPPED not in out
    assert not list((tmp_path / "cache").glob("*.json"))


def test_a_run_that_draws_new_examples_is_never_skipped(lab: Path, capsys, monkeypatch):
    monkeypatch.chdir(lab)  # the dev profile's example database goes here
    args = ["verify", "--profile", "dev", "--impl", str(lab / "chunking.py"), "--cache"]
    for _ in range(2):
        capsys.readouterr()
        assert main([*args, "-k", "mask.causality"]) == 0
        captured = capsys.readouterr()
        assert "PASS  mask.causality" in captured.out
        assert "--cache not used: the dev profile draws new examples" in captured.err


def test_repeatable_profiles_are_the_derandomized_ones_without_a_database():
    assert tuple(PROFILES) == PROFILE_NAMES
    repeatable = tuple(
        name
        for name in PROFILES
        if profile_settings(name).database is None
        and (
            profile_settings(name).derandomize
            or Phase.generate not in profile_settings(name).phases
        )
    )
    assert repeatable == REPEATABLE
