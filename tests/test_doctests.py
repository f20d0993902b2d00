"""The examples in the docstrings of the time base, the NIC identity, the vocabulary, the JSON
contract and the counter-path parser run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ("kit.identity", "kit.inputs.timebase", "kit.vocabulary", "kit.contract", "kit.io.perfmon.paths")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
