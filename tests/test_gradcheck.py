"""gradcheck and numerical_gradient: verdicts, the report a student reads, inputs, bad arguments."""

import doctest
import importlib
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import autodiff
from autodiff import OPS, GradcheckError, Value, gradcheck, numerical_gradient


def table_rows(message):
    """The rows of a report's table: (marked, cells) for each line under the header."""
    lines = message.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["output", "input"]) + 1
    rows = []
    for line in lines[start:]:
        if not line.strip() or line.lstrip().startswith("..."):
            break
        rows.append((line[2] == "✗", line[4:].split()))
    return rows


def marked_cells(message):
    return [cells for marked, cells in table_rows(message) if marked]


def leaks_through_data(x, y):
    """x·y, but y enters as a plain number: backward() never reaches y."""
    return x * Value(y.data)


def test_correct_gradients_pass():
    assert gradcheck(lambda x, y: (x * y).tanh(), [0.5, -1.25]) is True
    assert gradcheck(lambda x, y, z: autodiff.max([x * y, z.exp()]) / (z * z + 1), [0.3, 2.0, -0.4])


def test_numerical_gradient_matches_hand_derivatives():
    # d(x·y + y)/dx = y, d/dy = x + 1; d(x³)/dx = 3x²
    assert numerical_gradient(lambda x, y: x * y + y, [2.0, 3.0]) == pytest.approx([3.0, 3.0], rel=1e-8)
    assert numerical_gradient(lambda x: x**3, [2.0]) == pytest.approx([12.0], rel=1e-8)
    # central differences: the error is eps²·f'''/6, so a smaller eps is closer here
    assert numerical_gradient(lambda x: x.exp(), [1.0], eps=1e-4) == pytest.approx([math.e], rel=1e-8)


def test_numerical_gradient_needs_one_output():
    with pytest.raises(TypeError, match="one Value"):
        numerical_gradient(lambda x: [x, x], [1.0])  # type: ignore[arg-type, return-value]


def test_a_gradient_lost_through_data_fails_with_a_table_naming_the_input():
    with pytest.raises(GradcheckError) as caught:
        gradcheck(leaks_through_data, [0.5, 2.0])
    message = str(caught.value)
    assert "1 of 2 partial derivatives" in message
    # inputs given as a list are labelled by f's parameter names
    assert "point: x = 0.5, y = 2.0" in message
    rows = table_rows(message)
    # d/dy: analytical 0 (no path), numerical x = 0.5, absolute error 0.5, relative error 1
    assert rows[1] == (True, ["0", "1", "(y)", "0", "0.5", "5.0e-01", "1.0e+00", "←", "first", "mismatch"])
    assert rows[0][0] is False and rows[0][1][:3] == ["0", "0", "(x)"] and len(rows) == 2
    assert "no path in the graph between input 1 (y) and output 0" in message
    assert ".data" in message


def test_inputs_without_a_parameter_name_are_numbered_and_named_leaves_keep_their_names():
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda *inputs: leaks_through_data(*inputs), [0.5, 2.0])
    assert "point: inputs[0] = 0.5, inputs[1] = 2.0" in str(caught.value)
    assert "between input 1 and output 0" in str(caught.value)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(leaks_through_data, [Value(0.5, name="weight"), 2.0])
    assert "point: weight = 0.5, y = 2.0" in str(caught.value)


def test_named_inputs_label_the_report_and_are_passed_by_keyword():
    # the mapping's order differs from f's parameters: inputs go by name
    assert gradcheck(lambda x, y: x / y, {"y": 2.0, "x": 1.0})
    with pytest.raises(GradcheckError) as caught:
        gradcheck(leaks_through_data, {"x": 0.5, "y": 2.0})
    assert "point: x = 0.5, y = 2.0" in str(caught.value)
    assert "1 (y)" in str(caught.value)
    assert "between input 1 (y) and output 0" in str(caught.value)


def test_several_outputs_are_checked_one_by_one():
    assert gradcheck(lambda x, y: [x * y, (x + y).sin(), x], [0.5, 2.0])
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, y: (x * y, leaks_through_data(x, y)), [0.5, 2.0])
    assert [cells[:2] for cells in marked_cells(str(caught.value))] == [["1", "1"]]


def test_raise_exception_false_returns_false():
    assert gradcheck(leaks_through_data, [0.5, 2.0], raise_exception=False) is False
    assert gradcheck(lambda x, y: x * y, [0.5, 2.0], raise_exception=False) is True


