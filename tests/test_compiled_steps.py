"""What the compiler recognises (layers as matrix products, fused chains) and that it stays exact."""

import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autodiff
import nn
from autodiff import Value


def _value_graph(f, params, batch, weights):
    """The reference: one Value graph per sample, summed, differentiated by backward()."""
    for p in params:
        p.grad = 0.0
    values, input_grads = [], []
    for row, weight in zip(batch, weights, strict=True):
        inputs = [Value(x) for x in row]
        out = f(*inputs)
        out.backward(weight)
        values.append(out.data)
        input_grads.append([v.grad for v in inputs])
    return np.array(values), np.array([p.grad for p in params]), np.array(input_grads)


def _assert_like_the_value_graph(f, params, X, rng):
    weights = rng.uniform(0.1, 2.0, size=len(X))
    expected = _value_graph(f, params, X.tolist(), weights.tolist())
    result = autodiff.compile(f, params=params).value_and_grad(X, weights)
    for actual, wanted in zip((result.values, result.params, result.inputs), expected, strict=True):
        np.testing.assert_allclose(actual, wanted, rtol=1e-12, atol=1e-14)


def _hand_built_mlp(sizes, seed, weights_first=True):
    """An MLP as lists of Values, neuron by neuron (weights then bias), without nn."""
    rng = random.Random(seed)
    layers = [[([Value(rng.uniform(-1, 1)) for _ in range(nin)], Value(rng.uniform(-0.5, 0.5))) for _ in range(nout)]
              for nin, nout in zip(sizes[:-1], sizes[1:], strict=True)]
    params = [p for layer in layers for w, b in layer for p in (*w, b)]

    def forward(*x):
        x = list(x)
        for depth, layer in enumerate(layers):
            sums = [(autodiff.dot(w, x) if weights_first else autodiff.dot(x, w)) + b for w, b in layer]
            x = sums if depth == len(layers) - 1 else [s.tanh() for s in sums]
        return x

    return forward, params


@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4), seed=st.integers(0, 2**16),
       weights_first=st.booleans(), batch=st.integers(1, 5))
def test_a_hand_built_mlp_compiles_to_matrix_products_and_stays_exact(sizes, seed, weights_first, batch):
    forward, params = _hand_built_mlp(sizes, seed, weights_first)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(batch, sizes[0]))
    steps = autodiff.compile(forward, params=params).steps(X)
    assert [s for s in steps if s.startswith("matmul")] == [
        f"matmul {nout}×{nin}" for nin, nout in zip(sizes[:-1], sizes[1:], strict=True)]
    assert not any(s.startswith("group dot") for s in steps)

    def loss(*x):
        return autodiff.sum(v * v for v in forward(*x)) * 0.5

    _assert_like_the_value_graph(loss, params, X, rng)


def test_a_hand_built_mlp_compiles_as_nn_mlp_does():
    model = nn.MLP(3, [5, 4, 2], activation="relu", rng=1)
    layers = [[(n.w, n.b) for n in layer.neurons] for layer in model.layers]

    def by_hand(*x):
        x = list(x)
        for depth, layer in enumerate(layers):
            sums = [autodiff.dot(w, x) + b for w, b in layer]
            x = sums if depth == len(layers) - 1 else [s.relu() for s in sums]
        return x

    X = np.random.default_rng(0).normal(size=(4, 3))
    hand = autodiff.compile(by_hand, params=model.parameters())
    assert hand.steps(X) == model.compile().steps(X) == [
        "matmul 5×3", "chain add → relu ×5", "matmul 4×5", "chain add → relu ×4", "matmul 2×4", "group add ×2"]
    np.testing.assert_allclose(hand(X), model.compile()(X), rtol=1e-12)


