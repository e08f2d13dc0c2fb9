"""Compiled batched replay agrees with the Value graph, sample by sample."""

import math
import os
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff
from autodiff import Value
from autodiff.core.backends import FLOAT
from autodiff.core.ops import Op
from autodiff.testing import op_inputs, programs


def _close(actual, expected, rel=1e-12):
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    return np.allclose(actual, expected, rtol=rel, atol=1e-14)


def _random_mlp(rng, sizes, activation):
    layers = [[[Value(rng.uniform(-1, 1)) for _ in range(sizes[i] + 1)] for _ in range(sizes[i + 1])]
              for i in range(len(sizes) - 1)]
    params = [p for layer in layers for neuron in layer for p in neuron]

    def model(*x):
        x = list(x)
        for depth, layer in enumerate(layers):
            x = [autodiff.dot(neuron[:-1], x) + neuron[-1] for neuron in layer]
            if depth < len(layers) - 1:
                x = [getattr(v, activation)() for v in x]
        return x

    return model, params


def _value_graph(f, params, batch, weights=None):
    """The reference: one Value graph per sample, summed, differentiated by backward()."""
    for p in params:
        p.grad = 0.0
    rows = []
    for b, row in enumerate(batch):
        inputs = [Value(x) for x in row]
        out = f(*inputs)
        out.backward(1.0 if weights is None else weights[b])
        rows.append((out.data, [v.grad for v in inputs]))
    return np.array([r[0] for r in rows]), np.array([p.grad for p in params]), np.array([r[1] for r in rows])


@given(
    seed=st.integers(0, 2**32 - 1),
    sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4),
    activation=st.sampled_from(["relu", "tanh", "sigmoid", "softplus", "sin"]),
    batch=st.integers(1, 6),
)
def test_random_mlps_replay_like_the_value_graph(seed, sizes, activation, batch):
    rng = random.Random(seed)
    model, params = _random_mlp(rng, sizes, activation)
    X = np.array([[rng.uniform(-2, 2) for _ in range(sizes[0])] for _ in range(batch)])
    compiled = autodiff.compile(model, params=params)
    outputs = compiled(X)
    expected = np.array([[v.data for v in model(*row)] for row in X.tolist()])
    assert outputs.shape == (batch, sizes[-1]) and _close(outputs, expected)

    def loss(*x):
        return autodiff.sum(v * v for v in model(*x)) * 0.5

    weights = np.array([rng.uniform(0.1, 2) for _ in range(batch)])
    values, param_grads, input_grads = _value_graph(loss, params, X.tolist(), weights)
    result = autodiff.compile(loss, params=params).value_and_grad(X, weights)
    assert _close(result.values, values)
    assert _close(result.params, param_grads)
    assert _close(result.inputs, input_grads)


@pytest.mark.parametrize("op", list(autodiff.OPS.values()), ids=list(autodiff.OPS))
@settings(max_examples=5)
@given(data=st.data())
def test_every_op_of_the_table_replays(op, data):
    call = data.draw(op_inputs(op))
    # more samples with the same constant argument and input count, so the op runs as a batch
    same_shape = op_inputs(op, args=st.just(call.arg)).filter(lambda c: len(c.inputs) == len(call.inputs))
    batch = [call.inputs] + [c.inputs for c in data.draw(st.lists(same_shape, min_size=1, max_size=3))]
    a = Value(0.7)

    def f(*xs):
        return call(*xs) * a

    values, param_grads, input_grads = _value_graph(f, [a], batch)
    result = autodiff.compile(f, params=[a]).value_and_grad(np.array(batch))
    assert _close(result.values, values) and _close(result.params, param_grads)
    assert _close(result.inputs, input_grads)


def test_a_function_of_many_ops_with_parameters_replays():
    a, b = Value(0.7), Value(-1.3)

    def f(x, y):
        u = x.tanh() * a + y.sigmoid() - b.relu() + (x * y).leaky_relu(0.05) + abs(y) / 3
        u = u + (x * x + 1).log() + (y * y + 0.5).sqrt() + x.exp() * 0.1 + (2 ** x) + x**3 - 1 / (y * y + 1)
        u = u + x.sin() + y.cos() + (x - y).softplus() + (x + 2) ** Value(1.5) * (-x)
        u = u + autodiff.max([x, y, a]) + autodiff.min([x, y]) + autodiff.dot([x, y, 2.0], [a, y, x])
        return autodiff.sum([u, x / y, 3 - x, x / 2])

    X = np.array([[0.3, -0.8], [-0.5, 1.7], [1.1, 0.4], [-0.2, -1.9]])
    values, param_grads, input_grads = _value_graph(f, [a, b], X.tolist())
    result = autodiff.compile(f, params=[a, b]).value_and_grad(X)
    assert _close(result.values, values) and _close(result.params, param_grads)
    assert _close(result.inputs, input_grads)


