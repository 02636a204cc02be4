"""Loading a user's implementation the ways their repositories are laid out."""

from __future__ import annotations

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