def test_an_infinite_gradient_is_a_mismatch_in_the_table():
    # sqrt(|x|) at 0, with |x| as leaky_relu of slope −1 (gradient −1 at 0): backward gives −inf,
    # central differences (√eps − √eps) / 2·eps give 0
    assert gradcheck(lambda x: x.leaky_relu(-1.0).sqrt(), [0.0], raise_exception=False) is False
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x: x.leaky_relu(-1.0).sqrt(), [0.0])
    assert marked_cells(str(caught.value))[0][:5] == ["0", "0", "(x)", "-inf", "0"]
    assert "sqrt(0): its local derivative is inf here" in " ".join(str(caught.value).split())
    # NaN (0 · inf) too: the reviewer's norm at the origin
    assert gradcheck(lambda x: (x * x).sqrt(), [0.0], raise_exception=False) is False


def test_an_error_raised_by_backward_is_a_failed_check():
    tanh = OPS["tanh"]
    right = tanh.derivative

    def broken(*args):
        raise ZeroDivisionError("float division by zero")

    x = Value(0.5, name="x")
    object.__setattr__(tanh, "derivative", broken)
    try:
        assert gradcheck(lambda x: x.tanh() * 2, [x], raise_exception=False) is False
        with pytest.raises(GradcheckError, match=r"backward\(\) of output 0 raised ZeroDivisionError") as caught:
            gradcheck(lambda x: x.tanh() * 2, [x])
    finally:
        object.__setattr__(tanh, "derivative", right)
    assert "tanh(0.5)" in str(caught.value) and "point: x = 0.5" in str(caught.value)
    assert x.grad == 0.0 and x.data == 0.5
    # an error of f itself at the point is not a verdict on gradients: it propagates
    with pytest.raises(OverflowError, match="exp"):
        gradcheck(lambda x: x.exp(), [800.0], raise_exception=False)


def test_gradcheck_error_is_an_assertion_error():
    assert issubclass(GradcheckError, AssertionError)


def test_leaf_values_are_used_themselves_and_left_as_found():
    w = Value(0.3, name="w")
    w.grad = 5.0
    hidden = Value(-1.5, name="hidden")  # reached through the closure, not an input
    hidden.grad = 7.0
    # f ignores its argument and uses w through the closure, as a loss uses a model's parameters
    assert gradcheck(lambda _: (w * hidden).tanh(), [w])
    assert (w.data, w.grad, hidden.data, hidden.grad) == (0.3, 5.0, -1.5, 7.0)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda _: Value(w.data) * hidden, [w])
    assert "0 (w)" in str(caught.value) and "point: w = 0.3" in str(caught.value)
    assert (w.data, w.grad, hidden.data, hidden.grad) == (0.3, 5.0, -1.5, 7.0)


def test_data_is_restored_when_f_raises_mid_check():
    x = Value(1e-7)
    with pytest.raises(ValueError, match="undefined near the point"):
        gradcheck(lambda x: x.sqrt(), [x])
    assert x.data == 1e-7


def test_numpy_scalars_are_numbers():
    assert gradcheck(lambda x, y: x * y, [np.float64(0.5), np.int64(3)])


@pytest.mark.parametrize(
    ("inputs", "error", "words"),
    [
        ([], ValueError, "at least one input"),
        ("ab", TypeError, "sequence of numbers"),
        (3.0, TypeError, "sequence of numbers"),
        (["a"], TypeError, "input 0 must be a number or a Value, got str"),
        ([True], TypeError, "got bool"),
        ([math.inf], ValueError, "finite points"),
        ([math.nan], ValueError, "finite points"),
        ({1: 2.0}, TypeError, "names must be str"),
    ],
)
def test_bad_inputs_are_named(inputs, error, words):
    with pytest.raises(error, match=re.escape(words)):
        gradcheck(lambda *xs: xs[0], inputs)


def test_an_interior_node_or_a_repeated_leaf_is_not_an_input():
    x = Value(1.0)
    with pytest.raises(ValueError, match="result of mul_const, not a leaf"):
        gradcheck(lambda v: v, [x * 2.0])
    with pytest.raises(ValueError, match="same Value twice"):
        gradcheck(lambda a, b: a * b, [x, x])


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"eps": 0.0}, "eps must be a finite number > 0"),
        ({"eps": math.nan}, "eps must be"),
        ({"atol": -1.0}, "atol must be a finite number >= 0"),
        ({"rtol": math.inf}, "rtol must be"),
        ({"directions": 0}, "directions must be an int >= 1"),
    ],
)
def test_bad_options_are_named(options, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        gradcheck(lambda x: x, [1.0], **options)


def test_f_must_return_values():
    with pytest.raises(TypeError, match=r"did f compute with \.data"):
        gradcheck(lambda x: x.data * 2, [1.0])  # type: ignore[arg-type, return-value]
    with pytest.raises(TypeError, match="non-empty sequence of Values"):
        gradcheck(lambda x: [], [1.0])


def test_f_undefined_within_eps_is_a_value_error_naming_the_input():
    with pytest.raises(ValueError, match=r"moving input 0 \(x\) by -1e-06 raised ValueError"):
        gradcheck(lambda x: x.log(), [1e-7])


def test_a_kink_at_the_point_is_explained():
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x: (x - 1.0).relu(), [1.0])
    assert "relu(0) is at a kink or a tie" in str(caught.value)
    assert "is a convention" in str(caught.value)


