"""Higher-order derivatives and forward mode: `grad`, `hessian`, `hvp`, `jvp`.

Expected numbers come from closed forms or from finite differences of first derivatives
computed by `backward()`, never from the functions under test. Random programs come from
`autodiff.testing.programs`.
"""

import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff
import nn
from autodiff import OPS, Value, grad, hessian, hvp, jvp, topological_order
from autodiff.testing import Program, op_inputs, programs

# ---------------------------------------------------------------------------------------------
# helpers

# random straight-line programs over the whole op table, with shared nodes, at points away from
# every domain edge and kink; `total` makes one output of their several
programs_of_1_to_3_inputs = programs(n_inputs=st.integers(1, 3), max_ops=6)
vectors = st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=3)


def total(program: Program) -> Callable[..., Value]:
    return lambda *xs: autodiff.sum(program(*xs))


def backward_gradient(f: Callable[..., Value], point: Sequence[float]) -> list[float]:
    leaves = [Value(x) for x in point]
    f(*leaves).backward()
    return [leaf.grad for leaf in leaves]


def finite_difference_hessian(f: Callable[..., Value], point: Sequence[float], h: float = 1e-5) -> list[list[float]]:
    """H[i][j] from central differences D(step) = (df/dx_j at x + step e_i − at x − step e_i) / 2 step.

    The gradients come from backward(). Richardson's (4 D(h/2) − D(h)) / 3 cancels the h² error term,
    which a fast-turning f makes larger than the tolerance: for x ** -4.25 · sin(x ** -4.25) at 0.5,
    D(h) alone is 0.09 off a second derivative of −4412.15.
    """

    def central(i: int, step: float) -> list[float]:
        up = backward_gradient(f, [x + step if k == i else x for k, x in enumerate(point)])
        down = backward_gradient(f, [x - step if k == i else x for k, x in enumerate(point)])
        return [(u - d) / (2 * step) for u, d in zip(up, down, strict=True)]

    return [
        [(4 * half - whole) / 3 for half, whole in zip(central(i, h / 2), central(i, h), strict=True)]
        for i in range(len(point))
    ]


def assert_close(actual: float, expected: float, scale: float, tolerance: float = 1e-5) -> None:
    assert abs(actual - expected) <= tolerance * (scale + abs(expected)), (actual, expected)


# ---------------------------------------------------------------------------------------------
# properties over random programs


@given(programs_of_1_to_3_inputs)
def test_hessians_are_symmetric_and_equal_finite_differences_of_gradients(program):
    f, point = total(program), program.inputs
    actual = hessian(f, point)
    expected = finite_difference_hessian(f, point)
    scale = 1 + max(abs(h) for row in expected for h in row)
    for i in range(len(point)):
        for j in range(len(point)):
            assert abs(actual[i][j] - actual[j][i]) <= 1e-12 * scale
            assert_close(actual[i][j], expected[i][j], scale)


@given(programs_of_1_to_3_inputs, vectors)
def test_hvp_is_the_hessian_times_the_vector(program, v):
    f, point, v = total(program), program.inputs, v[: len(program.inputs)]
    expected = [sum(h * vj for h, vj in zip(row, v, strict=True)) for row in finite_difference_hessian(f, point)]
    scale = 1 + max(abs(e) for e in expected)
    for actual_i, expected_i in zip(hvp(f, point, v), expected, strict=True):
        assert_close(actual_i, expected_i, scale)


@given(programs_of_1_to_3_inputs, vectors)
def test_jvp_is_the_tangent_dot_the_reverse_mode_gradient(program, tangent):
    f, point, tangent = total(program), program.inputs, tangent[: len(program.inputs)]
    value, derivative = jvp(f, point, tangent)
    gradient = backward_gradient(f, point)
    assert value == f(*map(Value, point)).data
    terms = [g * t for g, t in zip(gradient, tangent, strict=True)]
    assert derivative == pytest.approx(sum(terms), rel=1e-12, abs=1e-12 * (1 + sum(map(abs, terms))))


@given(programs_of_1_to_3_inputs)
def test_grad_without_a_graph_equals_backward_exactly_at_every_node(program):
    out = total(program)(*map(Value, program.inputs))
    nodes = topological_order(out)
    gradients = grad(out, nodes)
    out.backward()
    for node, gradient in zip(nodes, gradients, strict=True):
        assert gradient.op is None and gradient.data == node.grad


