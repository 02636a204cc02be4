"""The examples in the package's docstrings are true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "chunkattn.adapters.conventions",
    "chunkattn._internal.contract.core",
    "chunkattn._internal.contract.loader",
    "chunkattn._internal.impl.masks",
    "chunkattn._internal.impl.sampler",
    "chunkattn._internal.impl.model",
    "chunkattn._internal.commands.render",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
