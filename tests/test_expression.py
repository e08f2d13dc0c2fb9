"""autodiff.cli.expression: the whitelist parser, the graphs it builds, and where its errors point."""

# ruff: noqa: E501 - one rejected input and its expected caret per line

import math

import pytest

from autodiff import OPS
from autodiff.cli.expression import FUNCTIONS, ExpressionError, parse, parse_binding

ONE_INPUT_FUNCTIONS = [op for op in OPS.values() if op.arity == 1 and op.syntax == "call"]


def test_the_functions_are_read_from_the_op_table():
    # every function of one Value in the table, and the n-ary ones that take one list
    assert set(FUNCTIONS) == {op.name for op in ONE_INPUT_FUNCTIONS} | {"sum", "max", "min"}
    assert {"abs", "exp", "tanh", "leaky_relu"} <= set(FUNCTIONS)
    assert FUNCTIONS["leaky_relu"].signature == "leaky_relu(x, slope=0.01)"
    assert FUNCTIONS["max"].signature == "max(x, y, ...)"
    assert all(name in OPS for name in FUNCTIONS)


@pytest.mark.parametrize("op", ONE_INPUT_FUNCTIONS, ids=lambda op: op.name)
def test_each_function_of_one_input_makes_its_op(op):
    root, leaves = parse(f"{op.name}(x)").graph({"x": 0.5})
    assert root.op is op and root.parents == (leaves["x"],)
    assert root.data == op.on_floats([0.5], None if op.constant is None else op.constant.default)


def test_a_neuron_gives_its_value_and_gradients():
    root, leaves = parse("tanh(x*w + b)").graph({"x": 2.0, "w": -3.0, "b": 6.8813735870195432})
    root.backward()
    assert root.data == pytest.approx(1 / math.sqrt(2), rel=1e-15)
    assert leaves["x"].grad == pytest.approx(-1.5, rel=1e-14)
    assert leaves["w"].grad == pytest.approx(1.0, rel=1e-14)
    assert leaves["b"].grad == pytest.approx(0.5, rel=1e-14)
    assert [leaves[n].name for n in ("x", "w", "b")] == ["x", "w", "b"]


def test_names_are_listed_in_order_of_first_appearance():
    assert parse("b + tanh(a * b) + c").names == ("b", "a", "c")


@pytest.mark.parametrize(
    ("text", "x", "expected", "dx"),
    [
        ("-x**2", 3.0, -9.0, -6.0),  # ** binds tighter than unary minus, as in Python
        ("+x - 1/x", 2.0, 1.5, 1.25),
        ("x*x*x", 2.0, 8.0, 12.0),
        ("2 ** x", 3.0, 8.0, 8.0 * math.log(2)),
        ("leaky_relu(x)", -2.0, -0.02, 0.01),
        ("leaky_relu(x, 0.1 * 2)", -2.0, -0.4, 0.2),
        ("max(x, 2*x, 1)", 3.0, 6.0, 2.0),
        ("min(x, 1)", 3.0, 1.0, 0.0),
        ("sum(x, x, 1)", 3.0, 7.0, 2.0),
        ("abs(x) + sqrt(x * x)", -3.0, 6.0, -2.0),
        ("sigmoid(0) * x", 3.0, 1.5, 0.5),
        ("2 + 3", 1.0, 5.0, 0.0),
    ],
)
def test_arithmetic_follows_python_precedence(text, x, expected, dx):
    root, leaves = parse(text).graph({"x": x})
    root.backward()
    assert root.data == pytest.approx(expected, rel=1e-15)
    assert leaves.get("x") is None or leaves["x"].grad == pytest.approx(dx, rel=1e-15)


def test_a_number_beside_a_value_is_the_ops_constant_and_a_repeated_name_one_leaf():
    root, leaves = parse("x * x * 2").graph({"x": 3.0})
    assert root.op is OPS["mul_const"] and root.arg == 2.0
    square = root.parents[0]
    assert square.parents == (leaves["x"], leaves["x"])


def test_a_long_expression_needs_no_recursion():
    root, leaves = parse(" + ".join(["x"] * 1000)).graph({"x": 1.5})
    root.backward()
    assert root.data == 1500.0 and leaves["x"].grad == 1000.0


def _error(text, bindings=None):
    with pytest.raises(ExpressionError) as caught:
        parse(text).graph(bindings or {"x": 1.0, "y": 2.0})
    return caught.value