@given(programs_of_1_to_3_inputs)
def test_grad_with_a_graph_has_the_same_numbers_and_touches_no_grad(program):
    leaves = [Value(x) for x in program.inputs]
    out = total(program)(*leaves)
    gradients = grad(out, leaves, create_graph=True)
    assert all(node.grad == 0.0 for node in topological_order(out))
    expected = backward_gradient(total(program), program.inputs)
    for gradient, e in zip(gradients, expected, strict=True):
        assert gradient.data == pytest.approx(e, rel=1e-12, abs=1e-12)
    # each gradient is a node of its own: none is a node of f's graph, none is returned twice
    assert not set(gradients) & set(topological_order(out))
    assert len(set(gradients)) == len(gradients)


# ---------------------------------------------------------------------------------------------
# several outputs: vector-Jacobian products


@given(programs_of_1_to_3_inputs, st.lists(st.floats(-2, 2), min_size=6, max_size=6))
def test_a_vjp_is_the_weighted_sum_of_each_outputs_backward_gradient(program, weights):
    leaves = [Value(x) for x in program.inputs]
    outs = program(*leaves)
    weights = weights[: len(outs)]
    expected = [0.0] * len(leaves)
    for k, v in enumerate(weights):
        for i, g in enumerate(backward_gradient(lambda *xs, k=k: program(*xs)[k], program.inputs)):
            expected[i] += v * g
    scale = 1 + max(map(abs, expected))
    for create_graph in (False, True):
        actual = grad(outs, leaves, grad_outputs=weights, create_graph=create_graph)
        for a, e in zip(actual, expected, strict=True):
            assert_close(a.data, e, scale, tolerance=1e-12)
    by_default = [g.data for g in grad(list(outs), leaves)]
    assert by_default == pytest.approx(backward_gradient(total(program), program.inputs))


def test_a_vjp_of_two_outputs_by_hand_and_by_finite_differences():
    # y0 = x·y, y1 = sin x: 2·dy0 − 3·dy1 is (2y − 3 cos x, 2x)
    x, y = Value(0.7), Value(-1.3)
    dx, dy = grad([x * y, x.sin()], [x, y], grad_outputs=[2, -3.0])
    assert (dx.data, dy.data) == pytest.approx((2 * -1.3 - 3 * math.cos(0.7), 2 * 0.7), rel=1e-15)
    h = 1e-6
    weighted = lambda a, b: 2 * a * b - 3 * math.sin(a)
    assert dx.data == pytest.approx((weighted(0.7 + h, -1.3) - weighted(0.7 - h, -1.3)) / (2 * h), rel=1e-8)
    assert dy.data == pytest.approx((weighted(0.7, -1.3 + h) - weighted(0.7, -1.3 - h)) / (2 * h), rel=1e-8)


def test_outputs_that_depend_on_each_other_each_count_once():
    # y = x², z = sin y: dy/dx + dz/dx = 2x + cos(x²)·2x
    x = Value(0.9)
    y = x * x
    z = y.sin()
    (dx,) = grad([y, z], [x])
    assert dx.data == pytest.approx(2 * 0.9 + math.cos(0.81) * 2 * 0.9, rel=1e-15)
    (twice,) = grad([z, z], [x])
    assert twice.data == pytest.approx(2 * math.cos(0.81) * 2 * 0.9, rel=1e-15)
    dy, dz = grad([y, z], [y, z], grad_outputs=[1.0, 10.0])
    assert (dy.data, dz.data) == pytest.approx((1 + 10 * math.cos(0.81), 10.0), rel=1e-15)


def test_a_vjp_with_a_graph_is_differentiable_by_its_weights_and_its_inputs():
    # g = u·d(x²y)/dx + w·d(sin x)/dx = 2uxy + w cos x
    x, y, u, w = Value(0.7), Value(-1.3), Value(0.4), Value(2.5)
    gx, gy = grad([x * x * y, x.sin()], [x, y], grad_outputs=[u, w], create_graph=True)
    assert gx.data == pytest.approx(2 * 0.4 * 0.7 * -1.3 + 2.5 * math.cos(0.7), rel=1e-15)
    assert gy.data == pytest.approx(0.4 * 0.7**2, rel=1e-15)
    by_u, by_w, by_x, by_y = (d.data for d in grad(gx, [u, w, x, y]))
    assert by_u == pytest.approx(2 * 0.7 * -1.3, rel=1e-15)  # dy0/dx
    assert by_w == pytest.approx(math.cos(0.7), rel=1e-15)  # dy1/dx
    assert by_x == pytest.approx(2 * 0.4 * -1.3 - 2.5 * math.sin(0.7), rel=1e-15)
    assert by_y == pytest.approx(2 * 0.4 * 0.7, rel=1e-15)
    assert [d.data for d in grad(gy, [u, w])] == pytest.approx([0.7**2, 0.0], rel=1e-15)


