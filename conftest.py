"""pytest wiring for the chunkattn suite.

* ``--impl TARGET`` (or ``CHUNKATTN_IMPL``): run the seed-API properties on TARGET, a dotted
  module or a ``.py`` path; without it they run on chunkattn, its reference and its renderings.
* Hypothesis profiles ``dev`` (default), ``ci`` (when ``CI`` is set), ``precommit``,
  ``thorough``, ``seeds`` (replay regression seeds only): ``--hypothesis-profile NAME`` or
  ``CHUNKATTN_PROFILE``.
* ``--seeds FILE`` (or ``CHUNKATTN_SEEDS``): the project's regression seeds, replayed first;
  ``--record-seeds`` appends each failing property's shrunk counterexample to that file.
"""

from __future__ import annotations

import os

import pytest
import torch
from hypothesis import settings

from chunkattn.testing import (
    CheckContext,
    TargetError,
    active_profile_name,
    builtin_targets,
    load_target,
)
from chunkattn.testing.seeds import DEFAULT_PROJECT_SEEDS, add_seed, load_seeds


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chunkattn")
    group.addoption("--impl", default=None, help="seed-API target: dotted module or .py path")
    group.addoption("--seeds", default=None, help="project regression-seeds YAML file")
    group.addoption(
        "--record-seeds",
        action="store_true",
        help="append failing properties' shrunk counterexamples to the seeds file",
    )


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # one intra-op thread per worker: with -n auto the workers already fill the cores, and
        # oversubscribed torch threads make tiny ops ~50x slower
        torch.set_num_threads(1)
    if not config.getoption("hypothesis_profile", None):
        try:
            settings.load_profile(active_profile_name())
        except ValueError as exc:
            raise pytest.UsageError(f"CHUNKATTN_PROFILE: {exc}") from None
    seeds = config.getoption("--seeds")
    if seeds:
        os.environ["CHUNKATTN_SEEDS"] = seeds
    try:
        load_seeds()
    except ValueError as exc:
        raise pytest.UsageError(f"--seeds: {exc}") from None
    spec = config.getoption("--impl") or os.environ.get("CHUNKATTN_IMPL")
    try:
        targets = [load_target(spec)] if spec else list(builtin_targets().values())
    except TargetError as exc:
        raise pytest.UsageError(f"--impl {exc}") from None
    config.stash[_TARGETS] = targets


_TARGETS = pytest.StashKey[list]()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "check_ctx" in metafunc.fixturenames:
        targets = metafunc.config.stash[_TARGETS]
        check = getattr(metafunc.function, "chunkattn_check", None)
        applicable = [t for t in targets if check is None or check.skip_reason(t) is None]
        # built-in variants a check does not apply to are simply not paired with it; a lone
        # --impl target keeps the pairing and is skipped with the reason (SPEC section 8)
        targets = applicable or targets
        metafunc.parametrize("check_ctx", targets, ids=[t.name for t in targets], indirect=True)


@pytest.fixture(scope="session")
def _config_in_force():
    from chunkattn.config import load_config

    return load_config()


@pytest.fixture
def check_ctx(request: pytest.FixtureRequest, _config_in_force) -> CheckContext:
    target = request.param
    check = getattr(request.function, "chunkattn_check", None)
    reason = check.skip_reason(target) if check else None
    if reason:
        pytest.skip(f"{check.name} does not apply: {reason}")
    return CheckContext(target, _config_in_force)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    check = getattr(getattr(item, "obj", None), "chunkattn_check", None)
    failed_case = getattr(getattr(item, "obj", None), "chunkattn_last_failure", None)
    if failed_case is not None:
        item.obj.chunkattn_last_failure = None
    recording = item.config.getoption("--record-seeds")
    if report.when == "call" and report.failed and check and failed_case is not None and recording:
        path = os.environ.get("CHUNKATTN_SEEDS") or DEFAULT_PROJECT_SEEDS
        if add_seed(path, check.name, failed_case):
            report.sections.append(("chunkattn", f"recorded {check.name} {failed_case} in {path}"))
    return report
