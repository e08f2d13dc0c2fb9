"""Documented conventions at the edges: x ** y at y = 0, slopes at NaN, max/min ties with constants.

Each convention is checked on every path that evaluates derivatives: reverse mode on floats,
forward mode (`jvp`), derivatives as Value graphs (``create_graph``) and the compiled numpy replay.
"""

import math

import numpy as np
import pytest

import autodiff
from autodiff import Value

NAN = math.nan


def reverse_slopes(f, *inputs):
    leaves = [Value(x) for x in inputs]
    f(*leaves).backward()
    return [leaf.grad for leaf in leaves]


def graph_slopes(f, *inputs):
    leaves = [Value(x) for x in inputs]
    return [g.data for g in autodiff.grad(f(*leaves), leaves, create_graph=True)]


def forward_slopes(f, *inputs):
    slopes = []
    for i in range(len(inputs)):
        tangents = [1.0 if j == i else 0.0 for j in range(len(inputs))]
        slopes.append(autodiff.jvp(f, list(inputs), tangents)[1])
    return slopes


def compiled_slopes(f, *inputs):
    compiled = autodiff.compile(f, params=[])
    return compiled.value_and_grad(np.array([inputs])).inputs[0].tolist()


PATHS = [reverse_slopes, graph_slopes, forward_slopes, compiled_slopes]


@pytest.mark.parametrize(
    ("slopes", "base"),
    [(slopes, base) for slopes in PATHS for base in (5e-324, 1e-310, 2.0, 1e300)
     # a graph of the derivative holds x ** (y - 1) itself, which overflows for these (see below)
     if not (slopes is graph_slopes and base < 1e-308)],
)
def test_the_gradient_of_x_to_a_zero_power_is_zero_to_x(slopes, base):
    d_x, d_y = slopes(lambda x, y: x**y, base, 0.0)
    assert d_x == 0.0
    assert d_y == pytest.approx(math.log(base))  # out · log x with out = 1
    assert reverse_slopes(lambda x: x**0, base) == [0.0]  # the constant exponent agrees


def test_a_graph_of_the_derivative_at_a_subnormal_base_raises_as_documented():
    """With create_graph the second derivative needs x ** -1 as a Value: it overflows, and says so."""
    with pytest.raises(OverflowError, match=r"grad\(\) through pow\(5e-324, 0.0\) failed"):
        graph_slopes(lambda x, y: x**y, 5e-324, 0.0)


@pytest.mark.parametrize("slopes", [reverse_slopes, graph_slopes, compiled_slopes])
def test_a_nan_base_to_a_zero_power_sends_zero_to_the_base(slopes):
    assert slopes(lambda x, y: x**y, NAN, 0.0)[0] == 0.0


def test_a_forward_tangent_along_a_nan_base_meets_the_nan_slope_to_the_exponent():
    """jvp adds every partial times its tangent: log(NaN) · 0 is NaN, as in IEEE arithmetic."""
    assert math.isnan(forward_slopes(lambda x, y: x**y, NAN, 0.0)[0])


def test_the_second_derivative_through_a_zero_exponent_stays_exact():
    """d²(x ** y)/dx dy at y = 0 is 1/x: zeroing the slope must not cut the graph through y."""
    assert autodiff.hessian(lambda x, y: x**y, [2.0, 0.0])[0][1] == 0.5


@pytest.mark.parametrize("slopes", PATHS)
@pytest.mark.parametrize(
    "f", [abs, lambda x: x.relu(), lambda x: x.leaky_relu(0.1)], ids=["abs", "relu", "leaky_relu"]
)
def test_the_slope_at_nan_is_nan(slopes, f):
    assert math.isnan(slopes(f, NAN)[0])


@pytest.mark.parametrize(
    ("f", "at_zero"), [(abs, 0.0), (lambda x: x.relu(), 0.0), (lambda x: x.leaky_relu(0.1), 0.1)],
    ids=["abs", "relu", "leaky_relu"],
)
@pytest.mark.parametrize("slopes", PATHS)
def test_the_slopes_at_the_kink_are_unchanged(slopes, f, at_zero):
    assert slopes(f, 0.0) == [at_zero]


def test_a_value_tying_the_constant_bound_of_max_takes_the_gradient():
    a, b = Value(1.0), Value(3.0)
    autodiff.max([a, 3.0, b]).backward()
    assert (a.grad, b.grad) == (0.0, 1.0)


def test_a_constant_beating_every_value_of_max_takes_the_gradient_from_all():
    a, b = Value(1.0), Value(2.0)
    result = autodiff.max([a, 3.0, b])
    result.backward()
    assert result.data == 3.0 and (a.grad, b.grad) == (0.0, 0.0)


def test_a_tie_between_values_sends_everything_to_the_first():
    a, b = Value(3.0), Value(3.0)
    autodiff.min([a, b]).backward()
    assert (a.grad, b.grad) == (1.0, 0.0)
