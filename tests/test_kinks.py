"""Kinks and ties: which subgradient the engine returns exactly there (PyTorch's choices).

relu'(0) = 0, abs'(0) = 0, leaky_relu'(0) = slope, and max/min give the whole gradient to the
first maximal/minimal input. Central differences are meaningless at these points, so gradcheck
fails there and says why.
"""

import pytest

import autodiff
from autodiff import OPS, GradcheckError, Value, gradcheck


def grad_at(f, x):
    leaf = Value(x)
    f(leaf).backward()
    return leaf.grad


def test_relu_at_zero_has_gradient_zero():
    assert grad_at(lambda x: x.relu(), 0.0) == 0.0
    assert grad_at(lambda x: x.relu(), -0.0) == 0.0
    # either side, for contrast
    assert grad_at(lambda x: x.relu(), 1e-300) == 1.0
    assert grad_at(lambda x: x.relu(), -1e-300) == 0.0


def test_abs_at_zero_has_gradient_zero():
    assert grad_at(abs, 0.0) == 0.0
    assert grad_at(abs, 1e-300) == 1.0
    assert grad_at(abs, -1e-300) == -1.0


@pytest.mark.parametrize("slope", [0.01, 0.2, -0.5])
def test_leaky_relu_at_zero_has_the_slope(slope):
    assert grad_at(lambda x: x.leaky_relu(slope), 0.0) == slope
    assert grad_at(lambda x: x.leaky_relu(slope), 1e-300) == 1.0
    assert grad_at(lambda x: x.leaky_relu(slope), -1e-300) == slope


def test_the_default_leaky_slope_applies_at_zero():
    assert grad_at(lambda x: x.leaky_relu(), 0.0) == 0.01


@pytest.mark.parametrize("extreme", [autodiff.max, autodiff.min])
def test_a_tie_sends_the_whole_gradient_to_the_first_extreme_input(extreme):
    a, b, c = Value(1.0), Value(1.0), Value(1.0)
    extreme([a, b, c]).backward()
    assert (a.grad, b.grad, c.grad) == (1.0, 0.0, 0.0)


def test_max_ties_after_a_larger_first_input_go_to_the_first_maximum():
    a, b, c, d = Value(0.0), Value(3.0), Value(-1.0), Value(3.0)
    autodiff.max([a, b, c, d]).backward()
    assert (a.grad, b.grad, c.grad, d.grad) == (0.0, 1.0, 0.0, 0.0)


def test_a_value_tied_with_the_constant_bound_gets_the_gradient():
    x = Value(2.0)
    autodiff.max([x, 2.0]).backward()
    assert x.grad == 1.0


def test_the_table_lists_the_kinks_it_documents():
    assert OPS["relu"].kinks == OPS["abs"].kinks == OPS["leaky_relu"].kinks == (0.0,)


@pytest.mark.parametrize(
    ("f", "at", "shown"),
    [
        (lambda x: x.relu(), 0.0, "relu(0)"),
        (lambda x: x.leaky_relu(0.2), 0.0, "leaky_relu(0)"),
        (lambda x: autodiff.max([x, x * 0.5 + 1.0]), 2.0, "max(2, 2)"),
    ],
)
def test_gradcheck_at_a_kink_fails_and_says_it_is_a_kink(f, at, shown):
    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, [at])
    message = " ".join(str(caught.value).split())
    assert f"{shown} is at a kink or a tie" in message and "is a convention" in message


def test_abs_at_zero_is_the_one_kink_central_differences_agree_with():
    # (|eps| − |−eps|) / 2·eps = 0, the subgradient the engine returns
    assert gradcheck(abs, [0.0])