def test_many_rows_show_only_the_mismatches():
    inputs = [0.1 * k for k in range(1, 31)]

    def f(*xs):
        return autodiff.sum([x.tanh() for x in xs[:-1]]) + Value(xs[-1].data) * xs[0]

    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, inputs)
    assert [cells[:2] for cells in marked_cells(str(caught.value))] == [["0", "29"]]
    assert len(table_rows(str(caught.value))) == 1
    assert "... and 29 more rows, not shown" in str(caught.value)


class CountingCalls:
    """A smooth function of many inputs that counts how often it is called."""

    def __init__(self, leak: int | None = None):
        self.calls = 0
        self.leak = leak

    def __call__(self, *xs):
        self.calls += 1
        total = autodiff.sum([(x * (k + 1) * 0.1).tanh() for k, x in enumerate(xs)])
        if self.leak is not None:
            total = total + Value(xs[self.leak].data) * 3.0
        return total


def test_fast_mode_calls_f_twice_per_direction_not_per_input():
    inputs = [0.01 * k for k in range(50)]
    full, fast = CountingCalls(), CountingCalls()
    assert gradcheck(full, inputs)
    assert gradcheck(fast, inputs, fast_mode=True, directions=3)
    assert full.calls == 1 + 2 * 50
    assert fast.calls == 1 + 2 * 3


def test_fast_mode_falls_back_to_the_full_check_to_name_the_input():
    f = CountingCalls(leak=17)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, [0.01 * k for k in range(50)], fast_mode=True)
    assert [cells[:2] for cells in marked_cells(str(caught.value))] == [["0", "17"]]
    assert gradcheck(CountingCalls(leak=17), [0.01 * k for k in range(50)], fast_mode=True,
                     raise_exception=False) is False


def test_fast_mode_directions_are_seeded():
    # the same seed draws the same directions: the same calls, the same numbers
    seen = []

    def f(x, y):
        seen.append((x.data, y.data))
        return x * y

    gradcheck(f, [0.5, 2.0], fast_mode=True, seed=3)
    first, seen[:] = list(seen), []
    gradcheck(f, [0.5, 2.0], fast_mode=True, seed=3)
    assert seen == first
    seen.clear()
    gradcheck(f, [0.5, 2.0], fast_mode=True, seed=4)
    assert seen != first


def test_docstring_examples_run():
    # autodiff.gradcheck is the function; the module of the same name is imported by name
    results = doctest.testmod(importlib.import_module("autodiff.checking.gradcheck"))
    assert results.attempted > 0 and results.failed == 0


USER_TESTS = '''
from autodiff import Value, gradcheck, gradgradcheck
from autodiff.testing import assert_gradients_close


def test_gradcheck():
    gradcheck(lambda x, w: x * Value(w.data), [0.5, -1.5])


def test_assert_gradients_close():
    assert_gradients_close(lambda x, w: x * Value(w.data), [0.5, -1.5])


def test_gradgradcheck():
    gradgradcheck(lambda x, w: x * x * Value(w.data), [0.5, -1.5])
'''


def test_in_pytest_a_failure_shows_the_callers_line_then_the_report_not_the_librarys_source(tmp_path):
    (tmp_path / "test_user.py").write_text(USER_TESTS, encoding="utf-8")
    root = Path(__file__).resolve().parents[1]
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"], cwd=tmp_path,
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert "3 failed" in finished.stdout
    failures = re.split(r"_{5,} test_\w+ _{5,}", finished.stdout)[1:]
    assert len(failures) == 3
    for failure in failures:
        lines = failure.strip().splitlines()
        caller = next(i for i, line in enumerate(lines) if line.startswith(">"))
        # the test's own line, then at once the error and its table: no frame of the library
        assert lines[caller + 1].startswith("E       autodiff.checking.gradcheck.GradcheckError: ")
        assert "1 (w)" in failure
        assert "autodiff/checking" not in failure
