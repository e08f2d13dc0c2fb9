"""`gradgradcheck`: verdicts on right and wrong second derivatives, and its report."""

import math
import re

import pytest
from hypothesis import given

import autodiff
from autodiff import OPS, GradcheckError, Op, Value, apply, gradgradcheck
from autodiff.testing import programs


@pytest.mark.parametrize(
    ("f", "point"),
    [
        (lambda x, y: (x * y).tanh() + x.exp(), [0.5, -1.2]),
        (lambda x, y: x**y + (x / y).log(), [1.7, 0.6]),
        (lambda x, y, z: autodiff.dot([x, y, z], [z, x, y]).sigmoid() * z.sin(), [0.3, -0.8, 1.1]),
        (lambda x: (1 + x * x).sqrt().softplus() + 2**x, [0.9]),
        (lambda x, y: autodiff.max([x, y]) * x.relu() + abs(y), [1.5, -0.5]),
    ],
)
def test_right_second_derivatives_pass(f, point):
    assert gradgradcheck(f, point) is True


@given(programs(n_inputs=2, max_ops=6))
def test_random_programs_over_the_whole_op_table_pass(program):
    assert gradgradcheck(lambda *xs: autodiff.sum(program(*xs)), program.inputs)


def test_a_function_that_detaches_fails_with_a_table_naming_both_derivatives():
    # f = x · detach(x) · y: df/dx = detach(x) · y has derivative 0 by x in the graph, y = 2 in
    # fact; df/dy = x · detach(x) has derivative detach(x) = 0.5 by x in the graph, 2x = 1 in fact
    f = lambda x, y: x * x.detach() * y
    with pytest.raises(GradcheckError) as raised:
        gradgradcheck(f, [Value(0.5, name="x"), Value(2.0, name="y")])
    message = str(raised.value)
    assert message.startswith("gradgradcheck: 2 of 4 second derivatives disagree")
    assert "point: x = 0.5, y = 2.0" in message
    assert "atol=1e-05, rtol=0.001, eps=1e-06" in message
    rows = [line for line in message.splitlines() if line.startswith("  ✗")]
    assert [row.split()[:6] for row in rows] == [
        ["✗", "df/dx", "0", "(x)", "0", "2"],
        ["✗", "df/dy", "0", "(x)", "0.5", "1"],
    ]
    assert rows[0].endswith("← first mismatch")
    assert "detach()" in message
    assert gradgradcheck(f, [0.5, 2.0], raise_exception=False) is False


def _tanh_dropping_the_graph() -> Op:
    # right on floats, so backward() and gradcheck are right; on Values float() makes it a constant
    tanh = OPS["tanh"]
    return Op("tanh", 1, tanh.forward, lambda m, x, out, a: 1.0 - float(out) ** 2, tanh.template, tanh.doc)


def test_an_op_whose_derivative_rule_drops_the_graph_fails():
    tanh = _tanh_dropping_the_graph()
    assert autodiff.gradcheck(lambda x: apply(tanh, x), [0.7])
    with pytest.raises(GradcheckError, match=r"df/dx\s+0 \(x\)\s+0\s+-0\.7"):
        gradgradcheck(lambda x: apply(tanh, x), [0.7])


def test_at_a_kink_the_numbers_differ_as_documented():
    # relu(x)²: f'(x) = 2 relu(x), so f''(0) is 0 by the op table's relu'(0) = 0 and 1 by differences
    assert gradgradcheck(lambda x: x.relu() ** 2, [0.0], raise_exception=False) is False
    assert gradgradcheck(lambda x: x.relu() ** 2, [0.5]) is True


def test_a_big_hessian_shows_only_the_mismatches():
    f = lambda a, b, c, d: a * a.detach() + b * c * d
    with pytest.raises(GradcheckError) as raised:
        gradgradcheck(f, {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0})
    rows = [line for line in str(raised.value).splitlines() if line.startswith("  ✗")]
    assert len(rows) == 1 and rows[0].split()[1:4] == ["df/da", "0", "(a)"]
    assert "... and 15 more rows, not shown" in str(raised.value)


