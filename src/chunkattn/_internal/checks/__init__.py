"""The named checks: every module in this folder declares its checks with
:func:`chunkattn._internal.engine.registry.check`, and is found here by discovery, not by a list.

Adding a check is one function in one file: drop a module into this folder (or add the function to
the module of its family) and it is a check of ``chunkattn verify``, the pytest plugin, the
database screening and ``chunkattn explain``.
"""

from __future__ import annotations

import importlib
import pkgutil

from chunkattn._internal.engine.registry import CHECKS, order_checks

__all__ = ["CHECKS", "load_checks"]


def load_checks() -> dict:
    """Import every check module in this folder (once) and return the registry, in report order."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    order_checks()
    return CHECKS


load_checks()
