"""Every `>>>` example in the packages' docstrings runs and prints what it shows."""

import doctest
import importlib
import pkgutil

import pytest

import autodiff
import nn
import rl


def modules_of(package):
    yield package.__name__
    for module in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
        if not module.name.endswith("__main__"):
            yield module.name


MODULES = [name for package in (autodiff, nn, rl) for name in modules_of(package)]


def test_the_examples_are_found():
    examples = sum(len(test.examples) for name in MODULES for test in doctest.DocTestFinder().find(
        importlib.import_module(name)))
    assert examples >= 20


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {name} failed (shown above)"
