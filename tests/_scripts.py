"""Running reproduction scripts in the tests: each as ``__main__`` (its exit status and what it
prints), and checking what it imports.

A script is run in this process with :func:`runpy.run_path` (``run_name="__main__"``, a fresh
namespace, torch's and Python's generators forked around it), so the libraries it imports are
imported once per test worker, not once per script: the suite's time budget cannot pay a NeMo
import (~13 s) per script. :func:`run_plain` runs one the way a maintainer does, ``python
SCRIPT`` in a new process, so each test also shows a standalone run gives the same answer.
"""

from __future__ import annotations

import ast
import contextlib
import io
import random
import runpy
import subprocess
import sys
from pathlib import Path


def imported(path: Path) -> set[str]:
    """The top-level names a script imports (anywhere in it)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def run_here(path: Path) -> tuple[int, str]:
    """``path`` run as ``__main__``: (exit status, stdout)."""
    import torch

    out = io.StringIO()
    state = random.getstate()
    code = 0
    try:
        with torch.random.fork_rng(devices=[]), contextlib.redirect_stdout(out):
            runpy.run_path(str(path), run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        random.setstate(state)
    return code, out.getvalue()


def run_plain(path: Path) -> tuple[int, str]:
    """``python SCRIPT`` in a new process: (exit status, stdout and stderr)."""
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=600)
    return done.returncode, done.stdout + done.stderr
