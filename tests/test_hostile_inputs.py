"""Hostile input to the parts that landed after issue #12's review: the engine checker and the sweeps.

Each test is one hole found by probing, fixed: a traceback, a silent pass, an import named by a file.
"""

import pytest

from autodiff.cli import main
from autodiff.testing import EngineLoadError, check_engine, load_engine

ENGINES = '''
class ProbeRaises:
    def __init__(self, x):
        pass

    def __getattr__(self, name):
        raise RuntimeError("no attribute service")


class ReadsAsText:
    """Makes leaves and supports every operator, but its values are not numbers."""

    def __init__(self, x):
        self.data, self.grad = "abc", 0.0

    def backward(self):
        pass

    def __add__(self, other):
        return self

    __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = __pow__ = __add__
'''


@pytest.fixture
def engines(tmp_path, monkeypatch):
    (tmp_path / "hostile_engines.py").write_text(ENGINES)
    monkeypatch.syspath_prepend(str(tmp_path))


def test_an_engine_whose_probe_raises_is_a_load_error_not_a_traceback(engines, capsys):
    with pytest.raises(EngineLoadError, match=r"hostile_engines:ProbeRaises\(0.5\) could not be probed: "
                                              r"RuntimeError: no attribute service"):
        load_engine("hostile_engines:ProbeRaises")
    assert main(["check-engine", "hostile_engines:ProbeRaises"]) == 2
    assert "could not be probed" in capsys.readouterr().err


def test_an_engine_that_supports_no_op_checked_has_not_passed(engines, capsys):
    report = check_engine(load_engine("hostile_engines:ReadsAsText"), ops=["add", "mul"], max_examples=2,
                          depth=2, seed=0)
    assert report.judged == 0 and not report.failures
    assert not report.passed
    status = main(["check-engine", "hostile_engines:ReadsAsText", "--ops", "add,mul", "--examples", "2",
                   "--depth", "2", "--seed", "0"])
    out = capsys.readouterr().out
    assert status == 1
    assert out.rstrip().endswith("No check ran; 2 ops unsupported: the engine supports none of the ops checked, "
                                 "so it has passed nothing.")
