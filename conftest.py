"""This repository's own pytest wiring.

Everything a user needs (the ``--impl``/``--model``/``--seeds`` options, the ``check_ctx``
fixture, chunkattn's Hypothesis profiles) is the installed plugin, ``chunkattn.pytest_plugin``,
so this repository's ``pytest -n auto`` runs exactly what a user's repository would. What stays
here is what only this repository has: the paths of its catalogues and configs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout's root (tests/impls, tests/models, tests/configs live below it)."""
    return ROOT


def pytest_configure(config: pytest.Config) -> None:
    import os

    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        os.environ["OMP_NUM_THREADS"] = "1"  # and the subprocesses the end-to-end tests start

        # this suite's own tests call the model outside chunkattn's checks too: one intra-op
        # thread per worker, since oversubscribed threads make tiny ops ~50x slower
        torch.set_num_threads(1)
