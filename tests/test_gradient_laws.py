"""Laws of reverse mode on random programs: linearity, accumulation, detach, n-ary = chained binary."""

import functools
import operator

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autodiff
from autodiff import Value
from autodiff.testing import finite_floats, programs

PROGRAMS = programs(n_inputs=st.integers(1, 4))
CLOSE = {"rel": 1e-9, "abs": 1e-9}


def leaf_grads(program, upstream=1.0, backward_calls=1):
    """The gradient of the program's last output, from fresh leaves."""
    leaves = [Value(x) for x in program.inputs]
    out = program(*leaves)[-1]
    for _ in range(backward_calls):
        out.backward(upstream)
    return [leaf.grad for leaf in leaves]


@given(PROGRAMS, finite_floats(min_value=-5.0, max_value=5.0))
def test_backward_is_linear_in_the_upstream_gradient(program, g):
    assert leaf_grads(program, upstream=g) == pytest.approx([g * d for d in leaf_grads(program)], **CLOSE)


@given(PROGRAMS)
def test_two_backward_calls_accumulate_twice_the_gradient(program):
    once = leaf_grads(program)
    assert leaf_grads(program, backward_calls=2) == pytest.approx([2 * d for d in once], **CLOSE)


@given(PROGRAMS)
def test_detach_stops_exactly_the_detached_path(program):
    # z = y · detach(y): the gradient flows through the first factor only, so dz/dx = y · dy/dx
    leaves = [Value(x) for x in program.inputs]
    y = program(*leaves)[-1]
    frozen = y.detach()
    z = y * frozen
    z.backward()
    assert [leaf.grad for leaf in leaves] == pytest.approx([y.data * d for d in leaf_grads(program)], **CLOSE)
    # the detached copy is a leaf of its own and gets dz/d(frozen) = y
    assert frozen.op is None and frozen.grad == y.data


@given(PROGRAMS)
def test_no_grad_stops_exactly_the_path_computed_inside_it(program):
    leaves = [Value(x) for x in program.inputs]
    y = program(*leaves)[-1]
    with autodiff.no_grad():
        constant = y * 3.0
    (y + constant).backward()
    assert [leaf.grad for leaf in leaves] == pytest.approx(leaf_grads(program), **CLOSE)


# few distinct numbers, so that max and min often tie
TIE_PRONE = st.sampled_from([-1.0, 0.0, 0.5, 2.0]) | finite_floats()


def grads_of(build, numbers):
    leaves = [Value(x) for x in numbers]
    out = build(leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def chained(binary):
    return lambda leaves: functools.reduce(binary, leaves)


@given(st.lists(TIE_PRONE, min_size=1, max_size=6))
def test_sum_max_and_min_agree_with_chained_binary_ops(numbers):
    assert grads_of(autodiff.sum, numbers) == grads_of(chained(operator.add), numbers)
    # at a tie both give the whole gradient to the first extreme input
    assert grads_of(autodiff.max, numbers) == grads_of(chained(lambda a, b: autodiff.max([a, b])), numbers)
    assert grads_of(autodiff.min, numbers) == grads_of(chained(lambda a, b: autodiff.min([a, b])), numbers)


@given(st.integers(1, 5).flatmap(lambda n: st.lists(finite_floats(), min_size=2 * n, max_size=2 * n)))
def test_dot_agrees_with_chained_products(numbers):
    half = len(numbers) // 2

    def one_node(leaves):
        return autodiff.dot(leaves[:half], leaves[half:])

    def chain(leaves):
        return functools.reduce(operator.add, [w * x for w, x in zip(leaves[:half], leaves[half:], strict=True)])

    value, grads = grads_of(one_node, numbers)
    chained_value, chained_grads = grads_of(chain, numbers)
    assert value == pytest.approx(chained_value, **CLOSE) and grads == chained_grads


@given(st.lists(st.tuples(finite_floats(), finite_floats()), min_size=1, max_size=6))
def test_dot_with_constant_coefficients_agrees_with_chained_scaling(pairs):
    coefficients = [c for c, _ in pairs]
    numbers = [x for _, x in pairs]

    def one_node(leaves):
        return autodiff.dot(coefficients, leaves)

    def chain(leaves):
        return functools.reduce(operator.add, [c * x for c, x in zip(coefficients, leaves, strict=True)])

    value, grads = grads_of(one_node, numbers)
    chained_value, chained_grads = grads_of(chain, numbers)
    assert autodiff.dot(coefficients, [Value(x) for x in numbers]).op is autodiff.OPS["linear"]
    assert value == pytest.approx(chained_value, **CLOSE) and grads == chained_grads