def test_parameters_are_read_at_every_call_and_backward_accumulates():
    w = Value(2.0)
    compiled = autodiff.compile(lambda x: (w * x) ** 2, params=[w])
    X = np.array([[1.0], [2.0]])
    assert compiled(X).tolist() == [4.0, 16.0]
    w.data = 3.0
    assert compiled(X).tolist() == [9.0, 36.0]
    total = compiled.backward(X)
    assert total == 45.0
    assert w.grad == 2 * 3.0 * (1.0 + 4.0)  # Σ_b 2·w·x_b²
    compiled.backward(X, weights=0.5)
    assert w.grad == 1.5 * 30.0


def test_captured_values_are_frozen_constants():
    scale = Value(10.0)
    compiled = autodiff.compile(lambda x: x * scale, params=[])
    assert compiled(np.array([[1.0]])).tolist() == [10.0]
    scale.data = 20.0
    assert compiled(np.array([[1.0]])).tolist() == [10.0]


def test_ties_in_max_follow_the_value_graph_per_sample():
    def f(x, y):
        return autodiff.max([x, y]) + autodiff.min([x, y]) * 2

    X = np.array([[1.0, 1.0], [2.0, 1.0], [0.0, 3.0]])
    result = autodiff.compile(f, params=[]).value_and_grad(X)
    assert result.inputs.tolist() == [[3.0, 0.0], [1.0, 2.0], [2.0, 1.0]]


def test_bad_batches_and_functions_are_rejected():
    compiled = autodiff.compile(lambda x: x * 2, params=[])
    with pytest.raises(ValueError, match="shape"):
        compiled(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="shape"):
        compiled(np.zeros((0, 1)))
    with pytest.raises(TypeError, match="Value"):
        autodiff.compile(lambda x: x, params=[1.0])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="return"):
        autodiff.compile(lambda x: 3.0, params=[])(np.ones((2, 1)))  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError, match="several outputs needs weights, one per sample and output"):
        autodiff.compile(lambda x: [x, x], params=[]).value_and_grad(np.ones((2, 1)))


def test_a_domain_error_in_some_sample_names_the_op():
    compiled = autodiff.compile(lambda x: x.log(), params=[])
    assert _close(compiled(np.array([[1.0], [math.e]])), [0.0, 1.0])
    with pytest.raises(ValueError, match="log"):
        compiled(np.array([[1.0], [-1.0]]))


def test_an_op_without_a_numpy_rule_is_rejected_at_trace_time(monkeypatch):
    floor = Op("floor", 1, lambda m, x, a: float(math.floor(x)), lambda m, x, out, a: 0.0, "floor", "floor(x).")
    monkeypatch.setitem(autodiff.OPS, "floor", floor)

    def f(x):
        return autodiff.apply(floor, x)

    with pytest.raises(TypeError, match="floor"):
        autodiff.compile(f, params=[])(np.array([[1.5], [2.5]]))


@settings(max_examples=300 if os.environ.get("CI") else 100)
@given(program=programs(n_inputs=st.integers(1, 4), max_ops=10), data=st.data())
def test_random_programs_replay_like_the_value_graph(program, data):
    # the first input is a shared parameter; the others vary per sample by less than the
    # program's margin, so every sample stays on the drawn side of each kink and domain end
    # (a last column that f ignores keeps a one-input program a batch of one column)
    n = len(program.inputs)
    per_sample = st.lists(st.floats(-1e-5, 1e-5), min_size=n - 1, max_size=n - 1)
    offsets = data.draw(st.lists(per_sample, min_size=1, max_size=5))
    parameter = Value(program.inputs[0])
    X = np.array([[x + d for x, d in zip(program.inputs[1:], row, strict=True)] + [0.0] for row in offsets])

    def f(*xs):
        return autodiff.sum(program(parameter, *xs[:-1]))

    values, param_grads, input_grads = _value_graph(f, [parameter], X.tolist())
    result = autodiff.compile(f, params=[parameter]).value_and_grad(X)
    assert _close(result.values, values)
    assert _close(result.params, param_grads)
    assert _close(result.inputs, input_grads)


