"""Importing a target module by name or path, with the standard library only.

Kept outside :mod:`chunkattn.testing` so that a helper process (``sampler.isolation``'s second
Python process) can load a target without importing the test machinery.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["TargetError", "import_target_module"]


class TargetError(ValueError):
    """The target cannot be loaded, or exposes nothing checkable."""


def import_target_module(spec: str, option: str = "--impl") -> ModuleType:
    """Import ``spec``: a dotted module name (looked up from the working directory first, as
    ``python -m`` does) or a path to a ``.py`` file."""
    if spec.endswith(".py") or "/" in spec or "\\" in spec:
        path = Path(spec)
        if not path.is_file():
            raise TargetError(f"{spec}: no such file ({option} takes a module name or a .py path)")
        return _import_file(spec, path.resolve())
    _prepend_to_path(Path.cwd())
    return _import(spec, spec)


def _import_file(spec: str, path: Path) -> ModuleType:
    """Import the file at ``path`` the way pytest does.

    Inside a package (its folders hold ``__init__.py``), it is imported as part of that package
    with the package's root on the path, so ``from .utils import x`` and ``import mylab.x`` work.
    A lone file is loaded under a private name with its own folder on the path, so it can import
    its siblings. The folder stays on the path: code may import lazily, inside a function.
    """
    parts, root = [path.stem], path.parent
    while (root / "__init__.py").is_file():
        parts.insert(0, root.name)
        root = root.parent
    if len(parts) > 1:
        name = ".".join(parts)
        _prepend_to_path(root)
        module = _import(spec, name)
        found = Path(getattr(module, "__file__", "") or "").resolve()
        if found != path:
            raise TargetError(
                f"{spec}: imports as {name} from {found}, another copy of the package; "
                "install this checkout (pip install -e) or pass the module name"
            )
        return module
    name = f"chunkattn_target_{path.stem}_{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"
    if name in sys.modules:
        return sys.modules[name]
    _prepend_to_path(path.parent)
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise TargetError(f"{spec}: import failed: {exc.__class__.__name__}: {exc}") from None
    return module


def _import(spec: str, name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except Exception as exc:
        raise TargetError(f"{spec}: import failed: {exc.__class__.__name__}: {exc}") from None


def _prepend_to_path(folder: Path) -> None:
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
