"""Loading a user's implementation the ways their repositories are laid out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chunkattn.testing import CHECKS, CheckContext, TargetError, load_target

CORRECT = Path(__file__).parent / "impls" / "correct_token_bounds.py"


def _runs(target) -> None:
    CHECKS["mask.left_span"].run(
        CheckContext(target), {"seq_len": 9, "chunk_size": 2, "context_chunks": 1}
    )


def test_file_inside_a_package_uses_package_imports(tmp_path: Path):
    """src/<pkg>/models/utils/chunking_utils.py with relative and absolute package imports."""
    utils = tmp_path / "src" / "labpkg_rel" / "models" / "utils"
    utils.mkdir(parents=True)
    for folder in (utils, utils.parent, utils.parent.parent):
        (folder / "__init__.py").write_text("")
    shutil.copy(CORRECT, utils / "exact.py")
    (utils / "chunking_utils.py").write_text(
        "from labpkg_rel.models.utils import exact  # noqa: F401\n"
        "from .exact import ChunkConfig, ChunkConfigSampler, create_dynamic_chunk_mask\n"
    )
    target = load_target(str(utils / "chunking_utils.py"))
    _runs(target)


def test_dotted_name_resolves_from_the_working_directory(tmp_path: Path, monkeypatch):
    (tmp_path / "labdotted").mkdir()
    (tmp_path / "labdotted" / "__init__.py").write_text("")
    shutil.copy(CORRECT, tmp_path / "labdotted" / "chunking.py")
    monkeypatch.chdir(tmp_path)
    _runs(load_target("labdotted.chunking"))


def test_a_target_that_fails_to_import_is_one_clear_error(tmp_path: Path):
    broken = tmp_path / "broken.py"
    broken.write_text("import not_a_module_anywhere\n")
    with pytest.raises(TargetError, match=r"broken.py: import failed: ModuleNotFoundError"):
        load_target(str(broken))


MASK_ONLY = """
from dataclasses import dataclass

import torch


@dataclass
class ChunkConfig:
    chunk_size: int | None
    context_chunks: int | None

    def is_full_context(self):
        return self.chunk_size is None


def create_dynamic_chunk_mask(seq_len, config, device=None):
    if config.chunk_size is None:
        return None
    if config.chunk_size < 1 or (config.context_chunks is not None and config.context_chunks < 0):
        raise ValueError("bad geometry")
    chunk = torch.arange(seq_len, device=device) // config.chunk_size
    visible = chunk[None, :] <= chunk[:, None]
    if config.context_chunks is not None:
        visible &= chunk[None, :] >= chunk[:, None] - config.context_chunks
    return visible[None, None]
"""


def test_mask_only_module_runs_the_mask_checks_and_skips_the_rest(tmp_path: Path, capsys):
    from chunkattn._internal.commands.cli import main

    path = tmp_path / "mask_only.py"
    path.write_text(MASK_ONLY)
    assert load_target(str(path)).capabilities == {"mask"}
    capsys.readouterr()
    code = main(["verify", "--impl", str(path), "--profile", "precommit", "--json"])
    report = json.loads(capsys.readouterr().out)
    statuses = {c["name"]: c for c in report["checks"]}
    assert code == 0 and report["ok"]
    assert all(statuses[n]["status"] == "pass" for n in CHECKS if n.startswith("mask."))
    skipped = [c for n, c in statuses.items() if not n.startswith("mask.")]
    assert skipped and all(c["status"] == "skip" for c in skipped)
    assert "has no ChunkConfigSampler" in statuses["sampler.ranges"]["message"]
    assert "has no model (pass --model" in statuses["model.finite"]["message"]


def test_a_bare_mask_function_gets_chunkattns_config_type(tmp_path: Path):
    path = tmp_path / "bare_mask.py"
    path.write_text(MASK_ONLY.replace("@dataclass\nclass ChunkConfig", "@dataclass\nclass _Unused"))
    target = load_target(str(path))
    assert target.capabilities == {"mask"}
    _runs(target)


def test_nothing_checkable_is_one_clear_error(tmp_path: Path):
    empty = tmp_path / "empty.py"
    empty.write_text("X = 1\n")
    with pytest.raises(TargetError, match=r"empty.py: exposes nothing checkable"):
        load_target(str(empty))


def test_a_hanging_target_is_an_error_and_the_run_goes_on(tmp_path: Path, capsys):
    """A mask that loops forever past a length: each check that reaches it reports ``error``
    with the case and the limit, and the others still run."""
    from chunkattn._internal.commands.cli import main

    hang = tmp_path / "hangs.py"
    hang.write_text(
        MASK_ONLY.replace(
            "    if config.chunk_size is None:",
            "    while seq_len > 4:\n        pass\n    if config.chunk_size is None:",
            1,
        )
    )
    capsys.readouterr()
    code = main(["verify", "--impl", str(hang), "--timeout", "0.5", "-k", "mask.c*", "--json"])
    report = json.loads(capsys.readouterr().out)
    errors = [c for c in report["checks"] if c["status"] == "error"]
    assert code == 1 and not report["ok"]
    assert len(errors) >= 2
    for error in errors:
        assert "took longer than 0.5 s" in error["message"]
        assert error["counterexample"]["seq_len"] > 4