def test_value_weights_without_a_graph_count_by_their_numbers():
    x, u = Value(0.7), Value(3.0)
    (gx,) = grad([x.exp()], [x], grad_outputs=[u])
    assert gx.op is None and gx.data == pytest.approx(3.0 * math.exp(0.7), rel=1e-15)
    assert u.grad == 0.0


def test_a_gradient_equal_to_a_weight_is_a_node_of_its_own():
    x, u = Value(0.7), Value(3.0)
    (gx,) = grad([x + 1.0], [x], grad_outputs=[u], create_graph=True)
    assert gx is not u and gx.data == 3.0
    gx.data = 0.0  # clipping the gradient must not edit the weight
    assert u.data == 3.0
    assert grad(gx, [u])[0].data == 1.0


# ---------------------------------------------------------------------------------------------
# second derivatives through every op of the table

@pytest.mark.parametrize("op", list(OPS.values()), ids=list(OPS))
@pytest.mark.parametrize("outer", ["itself", "times sin of itself"])
@settings(max_examples=5)
@given(data=st.data())
def test_second_derivatives_through_each_op_equal_finite_differences(op, outer, data):
    # each op of the table at points inside its domain, 0.1 away from its poles, ends and kinks
    call = data.draw(op_inputs(op, min_value=-3.0, max_value=3.0, margin=0.1))
    # the outer function makes the op's first derivative matter as well as its second
    f = call if outer == "itself" else lambda *xs: call(*xs) * call(*xs).sin()
    point = call.inputs
    leaves = [Value(x) for x in point]
    first = grad(f(*leaves), leaves, create_graph=True)
    actual = [[d.data for d in grad(component, leaves, create_graph=True)] for component in first]
    expected = finite_difference_hessian(f, point)
    scale = 1 + max(abs(h) for row in expected for h in row)
    for actual_row, expected_row in zip(actual, expected, strict=True):
        for a, e in zip(actual_row, expected_row, strict=True):
            assert_close(a, e, scale)


# ---------------------------------------------------------------------------------------------
# third and higher derivatives of closed forms


def nth_derivative(f: Callable[[Value], Value], x: float, n: int) -> float:
    leaf = Value(x)
    y = f(leaf)
    for _ in range(n):
        (y,) = grad(y, [leaf], create_graph=True)
    return y.data


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


THIRD_DERIVATIVES: dict[str, tuple[Callable[[Value], Value], Callable[[float], float], float, float]] = {
    # name: (f, f''' by hand, lowest x, highest x)
    "tanh": (Value.tanh, lambda x: -2 + 8 * math.tanh(x) ** 2 - 6 * math.tanh(x) ** 4, -3, 3),
    "x**5": (lambda v: v**5, lambda x: 60 * x**2, -3, 3),
    "exp": (Value.exp, math.exp, -3, 3),
    "sin": (Value.sin, lambda x: -math.cos(x), -3, 3),
    "cos": (Value.cos, math.sin, -3, 3),
    "log": (Value.log, lambda x: 2 / x**3, 0.2, 3),
    "sqrt": (Value.sqrt, lambda x: 3 / 8 * x**-2.5, 0.2, 3),
    "1/x": (lambda v: 1 / v, lambda x: -6 / x**4, 0.2, 3),
    "2**x": (lambda v: 2**v, lambda x: math.log(2) ** 3 * 2**x, -3, 3),
    "sigmoid": (Value.sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x)) * (1 - 6 * _sigmoid(x) + 6 * _sigmoid(x) ** 2),
                -3, 3),
    "softplus": (Value.softplus, lambda x: _sigmoid(x) * (1 - _sigmoid(x)) * (1 - 2 * _sigmoid(x)), -3, 3),
    "x**y in y": (lambda v: 1.7**v, lambda x: math.log(1.7) ** 3 * 1.7**x, -3, 3),
    "x**2.5": (lambda v: v**2.5, lambda x: 2.5 * 1.5 * 0.5 * x**-0.5, 0.2, 3),
}