def test_shuffled_weights_and_constant_coefficients_are_matrix_products_too():
    rng = random.Random(5)
    weights = [Value(rng.uniform(-1, 1)) for _ in range(12)]
    order = list(range(12))
    rng.shuffle(order)  # the weight matrix is gathered from the parameters, not a view of them
    rows = [[weights[order[3 * i + j]] for j in range(3)] for i in range(4)]
    coefficients = [(0.5, -1.0, 2.0, 0.25), (1.5, 0.0, -0.75, 1.0)]

    def f(*x):
        hidden = [autodiff.dot(row, list(x)).sin() for row in rows]
        mixed = [autodiff.core.value.variadic_node(autodiff.OPS["linear"], hidden, c) for c in coefficients]
        return mixed[0] * mixed[1]

    X = np.random.default_rng(1).normal(size=(6, 3))
    assert autodiff.compile(f, params=weights).steps(X)[:3] == ["matmul 4×3", "group sin ×4", "matmul 2×4"]
    _assert_like_the_value_graph(f, weights, X, np.random.default_rng(2))


def test_element_wise_chains_are_fused_and_exact():
    a = Value(0.3)

    def f(x, y):
        # each op reads the one before; the last two also read an input and a parameter
        return ((x * 2.0 + 1.0).tanh() * 3.0).exp() * y + a

    X = np.random.default_rng(3).uniform(-1, 1, size=(5, 2))
    steps = autodiff.compile(f, params=[a]).steps(X)
    assert steps == ["chain mul_const → add_const → tanh → mul_const → exp → mul → add ×1"]
    _assert_like_the_value_graph(f, [a], X, np.random.default_rng(4))


def test_a_chain_link_read_elsewhere_too_keeps_its_gradient():
    # y = tanh(x) feeds the chain's next link and the final sum: its gradient has two parts
    def f(x):
        y = x.tanh()
        return y.exp().sin() + y * y

    X = np.array([[0.4], [-1.2], [2.0]])
    assert any(s.startswith("chain tanh → exp → sin") for s in autodiff.compile(f, params=[]).steps(X))
    _assert_like_the_value_graph(f, [], X, np.random.default_rng(5))


def test_params_can_be_passed_as_an_array():
    model = nn.MLP(2, [4, 1], rng=3)
    compiled = model.compile()
    X = np.array([[0.5, -1.0], [2.0, 0.1]])
    theta = np.array([p.data for p in model.parameters()])
    np.testing.assert_array_equal(compiled(X, params=theta), compiled(X))
    doubled = compiled(X, params=2 * theta)
    assert [p.data for p in model.parameters()] == theta.tolist()  # the Values are left alone
    for p in model.parameters():
        p.data *= 2
    np.testing.assert_array_equal(doubled, compiled(X))
    with pytest.raises(ValueError, match=r"params= must hold one number per parameter, shape \(17,\)"):
        compiled(X, params=theta[:-1])


def test_buffers_are_made_once_per_batch_size_and_results_are_not_overwritten():
    model = nn.MLP(2, [3, 1], rng=4)
    compiled = model.compile()
    first = compiled(np.ones((2, 2)))
    kept = first.copy()
    program = compiled.program(np.ones((2, 2)))
    buffers = program.buffers(2)
    compiled(np.zeros((2, 2)))
    compiled(np.zeros((5, 2)))
    assert program.buffers(2) is buffers and program.buffers(5) is not buffers
    np.testing.assert_array_equal(first, kept)


def test_several_outputs_give_a_vector_jacobian_product_with_weights_from_the_outputs():
    model = nn.MLP(3, [4, 2], activation="tanh", rng=6)
    params = model.parameters()
    X = np.random.default_rng(7).normal(size=(5, 3))
    compiled = model.compile()
    seen = []

    def weights_of(outputs):  # the gradient of Σ_b ½ ‖outputs_b‖², computed on the outputs
        seen.append(outputs.copy())
        return outputs

    result = compiled.value_and_grad(X, weights_of)
    np.testing.assert_array_equal(seen[0], compiled(X))
    np.testing.assert_array_equal(result.values, compiled(X))

    def half_squared_norm(*x):
        return autodiff.sum(v * v for v in model(x)) * 0.5

    _, expected, expected_inputs = _value_graph(half_squared_norm, params, X.tolist(), [1.0] * 5)
    np.testing.assert_allclose(result.params, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.inputs, expected_inputs, rtol=1e-12, atol=1e-14)

    def twice(x):  # one node returned twice gets both of its weights
        y = x * 3.0
        return [y, y]

    result = autodiff.compile(twice, params=[]).value_and_grad(np.ones((2, 1)), [[1.0, 2.0]] * 2)
    assert result.inputs.tolist() == [[9.0], [9.0]]