def test_the_users_values_keep_their_data_and_grad():
    x, y = Value(0.5, name="x"), Value(2.0, name="y")
    x.grad, y.grad = 3.0, -4.0
    assert gradgradcheck(lambda x, y: x * y.sin(), [x, y])
    assert (x.data, y.data, x.grad, y.grad) == (0.5, 2.0, 3.0, -4.0)


def test_undefined_near_the_point_is_a_value_error_naming_the_input():
    with pytest.raises(ValueError, match=r"moving input 0 \(x\) by -1e-06 raised"):
        gradgradcheck(lambda x: x.log(), [1e-7])


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"eps": 0.0}, "eps must be a finite number > 0"),
        ({"eps": math.nan}, "eps must be a finite number > 0"),
        ({"atol": -1.0}, "atol must be a finite number >= 0"),
        ({"rtol": math.inf}, "rtol must be a finite number >= 0"),
    ],
)
def test_bad_options_are_value_errors(options, words):
    with pytest.raises(ValueError, match=words):
        gradgradcheck(Value.exp, [1.0], **options)


def test_f_must_return_values():
    with pytest.raises(TypeError, match="return a Value or a non-empty sequence of Values, got float"):
        gradgradcheck(lambda x: x.data, [1.0])
    with pytest.raises(TypeError, match="got list"):
        gradgradcheck(lambda x: [], [1.0])
    with pytest.raises(TypeError, match=r"got tuple \(Value"):
        gradgradcheck(lambda x: (x.exp(), 2.0), [1.0])


# ---------------------------------------------------------------------------------------------
# several outputs


def test_every_output_of_a_sequence_is_checked():
    assert gradgradcheck(lambda x, y: [(x * y).tanh(), x.exp() * y, autodiff.sum([x, y])], [0.5, -1.2])
    assert gradgradcheck(lambda x, y: (x, y * y), [0.5, -1.2])


def test_a_wrong_second_derivative_in_one_output_of_three_is_caught_and_named():
    # f[1] = x · detach(x) · y, as in the one-output test: df[1]/dx = detach(x) · y has derivative
    # 0 by x in the graph, y = 2 in fact; df[1]/dy = x · detach(x) has 0.5 and 1; f[0], f[2] are right
    f = lambda x, y: (x.sin() * y, x * x.detach() * y, (x * y).exp())
    with pytest.raises(GradcheckError) as raised:
        gradgradcheck(f, [Value(0.5, name="x"), Value(2.0, name="y")])
    message = str(raised.value)
    assert message.startswith("gradgradcheck: 2 of 12 second derivatives disagree")
    assert "wrong in f[1] of the 3 outputs" in message
    rows = [line for line in message.splitlines() if line.startswith("  ✗")]
    assert [row.split()[:6] for row in rows] == [
        ["✗", "df[1]/dx", "0", "(x)", "0", "2"],
        ["✗", "df[1]/dy", "0", "(x)", "0.5", "1"],
    ]
    assert rows[0].endswith("← first mismatch")
    checked = {line.split()[0] for line in message.splitlines()[5:] if line.startswith("    d")}
    assert checked == {f"df[{k}]/d{name}" for k in range(3) for name in "xy"}  # every output's rows, unmarked
    assert "input 0 (x) and df[1]/dx" in message
    assert gradgradcheck(f, [0.5, 2.0], raise_exception=False) is False


def test_a_broken_op_in_the_last_output_only_is_named():
    tanh = _tanh_dropping_the_graph()
    with pytest.raises(GradcheckError, match=r"wrong in f\[1\] of the 2 outputs") as raised:
        gradgradcheck(lambda x: [x.exp(), apply(tanh, x)], [0.7])
    assert re.search(r"✗ df\[1\]/dx\s+0 \(x\)\s+0\s+-0\.7", str(raised.value))