@pytest.mark.parametrize("name", sorted(THIRD_DERIVATIVES))
@given(fraction=st.floats(0, 1))
def test_third_derivatives_of_closed_forms(name, fraction):
    f, third, low, high = THIRD_DERIVATIVES[name]
    x = low + fraction * (high - low)
    assert nth_derivative(f, x, 3) == pytest.approx(third(x), rel=1e-10, abs=1e-10)


def test_third_derivative_of_a_value_to_a_value_power_by_its_exponent():
    base, exponent = Value(1.7), Value(0.6)
    y = base**exponent
    for _ in range(3):
        (y,) = grad(y, [exponent], create_graph=True)
    assert y.data == pytest.approx(1.7**0.6 * math.log(1.7) ** 3, rel=1e-12)


@pytest.mark.parametrize("order", range(7))
def test_derivatives_of_any_order_cycle_for_sin_and_stay_for_exp(order):
    assert nth_derivative(Value.sin, 0.9, order) == pytest.approx(
        [math.sin, math.cos, lambda x: -math.sin(x), lambda x: -math.cos(x)][order % 4](0.9), rel=1e-12
    )
    assert nth_derivative(Value.exp, 0.9, order) == pytest.approx(math.exp(0.9), rel=1e-12)
    assert nth_derivative(lambda v: v**5, 1.3, order) == pytest.approx(
        math.perm(5, order) * 1.3 ** (5 - order), rel=1e-12
    )


