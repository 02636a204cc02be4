"""This repository's own pytest wiring.

Everything a user needs (the ``--impl``/``--model``/``--seeds`` options, the ``check_ctx``
fixture, chunkattn's Hypothesis profiles) is the installed plugin, ``chunkattn._internal.integrations.pytest_plugin``,
so this repository's ``pytest -n auto`` runs exactly what a user's repository would. What stays
here is what only this repository has: the paths of its catalogues and configs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


@pytest.fixture
def start_redis(tmp_path):
    """``start_redis() -> url``: a fresh ``redis-server`` of this test's own on loopback (no
    persistence), killed when the test ends; skipped with the reason if Debian's package is
    missing (``.ci/run`` installs it). ``start_redis.processes`` holds the servers started."""
    import shutil
    import socket
    import subprocess
    import time

    from chunkattn._internal.engine.database import open_database

    server = shutil.which("redis-server")
    processes: list[subprocess.Popen] = []

    def start() -> str:
        if server is None:
            pytest.skip("redis-server is not installed (Debian package redis-server)")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        process = subprocess.Popen(
            [server, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(tmp_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(process)
        url = f"redis://127.0.0.1:{port}/0"
        for _ in range(100):
            try:
                open_database(url)
                return url
            except BaseException:
                time.sleep(0.05)
        pytest.fail(f"redis-server on port {port} did not come up")

    start.processes = processes
    yield start
    for process in processes:
        process.kill()
        process.wait(10)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout's root (tests/impls, tests/models, tests/configs live below it)."""
    return ROOT


def pytest_configure(config: pytest.Config) -> None:
    import os
    import sys

    # The suite starts ~35 Python processes (pytest, chunkattn, fuzz, pre-commit), each of which
    # imports torch, Hypothesis, chunkattn and pytest's plugins. Where the environment sets
    # PYTHONDONTWRITEBYTECODE (these machines do), every one of them would compile chunkattn's
    # sources again and redo pytest's assertion rewriting of every plugin package it loads
    # (~200 modules: a second of CPU per pytest process). The suite's processes may keep
    # bytecode in __pycache__ (git ignores it): what they test is unchanged.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False

    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        os.environ["OMP_NUM_THREADS"] = "1"  # and the subprocesses the end-to-end tests start

        # this suite's own tests call the model outside chunkattn's checks too: one intra-op
        # thread per worker, since oversubscribed threads make tiny ops ~50x slower
        torch.set_num_threads(1)


#: test files whose tests each start processes (pre-commit, pytest, chunkattn fuzz) or run the
#: whole suite on a target: seconds each, against milliseconds for most others
_HEAVY = ("test_precommit.py", "test_own_repo.py", "test_campaign.py", "test_seeds.py")
#: test files whose tests share costly imports: run on one worker, each import is paid once.
#: NeMo's (~7 s of CPU) brings transformers with it, which the model adapters' tests import
#: too, with its model code (~2 s) and x-transformers (~1 s)
_TOGETHER = ("test_nemo.py", "test_model_adapters.py")


def _heavy(item: pytest.Item) -> bool:
    return item.path.name in _HEAVY or item.originalname == "test_correct_implementation_passes"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist, give every worker its share of the heavy tests at the front of its first
    batch (the work-stealing scheduler splits the list into one contiguous batch a worker and
    steals from the tails), so no worker is left running a long test alone at the end; the
    tests that share a costly import go first in the first worker's batch, where no other
    worker steals them. The order is otherwise kept (pytest-randomly's shuffle included), and
    is the same on every worker, as xdist requires."""
    workers = getattr(config, "workerinput", {}).get("workercount")
    if not workers or workers < 2:
        return
    together = [item for item in items if item.path.name in _TOGETHER]
    rest = [item for item in items if item.path.name not in _TOGETHER]
    heavy = [item for item in rest if _heavy(item)]
    light = [item for item in rest if not _heavy(item)]
    ordered = []
    for i in range(workers):
        ordered += together if i == 0 else []
        ordered += heavy[i::workers]
        ordered += light[i * len(light) // workers : (i + 1) * len(light) // workers]
    items[:] = ordered