def test_an_op_whose_derivative_has_no_numpy_rule_is_rejected_at_trace_time(monkeypatch):
    # the forward is vectorized, the derivative converts its input to a float
    mysin = Op("mysin", 1, lambda m, x, a: m.sin(x), lambda m, x, out, a: math.cos(x), "mysin", "sin(x).")
    monkeypatch.setitem(autodiff.OPS, "mysin", mysin)
    compiled = autodiff.compile(lambda x: autodiff.apply(mysin, x) * 2, params=[])
    with pytest.raises(TypeError, match="op 'mysin' has no vectorized \\(numpy\\) derivative rule"):
        compiled(np.array([[0.1], [0.2]]))


def test_an_op_whose_numpy_derivative_disagrees_is_rejected_at_trace_time(monkeypatch):
    wrong = Op("wrong", 1, lambda m, x, a: m.sin(x), lambda m, x, out, a: m.cos(x) * (1.0 if m is FLOAT else 2.0),
               "wrong", "sin(x).")
    monkeypatch.setitem(autodiff.OPS, "wrong", wrong)
    compiled = autodiff.compile(lambda x: autodiff.apply(wrong, x), params=[])
    with pytest.raises(TypeError, match="op 'wrong''s numpy derivative rule disagrees"):
        compiled(np.array([[0.1], [0.2]]))


def test_overflow_while_tracing_warns_nothing_and_gives_inf_like_the_value_graph():
    # floats give inf for 1e200 · 1e200 without raising; so must the replay (pytest turns warnings into errors)
    compiled = autodiff.compile(lambda x, y: x * y, params=[])
    X = np.array([[1e200, 1e200], [2.0, 3.0], [-1e200, 1e200]])
    expected = [(Value(x) * Value(y)).data for x, y in X.tolist()]
    assert compiled(X).tolist() == expected == [math.inf, 6.0, -math.inf]
    assert compiled.value_and_grad(X).inputs.tolist() == [[1e200, 1e200], [3.0, 2.0], [1e200, -1e200]]


def test_params_must_be_distinct_leaves():
    a, b = Value(1.0), Value(2.0, name="w")
    with pytest.raises(ValueError, match=r"params\[1\] is the result of mul_const, not a leaf"):
        autodiff.compile(lambda x: x * a, params=[a, a * 2])
    with pytest.raises(ValueError, match=r"params\[2\] \(w\) is the same Value as params\[1\]"):
        autodiff.compile(lambda x: x * a * b, params=[a, b, b])


FORWARD_ERRORS = {
    "exp overflow": (Value.exp, [[0.0], [1000.0], [2.0], [800.0]], OverflowError),
    "x / 0": (lambda x, y: x / y, [[1.0, 2.0], [1.0, 0.0], [3.0, 1.0], [2.0, 0.0]], ZeroDivisionError),
    "1 / 0": (lambda x: 1 / x, [[2.0], [0.0], [1.0], [0.0]], ZeroDivisionError),
    "log(0)": (Value.log, [[1.0], [0.0], [2.0], [-1.0]], ValueError),
    "log(-1)": (Value.log, [[1.0], [-1.0], [2.0], [0.0]], ValueError),
    "sqrt(-1)": (lambda x: x.sqrt() + 1, [[4.0], [-1.0], [1.0], [-2.0]], ValueError),
}


@pytest.mark.parametrize("case", sorted(FORWARD_ERRORS))
def test_a_failing_sample_raises_what_the_value_graph_raises_naming_the_sample(case):
    f, rows, error = FORWARD_ERRORS[case]
    # sample 1 is the first that fails (sample 3 fails too); sample 0 is fine, so tracing succeeds
    with pytest.raises(error) as on_values:
        f(*map(Value, rows[1]))
    with pytest.raises(error) as compiled:
        autodiff.compile(f, params=[])(np.array(rows))
    assert type(compiled.value) is type(on_values.value)
    assert str(compiled.value) == f"compiled replay, sample 1 of the batch: {on_values.value}"


def test_an_infinite_derivative_gives_inf_in_the_compiled_backward():
    # sqrt'(0) = 0.5 / 0: IEEE inf, as PyTorch gives, not an error
    result = autodiff.compile(lambda x: x.sqrt() * 3, params=[]).value_and_grad(np.array([[0.0], [4.0]]))
    assert result.values.tolist() == [0.0, 6.0]
    assert result.inputs.tolist() == [[math.inf], [0.75]]


def test_control_flow_on_data_is_frozen_at_the_first_samples_branch():
    # as compile()'s docstring says: the branch x.data > 0 was taken for sample 0, so for all
    compiled = autodiff.compile(lambda x: x * 2 if x.data > 0 else x * -3, params=[])
    assert compiled(np.array([[1.0], [-1.0]])).tolist() == [2.0, -2.0]
