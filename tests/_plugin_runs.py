"""Running chunkattn's installed pytest plugin in this process, as a user's ``pytest --pyargs
chunkattn.properties`` runs it (pytester's ``runpytest_inprocess``: no new interpreter, so no
second torch import).

Import this module at the top of a test file that does so. The pytester fixture snapshots
``sys.modules`` when a test starts and drops every module first imported during the test when
it ends, and a later test in the same worker would then meet a second copy of their classes:
Hypothesis's strategies (``chunkattn.testing`` imports them), and the process pool's, which an
in-process ``fuzz`` imports and ``concurrent.futures`` keeps a reference to, so a later
``survey --workers`` could no longer pickle its work items. Importing them here, before any
test, keeps them out of every snapshot's difference.
"""

from __future__ import annotations

import concurrent.futures.process  # noqa: F401

import pytest

import chunkattn.testing  # noqa: F401


def run_properties(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """``pytest -q -p no:randomly -p no:cacheprovider --pyargs chunkattn.properties ARGS`` in
    this process: the installed plugin's property tests, in their own order, writing no cache."""
    return pytester.runpytest_inprocess(
        "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "--pyargs", "chunkattn.properties",
        *args,
    )  # fmt: skip