def test_a_mixed_third_derivative():
    # f = x² y³: d³f / dx dy² = 2x · 6y = 12 x y
    x, y = Value(1.5), Value(-0.7)
    f = x * x * y**3
    (fx,) = grad(f, [x], create_graph=True)
    (fxy,) = grad(fx, [y], create_graph=True)
    (fxyy,) = grad(fxy, [y])
    assert fxyy.data == pytest.approx(12 * 1.5 * -0.7, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# grad's semantics


def test_grad_of_the_documentations_neuron_matches_the_hand_computed_numbers():
    x, w, b = Value(2.0), Value(-3.0), Value(6.8813735870195432)
    y = (x * w + b).tanh()
    dx, dw, db = grad(y, [x, w, b])
    assert (dx.data, dw.data, db.data) == pytest.approx((-1.5, 1.0, 0.5), rel=1e-14)


def test_an_input_the_output_does_not_depend_on_gets_zero():
    x, unused = Value(2.0), Value(5.0)
    dx, du = grad(x * x, [x, unused], create_graph=True)
    assert dx.data == 4.0
    assert du.data == 0.0 and du.op is None


def test_grad_of_a_node_by_itself_is_one_and_of_nothing_is_empty():
    x = Value(2.0)
    assert [g.data for g in grad(x, [x])] == [1.0]
    assert grad(x * 3, []) == []


def test_repeated_inputs_each_get_the_gradient():
    x, y = Value(2.0), Value(3.0)
    assert [g.data for g in grad(x * y, [x, y, x])] == [3.0, 2.0, 3.0]


def test_an_interior_input_holds_its_own_inputs_fixed():
    x = Value(2.0)
    h = x * x
    y = h * x
    dy_dh, dy_dx = grad(y, [h, x])
    assert dy_dh.data == 2.0  # ∂(h·x)/∂h = x
    assert dy_dx.data == 12.0  # the total derivative of x³


def test_grad_leaves_every_grad_untouched():
    x, y = Value(2.0), Value(3.0)
    x.grad, y.grad = 7.0, -1.0
    out = (x * y).tanh() + x
    grad(out, [x, y])
    grad(out, [x, y], create_graph=True)
    assert (x.grad, y.grad) == (7.0, -1.0)
    assert all(node.grad == 0.0 for node in topological_order(out) if node.op is not None)


def test_gradients_with_a_graph_are_new_nodes_and_differentiate_like_the_nodes_they_equal():
    a, b = Value(2.0), Value(3.0)
    ga, gb = grad(a * b, [a, b], create_graph=True)
    assert ga is not b and gb is not a and (ga.data, gb.data) == (3.0, 2.0)
    assert [d.data for d in grad(ga, [a, b])] == [0.0, 1.0]
    assert [d.data for d in grad(gb, [a, b])] == [1.0, 0.0]
    ga.data = 1.0  # clipping a gradient in place must not edit the model
    assert b.data == 3.0
    x = Value(0.3)
    out = x.exp()
    (gx,) = grad(out, [x], create_graph=True)
    assert gx is not out and gx.data == out.data
    assert grad(gx, [x])[0].data == pytest.approx(math.exp(0.3), rel=1e-15)
    # two inputs whose gradients are one new node, and a repeated input, get a node each
    y = Value(-0.4)
    g1, g2, g3 = grad((x + y).sin(), [x, y, x], create_graph=True)
    assert len({g1, g2, g3}) == 3 and g1.data == g2.data == g3.data == math.cos(0.3 + -0.4)
    assert [grad(g, [x])[0].data for g in (g1, g2, g3)] == [pytest.approx(-math.sin(0.3 + -0.4), rel=1e-15)] * 3


def test_gradients_with_a_graph_can_be_backpropagated():
    x = Value(0.5)
    (dx,) = grad(x**3, [x], create_graph=True)
    dx.backward()
    assert x.grad == pytest.approx(6 * 0.5)


def test_create_graph_builds_a_graph_even_inside_no_grad():
    x = Value(1.2)
    y = x.sin()
    with autodiff.no_grad():
        (dy,) = grad(y, [x], create_graph=True)
        assert hessian(lambda v: v.sin(), [1.2]) == [[pytest.approx(-math.sin(1.2))]]
    (d2y,) = grad(dy, [x])
    assert d2y.data == pytest.approx(-math.sin(1.2))


def test_second_derivatives_of_piecewise_linear_ops_are_zero():
    x = Value(0.7)
    y = x.relu() * 3 + abs(x) + x.leaky_relu(0.2) + autodiff.max([x, 0.1])
    (dy,) = grad(y, [x], create_graph=True)
    assert dy.data == 3 + 1 + 1 + 1
    assert grad(dy, [x])[0].data == 0.0


def test_a_gradient_graph_is_small():
    # d/dx of a sum of n terms is one sum node of n terms, not a chain of n − 1 additions
    xs = [Value(float(i)) for i in range(50)]
    out = autodiff.sum([x * x for x in xs])
    gradients = grad(out, xs, create_graph=True)
    assert max(len(topological_order(g)) for g in gradients) <= 3


def test_an_infinite_slope_is_inf_on_floats_and_a_clear_error_when_building_its_graph():
    # as in PyTorch, d sqrt(x)/dx at 0 is inf; a graph of that derivative would divide a Value by 0
    x = Value(0.0)
    assert grad(x.sqrt(), [x])[0].data == math.inf
    assert jvp(Value.sqrt, [0.0], [1.0]) == (0.0, math.inf)
    with pytest.raises(ZeroDivisionError, match=r"grad\(\) through sqrt\(0\.0\)"):
        grad(x.sqrt(), [x], create_graph=True)


def test_a_failing_derivative_off_the_path_to_the_inputs_is_never_evaluated():
    x, zero = Value(2.0), Value(0.0)
    out = x * 3 + zero.sqrt()
    assert grad(out, [x])[0].data == 3.0
    assert jvp(lambda v: v * 3 + Value(0.0).sqrt(), [2.0], [1.0]) == (6.0, 3.0)


# ---------------------------------------------------------------------------------------------
# hessian, hvp, jvp on known functions


def test_hessian_of_a_quadratic_form():
    # f = x² y + 3 y z − z²: H = [[2y, 2x, 0], [2x, 0, 3], [0, 3, −2]]
    f = lambda x, y, z: x * x * y + 3 * y * z - z * z
    assert hessian(f, [1.0, 2.0, -1.0]) == [[4.0, 2.0, 0.0], [2.0, 0.0, 3.0], [0.0, 3.0, -2.0]]
    assert hvp(f, [1.0, 2.0, -1.0], [1, 0, 2]) == [4.0, 8.0, -4.0]


def test_jvp_of_a_known_function():
    value, derivative = jvp(lambda x, y: x * y.sin(), [2.0, 0.5], [1.0, -3.0])
    assert value == 2.0 * math.sin(0.5)
    assert derivative == pytest.approx(math.sin(0.5) - 3 * 2.0 * math.cos(0.5), rel=1e-15)


def test_functional_forms_accept_values_numpy_scalars_and_ints():
    point = [Value(1.0), np.float64(2.0), 3]
    assert hessian(lambda x, y, z: x * y * z, point) == [[0.0, 3.0, 2.0], [3.0, 0.0, 1.0], [2.0, 1.0, 0.0]]


def test_value_inputs_are_differentiated_with_respect_to_themselves():
    # f reaches w through a closure, as a loss reaches a model's parameters
    w = Value(0.5)
    assert hessian(lambda _: w * w * w, [w]) == [[3.0]]
    assert hvp(lambda _: w * w * w, [w], [2.0]) == [6.0]
    assert jvp(lambda _: w * w * w, [w], [2.0]) == (0.125, 1.5)
    assert (w.data, w.grad) == (0.5, 0.0)
    with pytest.raises(ValueError, match="same Value at index 0 and 2"):
        hessian(lambda a, b, c: a * b * c, [w, 1.0, w])


def test_jvp_with_an_interior_input_is_the_tangent_dot_grad():
    # y = h·x with h = x²: grad gives dy/dh = x (x held fixed) and dy/dx = 3x² (through h too)
    x = Value(2.0)
    h = x * x
    dy_dh, dy_dx = (g.data for g in grad(h * x, [h, x]))
    assert (dy_dh, dy_dx) == (2.0, 12.0)
    assert jvp(lambda hh, xx: hh * xx, [h, x], [1.0, 1.0]) == (8.0, dy_dh + dy_dx)
    assert jvp(lambda hh, xx: hh * xx, [h, x], [0.5, -1.0]) == (8.0, 0.5 * dy_dh - dy_dx)


def test_hvp_of_a_networks_loss_along_its_gradient_equals_differences_of_gradients():
    # the how-to guide's use: the curvature of a loss along its gradient, with the model's parameters
    model = nn.MLP(2, [4, 1], activation="tanh", rng=3)
    data = [([0.5, -1.0], 0.3), ([1.5, 0.2], -0.7), ([-0.4, 0.9], 1.1)]
    params = model.parameters()

    def loss(*_: Value) -> Value:
        return autodiff.sum((model(x)[0] - y) ** 2 for x, y in data)

    def gradient() -> list[float]:
        for p in params:
            p.grad = 0.0
        loss().backward()
        return [p.grad for p in params]

    g = gradient()
    hv = hvp(loss, params, g)
    start, h = [p.data for p in params], 1e-6
    shifted = []
    for sign in (1, -1):
        for p, x, gi in zip(params, start, g, strict=True):
            p.data = x + sign * h * gi
        shifted.append(gradient())
    for p, x in zip(params, start, strict=True):
        p.data = x
    expected = [(up - down) / (2 * h) for up, down in zip(*shifted, strict=True)]
    scale = max(map(abs, expected))
    assert scale > 0.1
    for actual_i, expected_i in zip(hv, expected, strict=True):
        assert abs(actual_i - expected_i) <= 1e-6 * scale
    curvature = sum(gi * hi for gi, hi in zip(g, hv, strict=True))
    assert curvature == pytest.approx(sum(gi * e for gi, e in zip(g, expected, strict=True)), rel=1e-6)


def test_a_constant_function_has_zero_derivatives():
    assert hessian(lambda x: Value(4.0), [1.0]) == [[0.0]]
    assert jvp(lambda x: Value(4.0), [1.0], [1.0]) == (4.0, 0.0)


# ---------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: grad(3.0, [Value(1.0)]), TypeError, "differentiates a Value"),
        (lambda: grad(Value(1.0), Value(1.0)), TypeError, r"grad\(output, \[x\]\)"),
        (lambda: grad(Value(1.0), 5), TypeError, "sequence of Values, got int"),
        (lambda: grad(Value(1.0), [Value(1.0), 2.0]), TypeError, "got float 2.0 at index 1"),
        (lambda: grad([], [Value(1.0)]), ValueError, "empty list of outputs"),
        (lambda: grad((Value(1.0), 2.0), [Value(1.0)]), TypeError, "outputs must be Values, got float 2.0 at index 1"),
        (lambda: grad("y", [Value(1.0)]), TypeError, "sequence of Values, got output of type str"),
        (lambda: grad([Value(1.0)] * 2, [], grad_outputs=[1.0]), ValueError, "2 output.s., got 1 grad_outputs"),
        (lambda: grad(Value(1.0), [], grad_outputs=[1.0, 2.0]), ValueError, "1 output.s., got 2 grad_outputs"),
        (lambda: grad(Value(1.0), [], grad_outputs=2.0), TypeError, r"write grad_outputs=\[v\]"),
        (lambda: grad(Value(1.0), [], grad_outputs=[True]), TypeError, "numbers or Values, got bool"),
        (lambda: hessian(3.0, [1.0]), TypeError, "needs a function"),
        (lambda: hessian(Value.exp, 1.0), TypeError, r"write \[x\]"),
        (lambda: hessian(Value.exp, ["a"]), TypeError, "numbers or Values, got str"),
        (lambda: hessian(Value.exp, [True]), TypeError, "numbers or Values, got bool"),
        (lambda: hessian(lambda x: x.data * 2, [1.0]), TypeError, "compute with .data"),
        (lambda: hvp(Value.exp, [1.0], [1.0, 2.0]), ValueError, "one entry per input: 1, got 2"),
        (lambda: hvp(Value.exp, [1.0], 1.0), TypeError, "v must be a sequence of 1 numbers"),
        (lambda: jvp(Value.exp, [1.0], [None]), TypeError, "tangents must hold numbers, got NoneType"),
        (lambda: jvp(Value.exp, [1.0, 2.0], [1.0]), TypeError, "takes 1 positional argument"),
    ],
)
def test_bad_input_is_a_clear_error(call, error, words):
    with pytest.raises(error, match=words):
        call()


