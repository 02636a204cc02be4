"""chunkattn's pytest plugin (entry point ``pytest11``), inert unless asked.

Installed, it only adds its options. It imports nothing heavy, loads no Hypothesis profile and
changes no setting until either one of its options is used or a test that takes the
``check_ctx`` fixture (chunkattn's named checks) is collected::

    pytest --pyargs chunkattn.properties --impl=path/to/chunking_utils.py
    pytest --pyargs chunkattn.properties --model=path/to/model.py:make_model -n auto

Options: ``--impl`` / ``--model`` (the target; neither: chunkattn itself), ``--seeds FILE`` (the
project's regression seeds, replayed first), ``--record-seeds`` (append each failing check's
shrunk counterexample to that file), ``--chunkattn-profile NAME`` (or ``CHUNKATTN_PROFILE``),
``--chunkattn-timeout SECONDS`` (the limit on each call into the target), ``--chunkattn-db URL``
(a shared example database, ``redis://HOST:PORT/N`` or a directory: the failures stored there
are replayed first, and new ones stored; entries that do not fit their check's case schema are
set aside, never run, and the summary says how many). Each has a ``--chunkattn-*`` spelling
too. The environment variables ``CHUNKATTN_IMPL``, ``CHUNKATTN_MODEL``, ``CHUNKATTN_SEEDS`` and
``CHUNKATTN_DB`` are read only when chunkattn's checks run.
"""

from __future__ import annotations

import os

import pytest