@pytest.mark.parametrize(
    ("text", "message", "pointer"),
    [
        ('__import__("os").system("ls")', "only the functions of --help can be called",
         '__import__("os").system("ls")\n^^^^^^^^^^^^^^^^^^^^^^^'),
        ("x.data + 1", "attributes are not supported", "x.data + 1\n^^^^^^"),
        ("x + y[0]", "subscripts are not supported", "x + y[0]\n    ^^^^"),
        ("(lambda: x)", "lambdas are not supported", "(lambda: x)\n ^^^^^^^^^"),
        ('x + "1"', "str constants are not supported", 'x + "1"\n    ^^^'),
        ("sum([v for v in x])", "comprehensions are not supported", "sum([v for v in x])\n    ^^^^^^^^^^^^^^"),
        ("tanh(foo(x))", "unknown function 'foo': the functions are abs, ", "tanh(foo(x))\n     ^^^"),
        ("x + z", "name 'z' has no value: pass it as z=NUMBER", "x + z\n    ^"),
        ("tanh(x, 2)", "tanh() takes 1 argument, got 2: tanh(x)", "tanh(x, 2)\n^^^^^^^^^^"),
        ("leaky_relu(x, 1, 2)", "leaky_relu() takes 1 to 2 arguments, got 3", "leaky_relu(x, 1, 2)\n" + "^" * 19),
        ("max()", "max() needs at least one argument", "max()\n^^^^^"),
        ("leaky_relu(x, y)", "leaky_relu()'s slope must be a number, not depend on a variable",
         "leaky_relu(x, y)\n              ^"),
        ("tanh(x, slope=1)", "keyword arguments are not supported", "tanh(x, slope=1)\n        ^^^^^^^"),
        ("x // 2", "unsupported operator: the operators are + - * / **", "x // 2\n  ^^"),
        ("x % (2)", "unsupported operator", "x % (2)\n  ^"),
        ("not x", "unsupported operator: the unary operators are - and +", "not x\n^^^^^"),
        ("x < y", "comparisons are not supported", "x < y\n^^^^^"),
        ("x if y else 1", "conditional expressions are not supported", "x if y else 1\n^^^^^^^^^^^^^"),
        ("exp", "exp is a function: call it, as in exp(x)", "exp\n^^^"),
        ("2j * x", "complex constants are not supported", "2j * x\n^^"),
        ("x * 1e999", "this number is too large for a float", "x * 1e999\n    ^^^^^"),
        ("x + (", "syntax error: '(' was never closed", "x + (\n    ^"),
        ("log(x - 2)", "log(-1.0) is undefined: log needs x > 0", "log(x - 2)\n^^^^^^^^^^"),
        ("ü + log(ü - 2)", "log(-1.0) is undefined", "ü + log(ü - 2)\n    ^^^^^^^^^^"),
        ("x / (y - 2)", "division by zero in x / (y - 2)", "x / (y - 2)\n^^^^^^^^^^^"),
        ("1 / (2 - 2)", "division by zero in 1 / (2 - 2)", "1 / (2 - 2)\n^^^^^^^^^^^"),
        ("(0 - 8) ** (1 / 3)", "is not a real number", "(0 - 8) ** (1 / 3)\n" + "^" * 18),
        ("exp(x * 1000)", "exp(x * 1000) overflows: the result is too large for a float", "exp(x * 1000)\n^^^^^^^^^^^^^"),
    ],
)
def test_rejected_input_points_at_the_offending_part(text, message, pointer):
    error = _error(text, {"x": 1.0, "y": 2.0, "ü": 1.0})
    assert message in error.message
    assert error.pointer() == pointer


def test_an_empty_expression_is_rejected():
    assert _error("   ").message == "the expression is empty"


@pytest.mark.parametrize(
    ("text", "message", "pointer"),
    [
        ("x", "'x' is not a binding: write NAME=NUMBER", "x\n^"),
        ("2x=1", "'2x' is not a name", "2x=1\n^^"),
        ("exp=1", "'exp' is a function", "exp=1\n^^^"),
        ("x=abc", "'abc' is not a number", "x=abc\n  ^^^"),
        ("x=", "'' is not a number", "x=\n  ^"),
        ("x=inf", "inf is not a finite number", "x=inf\n  ^^^"),
        ("x=1e999", "1e999 is not a finite number", "x=1e999\n  ^^^^^"),
    ],
)
def test_bad_bindings_point_at_the_bad_part(text, message, pointer):
    with pytest.raises(ExpressionError) as caught:
        parse_binding(text)
    assert message in caught.value.message and caught.value.pointer() == pointer


def test_bindings_parse_as_floats():
    assert parse_binding("w=-3") == ("w", -3.0)
    assert parse_binding("b=6.8813735870195432") == ("b", 6.8813735870195432)