# ---------------------------------------------------------------------------------------------
# the how-to guide's examples, run as written

HOW_TO = Path(__file__).resolve().parents[1] / "docs" / "how-to" / "higher-order-derivatives.md"


def how_to_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", HOW_TO.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_the_how_to_newton_example_finds_the_fixed_point_of_cosine(capsys):
    exec(how_to_blocks()[0], {})
    x = float(capsys.readouterr().out)
    # the Dottie number, the solution of x = cos x (OEIS A003957)
    assert x == pytest.approx(0.7390851332151607, rel=1e-15)
    assert math.cos(x) == pytest.approx(x, rel=1e-15)


def test_the_how_to_hessian_and_jvp_lines_give_the_numbers_shown():
    block = how_to_blocks()[1]
    scope: dict[str, object] = {}
    exec(block, scope)
    assert "[[1.0, 2.0], [2.0, 1.6487212707001282]]" in block and "(2.148721270700128, 1.0)" in block
    f = scope["f"]
    assert hessian(f, [1.0, 0.5]) == [[1.0, 2.0], [2.0, pytest.approx(math.exp(0.5), rel=1e-15)]]
    assert jvp(f, [1.0, 0.5], [1.0, 0.0]) == (1.0 * 0.5 + math.exp(0.5), 1.0)


