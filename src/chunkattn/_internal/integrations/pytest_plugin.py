"""chunkattn's pytest plugin (entry point ``pytest11``), inert unless asked.

Installed, it only adds its options. It imports nothing heavy, loads no Hypothesis profile and
changes no setting until either one of its options is used or a test that takes the
``check_ctx`` fixture (chunkattn's named checks) is collected::

    pytest --pyargs chunkattn.properties --impl=path/to/chunking_utils.py
    pytest --pyargs chunkattn.properties --model=path/to/model.py:make_model -n auto

Options: ``--impl`` / ``--model`` (the target; neither: chunkattn itself), ``--seeds FILE`` (the
project's regression seeds, replayed first), ``--record-seeds`` (append each failing check's
shrunk counterexample to that file), ``--chunkattn-profile NAME`` (or ``CHUNKATTN_PROFILE``),
``--chunkattn-timeout SECONDS`` (the limit on each call into the target),
``--chunkattn-precision P[,P...]`` (each ``model.*`` and ``stream.*`` check once per precision,
test ids ending ``-16-mixed`` unless only ``32-true`` runs; default: what the model declares, else ``32-true``),
``--chunkattn-device DEVICE`` (where the model runs), ``--chunkattn-db URL``
(a shared example database, ``redis://HOST:PORT/N`` or a directory: the failures stored there
are replayed first, and new ones stored; entries that do not fit their check's case schema are
set aside, never run, and the summary says how many). Each has a ``--chunkattn-*`` spelling
too. The environment variables ``CHUNKATTN_IMPL``, ``CHUNKATTN_MODEL``, ``CHUNKATTN_SEEDS`` and
``CHUNKATTN_DB`` are read only when chunkattn's checks run.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from chunkattn._internal.engine import options as o

_TARGETS = pytest.StashKey[list]()
#: what the run resolved (profile, seeds, shared database), that the checks' tests are built with
_RUN = pytest.StashKey[Any]()
#: the line saying how many stored failures the shared database set aside (None: none)
_SET_ASIDE = pytest.StashKey[str | None]()
#: a check's test item: where its test leaves its last failing case
_FAILURE = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chunkattn", "chunkattn: is my chunked attention what my config says")
    for option in o.PLUGIN_OPTIONS:
        option.add_to_pytest(group)


def _asked(config: pytest.Config) -> bool:
    return any(config.getoption(option.pytest_dest, None) for option in o.PLUGIN_OPTIONS)


def pytest_configure(config: pytest.Config) -> None:
    """With an option given, fail early (one line) on a bad profile, seeds file or target."""
    if _asked(config):
        _activate(config)


def _activate(config: pytest.Config) -> list:
    """Resolve the run and load the targets once per process (and, on an xdist worker, use one
    torch thread); both go in ``config.stash``."""
    if _TARGETS in config.stash:
        return config.stash[_TARGETS]
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        # the workers already fill the cores; oversubscribed threads make tiny ops ~50x slower
        torch.set_num_threads(1)
    config.stash[_RUN] = _resolve_run(config)
    config.stash[_TARGETS] = targets = _load_targets(config)
    return targets


def _resolve_run(config: pytest.Config) -> Any:
    """The profile, seeds and shared database of this run: the options given, else the
    user's environment variables (documented defaults), else chunkattn's defaults."""
    from chunkattn._internal.checks import load_checks
    from chunkattn._internal.engine.database import screen_failures
    from chunkattn._internal.engine.profiles import active_profile_name
    from chunkattn._internal.engine.seeds import load_seeds
    from chunkattn._internal.integrations.pytest_support import Run, shared_database

    load_checks()  # the seeds files name them
    try:
        profile = active_profile_name(o.PROFILE.value(config))
    except ValueError as exc:
        raise pytest.UsageError(f"chunkattn profile: {exc}") from None
    try:
        seeds = load_seeds(o.SEEDS.value(config))
    except ValueError as exc:
        raise pytest.UsageError(f"--seeds: {exc}") from None
    try:
        database = shared_database(o.DB.value(config))
        if database is not None:
            config.stash[_SET_ASIDE] = screen_failures(database).note(database.url)
    except Exception as exc:
        raise pytest.UsageError(f"--chunkattn-db: {exc}") from None
    return Run(profile, seeds, database)


def _load_targets(config: pytest.Config) -> list:
    from chunkattn._internal.engine.target import TargetError, builtin_targets, load_target

    impl, model = o.IMPL.value(config), o.MODEL.value(config)
    timeout = o.TIMEOUT.value(config)
    device = _typed(o.DEVICE, config)
    try:
        if impl or model or device:
            return [load_target(impl, model, timeout=timeout, device=device)]
        return [t.with_timeout(timeout) for t in builtin_targets().values()]
    except TargetError as exc:
        raise pytest.UsageError(f"chunkattn target: {exc}") from None


def _typed(option: o.Option, config: pytest.Config) -> Any:
    """``option``'s value, read by its type when it came from the environment (a string)."""
    value = option.value(config)
    if isinstance(value, str) and option.type is not None:
        import argparse

        try:
            return option.type(value)
        except argparse.ArgumentTypeError as exc:
            raise pytest.UsageError(f"{option.pytest_flags[0]}: {exc}") from None
    return value