_TARGETS = pytest.StashKey[list]()
#: the line saying how many stored failures the shared database set aside (None: none)
_SET_ASIDE = pytest.StashKey[str | None]()
_OPTIONS = (
    "chunkattn_impl",
    "chunkattn_model",
    "chunkattn_seeds",
    "chunkattn_record_seeds",
    "chunkattn_profile",
    "chunkattn_timeout",
    "chunkattn_db",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chunkattn", "chunkattn: is my chunked attention what my config says")
    group.addoption(
        "--impl",
        "--chunkattn-impl",
        dest="chunkattn_impl",
        help="seed-API target: dotted module or .py path (default: $CHUNKATTN_IMPL, else chunkattn)",
    )
    group.addoption(
        "--model",
        "--chunkattn-model",
        dest="chunkattn_model",
        help="model target MODULE:NAME, a factory NAME(seed) (default: $CHUNKATTN_MODEL)",
    )
    group.addoption(
        "--seeds",
        "--chunkattn-seeds",
        dest="chunkattn_seeds",
        help="project regression-seeds YAML file (default: $CHUNKATTN_SEEDS, ./chunkattn-seeds.yaml)",
    )
    group.addoption(
        "--record-seeds",
        "--chunkattn-record-seeds",
        dest="chunkattn_record_seeds",
        action="store_true",
        help="append failing checks' shrunk counterexamples to the seeds file",
    )
    group.addoption(
        "--chunkattn-profile",
        dest="chunkattn_profile",
        help="chunkattn's Hypothesis profile: dev, ci, precommit, thorough, seeds",
    )
    group.addoption(
        "--chunkattn-timeout",
        dest="chunkattn_timeout",
        type=float,
        help="seconds each call into the target may take (default 60; 0: no limit)",
    )
    group.addoption(
        "--chunkattn-db",
        dest="chunkattn_db",
        help="shared example database, redis://HOST:PORT/N or a directory (default: $CHUNKATTN_DB)",
    )


def _asked(config: pytest.Config) -> bool:
    return any(config.getoption(name, None) for name in _OPTIONS)


def pytest_configure(config: pytest.Config) -> None:
    """With an option given, fail early (one line) on a bad profile, seeds file or target."""
    if not _asked(config):
        return
    profile = config.getoption("chunkattn_profile")
    if profile:
        os.environ["CHUNKATTN_PROFILE"] = profile  # read when the check modules are collected
    seeds = config.getoption("chunkattn_seeds")
    if seeds:
        os.environ["CHUNKATTN_SEEDS"] = seeds
    db = config.getoption("chunkattn_db")
    if db:
        os.environ["CHUNKATTN_DB"] = db
    _activate(config)


def _activate(config: pytest.Config) -> list:
    """Load the targets once per process (and, on an xdist worker, use one torch thread)."""
    if _TARGETS in config.stash:
        return config.stash[_TARGETS]
    from chunkattn._internal.checks import load_checks
    from chunkattn._internal.engine.limits import DEFAULT_TIMEOUT
    from chunkattn._internal.engine.profiles import active_profile_name
    from chunkattn._internal.engine.seeds import load_seeds
    from chunkattn._internal.engine.target import TargetError, builtin_targets, load_target

    load_checks()  # the seeds and the database's entries are screened against the checks
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        # the workers already fill the cores; oversubscribed threads make tiny ops ~50x slower
        torch.set_num_threads(1)
    try:
        active_profile_name()
    except ValueError as exc:
        raise pytest.UsageError(f"chunkattn profile: {exc}") from None
    try:
        load_seeds()
    except ValueError as exc:
        raise pytest.UsageError(f"--seeds: {exc}") from None
    try:
        from chunkattn._internal.engine.database import screen_failures
        from chunkattn._internal.integrations.pytest_support import shared_database

        database = shared_database()
        if database is not None:
            config.stash[_SET_ASIDE] = screen_failures(database).note(database.url)
    except Exception as exc:
        raise pytest.UsageError(f"--chunkattn-db: {exc}") from None
    impl = config.getoption("chunkattn_impl") or os.environ.get("CHUNKATTN_IMPL")
    model = config.getoption("chunkattn_model") or os.environ.get("CHUNKATTN_MODEL")
    timeout = config.getoption("chunkattn_timeout")
    timeout = DEFAULT_TIMEOUT if timeout is None else timeout
    try:
        if impl or model:
            targets = [load_target(impl, model, timeout=timeout)]
        else:
            targets = [t.with_timeout(timeout) for t in builtin_targets().values()]
    except TargetError as exc:
        raise pytest.UsageError(f"chunkattn target: {exc}") from None
    config.stash[_TARGETS] = targets
    return targets


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "check_ctx" not in metafunc.fixturenames:
        return
    targets = _activate(metafunc.config)
    check = getattr(metafunc.function, "chunkattn_check", None)
    applicable = [t for t in targets if check is None or check.skip_reason(t) is None]
    # built-in variants a check does not apply to are simply not paired with it; a lone
    # --impl/--model target keeps the pairing and is skipped with the reason (docs/contract.md: The pytest plugin)
    targets = applicable or targets
    metafunc.parametrize("check_ctx", targets, ids=[t.name for t in targets], indirect=True)


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

    target = request.param
    check = getattr(request.function, "chunkattn_check", None)
    reason = check.skip_reason(target) if check else None
    if reason:
        pytest.skip(f"{check.name} does not apply: {reason}")
    return CheckContext(target, chunkattn_config)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    function = getattr(item, "obj", None)
    check = getattr(function, "chunkattn_check", None)
    if check is None:
        return report
    failed_case = getattr(function, "chunkattn_last_failure", None)
    if failed_case is not None:
        function.chunkattn_last_failure = None
    if report.when == "call" and report.failed and failed_case is not None:
        _store_failure(check.name, item, failed_case, report)
    recording = item.config.getoption("chunkattn_record_seeds")
    if report.when == "call" and report.failed and failed_case is not None and recording:
        from chunkattn._internal.engine.seeds import DEFAULT_PROJECT_SEEDS, add_seed

        path = os.environ.get("CHUNKATTN_SEEDS") or DEFAULT_PROJECT_SEEDS
        try:
            if add_seed(path, check.name, failed_case):
                report.sections.append(
                    ("chunkattn", f"recorded {check.name} {failed_case} in {path}")
                )
        except ValueError as exc:  # a case pinned outside its check's bounds
            report.sections.append(("chunkattn", f"could not record the failure: {exc}"))
    return report


def _store_failure(check: str, item: pytest.Item, case: dict, report: pytest.TestReport) -> None:
    """With a shared database, keep the failing case there for every later run."""
    if not os.environ.get("CHUNKATTN_DB"):
        return
    from chunkattn._internal.engine.database import record_failure
    from chunkattn._internal.integrations.pytest_support import shared_database

    target = getattr(item, "callspec", None)
    name = target.id if target is not None else "chunkattn"
    try:
        record_failure(shared_database(), check, name, case)
    except Exception as exc:
        report.sections.append(("chunkattn", f"could not store the failure: {exc}"))