def test_the_how_to_curvature_of_a_loss_along_its_gradient_equals_finite_differences():
    scope: dict[str, Any] = {}
    exec(how_to_blocks()[2], scope)
    params, g, loss = scope["params"], scope["g"], scope["loss"]
    start, h = [p.data for p in params], 1e-6
    along = []
    for sign in (1, -1):
        for p, x, gi in zip(params, start, g, strict=True):
            p.data = x + sign * h * gi
        along.append(sum(gi * d.data for gi, d in zip(g, grad(loss(), params), strict=True)))
    assert scope["curvature"] == pytest.approx((along[0] - along[1]) / (2 * h), rel=1e-6)


def test_the_how_to_vjp_example_prints_the_numbers_shown(capsys):
    block = how_to_blocks()[3]
    exec(block, {})
    assert "6.946163812100385 0.5" in block and "[2.0, 1.6487212707001282]" in block
    first, second = capsys.readouterr().out.splitlines()
    assert [float(n) for n in first.split()] == pytest.approx([2.0 + 3 * math.exp(0.5), 0.5], rel=1e-15)
    assert second == f"[2.0, {math.exp(0.5)!r}]"


def test_grad_outputs_may_be_a_numpy_vector():
    a = Value(2.0)
    assert [g.data for g in grad([a * a, a * 3], [a], grad_outputs=np.array([1.0, 2.0]))] == [2 * 2.0 + 2 * 3.0]
    with pytest.raises(TypeError, match=r"one number or Value per output \(2\), got ndarray"):
        grad([a * a, a * 3], [a], grad_outputs=np.ones((1, 2)))
