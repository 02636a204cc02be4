"""What the suite runs on: an implementation of the seed API (SPEC section 1).

A target is a module — a dotted name, or a path to a ``.py`` file — exposing ``ChunkConfig``,
``ChunkConfigSampler`` and ``create_dynamic_chunk_mask``. chunkattn's own package, its naive
reference and each rendering of its mask are built-in targets.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import torch

from .. import masks, reference
from ..config import ChunkConfig, context_chunks_for
from ..sampler import ChunkConfigSampler

__all__ = ["REQUIRED_NAMES", "Target", "TargetError", "builtin_targets", "load_target"]

REQUIRED_NAMES = ("ChunkConfig", "ChunkConfigSampler", "create_dynamic_chunk_mask")


class TargetError(ValueError):
    """The ``--impl`` target cannot be loaded or lacks part of the seed API."""


@dataclass(frozen=True)
class Target:
    """One implementation under test.

    ``own`` marks chunkattn itself (the config and model checks apply only there);
    ``has_sampler`` is False for mask-only variants (the reference and the renderings).
    """

    name: str
    ChunkConfig: type
    ChunkConfigSampler: type
    create_dynamic_chunk_mask: Callable[..., Any]
    context_chunks_for: Callable[..., int] | None = None
    own: bool = False
    has_sampler: bool = True
    is_reference: bool = False


def _from_module(name: str, module: ModuleType, own: bool = False) -> Target:
    missing = [n for n in REQUIRED_NAMES if not callable(getattr(module, n, None))]
    if missing:
        raise TargetError(
            f"{name}: missing {', '.join(missing)} (a target must expose "
            f"{', '.join(REQUIRED_NAMES)})"
        )
    return Target(
        name=name,
        ChunkConfig=module.ChunkConfig,
        ChunkConfigSampler=module.ChunkConfigSampler,
        create_dynamic_chunk_mask=module.create_dynamic_chunk_mask,
        context_chunks_for=getattr(module, "context_chunks_for", None),
        own=own,
    )


def load_target(spec: str) -> Target:
    """Import ``spec`` (dotted module or ``.py`` path) and check it exposes the seed API.

    Raises :class:`TargetError` with one line saying what is wrong.
    """
    builtin = builtin_targets()
    if spec in builtin:
        return builtin[spec]
    if spec.endswith(".py") or "/" in spec or "\\" in spec:
        path = Path(spec)
        if not path.is_file():
            raise TargetError(f"{spec}: no such file (--impl takes a module name or a .py path)")
        module = _import_file(spec, path.resolve())
    else:
        # as `python -m` does: a dotted name is looked up from the working directory first
        _prepend_to_path(Path.cwd())
        module = _import(spec, spec)
    return _from_module(spec, module)


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


def _reference_mask(seq_len: int, config: ChunkConfig, device=None):
    return reference.reference_mask(seq_len, config, device=device)


def _additive_rendering(seq_len: int, config: ChunkConfig, device=None):
    """The SDPA rendering read back as bool: visible iff the additive mask is 0."""
    mask = masks.additive_mask(masks.create_dynamic_chunk_mask(seq_len, config, device=device))
    return None if mask is None else mask == 0


def _mask_mod_rendering(seq_len: int, config: ChunkConfig, device=None):
    """The flex_attention predicate evaluated on the full (q, k) grid."""
    mod = masks.chunk_mask_mod(config)
    if config.chunk_size is None:
        return None
    idx = torch.arange(seq_len, device=device)
    zero = torch.zeros((), dtype=torch.long, device=device)
    return mod(zero, zero, idx[:, None], idx[None, :])[None, None].clone()


def builtin_targets() -> dict[str, Target]:
    """chunkattn itself, its naive reference, and the two renderings of its mask."""
    own = Target(
        name="chunkattn",
        ChunkConfig=ChunkConfig,
        ChunkConfigSampler=ChunkConfigSampler,
        create_dynamic_chunk_mask=masks.create_dynamic_chunk_mask,
        context_chunks_for=context_chunks_for,
        own=True,
    )
    variants = {
        "chunkattn.reference": (_reference_mask, True),
        "chunkattn.additive": (_additive_rendering, False),
        "chunkattn.mask_mod": (_mask_mod_rendering, False),
    }
    out = {"chunkattn": own}
    for name, (fn, is_ref) in variants.items():
        out[name] = Target(
            name=name,
            ChunkConfig=ChunkConfig,
            ChunkConfigSampler=ChunkConfigSampler,
            create_dynamic_chunk_mask=fn,
            has_sampler=False,
            is_reference=is_ref,
        )
    return out