def _precisions(config: pytest.Config, target: Any) -> tuple:
    """The precisions a model check runs in on ``target``: ``--chunkattn-precision``, else what
    the target declares, else ``32-true``."""
    from chunkattn._internal.engine.precision import DEFAULT_PRECISIONS

    return tuple(_typed(o.PRECISION, config) or target.precisions or DEFAULT_PRECISIONS)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "check_ctx" not in metafunc.fixturenames:
        return
    targets = _activate(metafunc.config)
    bind = getattr(metafunc.function, "chunkattn_bind", None)
    if bind is not None:
        bind(metafunc.config.stash[_RUN])
    check = getattr(metafunc.function, "chunkattn_check", None)
    applicable = [t for t in targets if check is None or check.skip_reason(t) is None]
    # built-in variants a check does not apply to are simply not paired with it; a lone
    # --impl/--model target keeps the pairing and is skipped with the reason (docs/contract.md: The pytest plugin)
    targets = applicable or targets
    if check is not None and check.per_precision:
        # a model check runs once per precision: test ids ``check[TARGET-16-mixed]``
        params = [(t, p) for t in targets for p in _precisions(metafunc.config, t)]
        plain = all(p.value == "32-true" for _, p in params)  # ids as before precisions
        ids = [t.name if plain else f"{t.name}-{p}" for t, p in params]
    else:
        params, ids = [(t, None) for t in targets], [t.name for t in targets]
    metafunc.parametrize("check_ctx", params, ids=ids, indirect=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    note = terminalreporter.config.stash.get(_SET_ASIDE, None)
    if note:
        terminalreporter.write_line(f"chunkattn: {note}", yellow=True)


@pytest.fixture(scope="session")
def chunkattn_config():
    """The config chunkattn's checks run against (the embedded default)."""
    from chunkattn._internal.contract.loader import load_config

    return load_config()


@pytest.fixture
def check_ctx(request: pytest.FixtureRequest, chunkattn_config):
    """The target under test for a named check (parametrized by the plugin)."""
    from chunkattn._internal.engine.registry import CheckContext
    from chunkattn._internal.engine.runner import precision_skip

    target, precision = request.param
    check = getattr(request.function, "chunkattn_check", None)
    ctx = CheckContext(target, chunkattn_config)
    if precision is not None:
        ctx = CheckContext(target, chunkattn_config, precision=precision)
    reason = (check.skip_reason(target) or precision_skip(check, ctx)) if check else None
    if reason:
        pytest.skip(f"{check.name} does not apply: {reason}")
    return ctx


@pytest.fixture
def chunkattn_failure(request: pytest.FixtureRequest):
    """Where a check's test leaves its last failing case, for the report hook below."""
    from chunkattn._internal.integrations.pytest_support import FailedCase

    failure = request.node.stash[_FAILURE] = FailedCase()
    return failure


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    check = getattr(getattr(item, "obj", None), "chunkattn_check", None)
    failure = item.stash.get(_FAILURE, None)
    if check is None or failure is None or failure.case is None:
        return report
    if report.when == "call" and report.failed:
        run = item.config.stash[_RUN]
        _store_failure(run.database, check.name, item, failure.case, report)
        if item.config.getoption(o.RECORD_SEEDS.pytest_dest):
            _record_seed(o.SEEDS.value(item.config), check.name, failure.case, report)
    return report


def _record_seed(path: str | None, check: str, case: dict, report: pytest.TestReport) -> None:
    """``--record-seeds``: keep the failing case in the project's seeds file."""
    from chunkattn._internal.engine.seeds import DEFAULT_PROJECT_SEEDS, add_seed

    path = path or DEFAULT_PROJECT_SEEDS
    try:
        if add_seed(path, check, case):
            report.sections.append(("chunkattn", f"recorded {check} {case} in {path}"))
    except ValueError as exc:  # a case pinned outside its check's bounds
        report.sections.append(("chunkattn", f"could not record the failure: {exc}"))


def _store_failure(
    database: Any, check: str, item: pytest.Item, case: dict, report: pytest.TestReport
) -> None:
    """With a shared database, keep the failing case there for every later run."""
    if database is None:
        return
    from chunkattn._internal.engine.database import record_failure

    target = getattr(item, "callspec", None)
    name = target.id if target is not None else "chunkattn"
    try:
        record_failure(database, check, name, case)
    except Exception as exc:
        report.sections.append(("chunkattn", f"could not store the failure: {exc}"))
