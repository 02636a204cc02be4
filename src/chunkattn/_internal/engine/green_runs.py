"""Green runs remembered: ``chunkattn verify --cache`` skips a run whose every input is unchanged
since the same command last passed.

Why it is sound: the profiles it applies to (:data:`~.profile_names.REPEATABLE`: ``precommit``,
``ci``, ``seeds``) are derandomized and keep no example database, so rerunning the same code
tests the same examples and reaches the same verdict. What "the same code" takes in:

- the command: target, config path, profile, ``-k``, timeout, precision, device, seeds file, the
  working directory, the Python executable and version, ``PYTHONPATH`` and ``PYTHONHASHSEED``;
- the *content* (SHA-256) of every Python module the green run imported from outside the Python
  installation (the target, the modules of yours it imports, chunkattn itself when it runs from
  a checkout), of the config file, of the project seeds file (its absence too) and of chunkattn's
  data files (the embedded config, its own seeds);
- the size and modification time of every module file the run imported from the installation
  (torch, Hypothesis, numpy, chunkattn when installed, ...), and of the site-packages
  directories themselves: an install, upgrade or removal of any package changes them.

Not taken in: files the target reads at run time that are not Python modules, and the state of
a service it may call. A failing, erroring or interrupted run is never recorded. Records are
small JSON files in :func:`cache_dir`, one per command; a damaged or unreadable one is a miss.
Only the standard library here: a hit imports neither torch nor Hypothesis.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import site
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["GreenRun", "cache_dir", "find", "loaded_files", "remember"]

#: the record format; a record of another format is a miss
FORMAT = 1


def cache_dir() -> Path:
    """Where records live: ``$CHUNKATTN_CACHE_DIR``, else ``$XDG_CACHE_HOME/chunkattn/green-runs``
    (``~/.cache`` when unset): outside the user's repository, so nothing there needs ignoring."""
    explicit = os.environ.get("CHUNKATTN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "chunkattn" / "green-runs"


@dataclass(frozen=True)
class GreenRun:
    """A remembered green run: when it passed (UTC)."""

    when: str


def _site_dirs() -> list[str]:
    """The site-packages directories (the user's too, when enabled)."""
    dirs = list(getattr(site, "getsitepackages", list)())
    if site.ENABLE_USER_SITE and site.USER_SITE:
        dirs.append(site.USER_SITE)
    return [os.path.realpath(d) for d in dirs if d]


def _installed_roots() -> tuple[str, ...]:
    """The Python installation's folders: the prefixes and the site-packages directories."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *_site_dirs()}
    return tuple(os.path.join(os.path.realpath(r), "") for r in roots if r)


def loaded_files() -> list[str]:
    """The real paths of every module file this process has imported (source or extension)."""
    found = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and os.path.isfile(path):
            found.add(os.path.realpath(path))
    return sorted(found)


def _sha256(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None  # absent (or unreadable): a file appearing later is a change


def _stat(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _snapshot(modules: Iterable[str], inputs: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Content hashes of ``inputs`` and of the modules outside the installation; size and
    modification time of the installed ones."""
    roots = _installed_roots()
    own: dict[str, Any] = {str(Path(p).resolve()): None for p in inputs}
    installed: dict[str, Any] = {}
    for path in modules:
        if path.startswith(roots):
            installed[path] = _stat(path)
        else:
            own[path] = None
    # a package installed, upgraded or removed changes its site directory's listing, so its
    # time: this covers the modules only the helper process imported (sympy for meta masks)
    for path in _site_dirs():
        installed[path] = _stat(path)
    return {"own": {p: _sha256(p) for p in own}, "installed": installed}


def _unchanged(snapshot: Mapping[str, Mapping[str, Any]]) -> bool:
    """Does every file of ``snapshot`` still have its recorded content (or size and time)?"""
    try:
        return all(_stat(p) == v for p, v in snapshot["installed"].items()) and all(
            _sha256(p) == v for p, v in snapshot["own"].items()
        )
    except (KeyError, AttributeError, TypeError):
        return False


def _record_path(command: Mapping[str, Any]) -> Path:
    key = json.dumps({"format": FORMAT, **command}, sort_keys=True, default=str)
    return cache_dir() / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"


def find(command: Mapping[str, Any], inputs: Iterable[str]) -> GreenRun | None:
    """The green run recorded for ``command`` if none of its files, nor ``inputs`` (the config and
    seeds files, which need not be modules), changed since; else None."""
    try:
        record = json.loads(_record_path(command).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        return None
    if record.get("command") != json.loads(json.dumps(command, default=str)):
        return None  # a hash collision, or a record written by hand
    files = record.get("files", {})
    listed = set(files.get("own", {})) if isinstance(files, dict) else set()
    if any(str(Path(p).resolve()) not in listed for p in inputs) or not _unchanged(files):
        return None
    return GreenRun(str(record.get("when", "?")))


def remember(command: Mapping[str, Any], inputs: Iterable[str]) -> None:
    """Record a green run of ``command`` with every module this process imported and ``inputs``.

    Written to a temporary name and renamed into place, so a concurrent reader sees the old
    record or the new one. A cache that cannot be written is no error: the next run checks.
    """
    record = {
        "format": FORMAT,
        "command": json.loads(json.dumps(command, default=str)),
        "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "files": _snapshot(loaded_files(), inputs),
    }
    path = _record_path(command)
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(temporary, path)
    except OSError:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
