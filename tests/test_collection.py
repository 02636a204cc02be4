"""pytest -n auto done right: collection is the same on every worker and every run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: where tests are generated from the registry and parametrized by target
PATHS = ["properties"]


def collect(hash_seed: str) -> list[str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly", *PATHS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return [line for line in run.stdout.splitlines() if "::" in line]


def test_collection_does_not_depend_on_hash_seed():
    first, second = collect("1"), collect("2")
    assert len(first) > 50
    assert first == second
