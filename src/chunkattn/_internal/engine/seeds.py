"""Regression seeds: concrete cases, keyed by check name, replayed before random exploration.

chunkattn ships its own file (the contract's worked examples and known traps); a project adds its own
(``--seeds FILE``, ``CHUNKATTN_SEEDS``, or ``chunkattn-seeds.yaml`` in the working directory).
A failing property can be recorded into the project file (``chunkattn seeds add`` or pytest's
``--record-seeds``), so a bug found once stays found. Every case must fit its check's case schema
(declared with it: :mod:`chunkattn._internal.engine.cases`); one that does not is an error naming the file, the check
and the key.
"""

from __future__ import annotations

import difflib
import os
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from chunkattn._internal.contract.config import ConfigError
from chunkattn._internal.engine.options import DEFAULT_PROJECT_SEEDS
from chunkattn._internal.engine.registry import CHECKS, Case, validate

__all__ = [
    "DEFAULT_PROJECT_SEEDS",
    "add_seed",
    "format_seeds",
    "load_seeds",
    "project_seeds_path",
]

_HEADER = (
    "# chunkattn regression seeds: check name -> list of cases, replayed before exploration.\n"
)


def project_seeds_path(explicit: str | Path | None = None) -> Path | None:
    """``explicit``, else ``CHUNKATTN_SEEDS``, else ``./chunkattn-seeds.yaml`` if it exists."""
    if explicit:
        return Path(explicit)
    if os.environ.get("CHUNKATTN_SEEDS"):
        return Path(os.environ["CHUNKATTN_SEEDS"])
    default = Path(DEFAULT_PROJECT_SEEDS)
    return default if default.is_file() else None


def _parse(text: str, source: str) -> dict[str, list[Case]]:
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"not valid YAML{where}", source=source) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError("must map check names to lists of cases", source=source)
    out: dict[str, list[Case]] = {}
    for name, cases in data.items():
        if name not in CHECKS:
            close = difflib.get_close_matches(str(name), list(CHECKS), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise ConfigError(f"unknown check{hint}", key=str(name), source=source)
        if not isinstance(cases, list):
            raise ConfigError("must be a list of cases", key=str(name), source=source)
        for i, case in enumerate(cases):
            _check_case(name, case, source, f"case {i + 1}")
        out[name] = cases
    return out


def _check_case(name: str, case: Any, source: str, which: str) -> None:
    reason = validate(name, case)
    if reason is not None:
        raise ConfigError(f"{which}: {reason}", key=name, source=source)


def load_seeds(path: str | Path | None = None) -> dict[str, list[Case]]:
    """The package's seeds followed by the project's (``path`` or the default location)."""
    text = resources.files("chunkattn").joinpath("data/seeds.yaml").read_text(encoding="utf-8")
    merged = _parse(text, "chunkattn/data/seeds.yaml")
    project = project_seeds_path(path)
    if project is not None and project.exists():  # a new file is created by the first record
        try:
            project_text = project.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"cannot read seeds file: {exc.strerror or exc}", source=str(project)
            ) from None
        for name, cases in _parse(project_text, str(project)).items():
            merged.setdefault(name, []).extend(cases)
    return merged


def format_seeds(seeds: dict[str, list[Case]]) -> str:
    """``seeds`` (check name -> cases) as the text of a seeds file."""
    return _HEADER + yaml.safe_dump(seeds, sort_keys=True, default_flow_style=None, width=200)


def add_seed(path: str | Path, name: str, case: dict[str, Any]) -> bool:
    """Append ``case`` under ``name`` in the seeds file at ``path``; False if already there."""
    if name not in CHECKS:
        close = difflib.get_close_matches(name, list(CHECKS), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise ConfigError(f"unknown check{hint}", key=name, source=str(path))
    _check_case(name, case, str(path), "new case")
    path = Path(path)
    existing = _parse(path.read_text(encoding="utf-8"), str(path)) if path.is_file() else {}
    cases = existing.setdefault(name, [])
    if case in cases:
        return False
    cases.append(case)
    path.write_text(format_seeds(existing), encoding="utf-8")
    return True
