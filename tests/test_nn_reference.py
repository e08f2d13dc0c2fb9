"""The lecture's backprop equations (nn.reference, numpy) against the Value graph of nn.MLP."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import autodiff
import nn
from autodiff import Value
from nn import reference
from nn.reference import LayerArrays, Network


def test_every_activation_has_numpy_equations():
    assert set(reference.SIGMAS) == set(nn.ACTIVATIONS)


def test_a_hand_worked_network():
    # one relu neuron: x = 2·1 − 1·1 + 0.5 = 1.5 > 0, so y = 1.5 and σ'(x) = 1
    network = Network((LayerArrays(np.array([[2.0, -1.0]]), np.array([0.5])),), ("relu",))
    trace = reference.forward(network, [1.0, 1.0])
    assert trace.pre_activations[0].tolist() == [[1.5]] and trace.outputs[1].tolist() == [[1.5]]
    (grads,), input_grad = reference.backward(network, trace, [[3.0]])
    # ∂L/∂w_1j = 3 · 1 · y_0j, ∂L/∂b = 3, ∂L/∂y_0i = 3 · 1 · w_1i
    assert grads.w.tolist() == [[3.0, 3.0]] and grads.b.tolist() == [3.0]
    assert input_grad.tolist() == [[6.0, -3.0]]
    # below the kink no gradient flows
    (grads,), input_grad = reference.backward(network, reference.forward(network, [-1.0, 1.0]), [[3.0]])
    assert grads.w.tolist() == [[0.0, 0.0]] and grads.b.tolist() == [0.0] and input_grad.tolist() == [[0.0, 0.0]]


def test_network_of_and_named_read_an_mlp():
    model = nn.MLP(3, [4, 2], activation="tanh", rng=0)
    network = reference.network_of(model)
    assert network.activations == ("tanh", "linear")
    assert [(w.shape, b.shape) for w, b in network.layers] == [((4, 3), (4,)), ((2, 4), (2,))]
    assert network.layers[1].w[1, 2] == model.layers[1].neurons[1].w[2].data
    assert reference.named(network.layers) == model.state_dict()


@st.composite
def networks_and_inputs(draw):
    nin = draw(st.integers(1, 4))
    nouts = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))
    activation = draw(st.sampled_from(sorted(nn.ACTIVATIONS)))
    sizes = [nin, *nouts]
    weights = st.floats(-2, 2, allow_subnormal=False)
    layers = tuple(
        LayerArrays(draw(arrays(np.float64, (n_out, n_in), elements=weights)),
                    draw(arrays(np.float64, (n_out,), elements=weights)))
        for n_in, n_out in zip(sizes, sizes[1:], strict=False)
    )
    x = draw(arrays(np.float64, (nin,), elements=st.floats(-3, 3, allow_subnormal=False)))
    output_grad = draw(arrays(np.float64, (nouts[-1],), elements=weights))
    return nin, nouts, activation, layers, x, output_grad


@given(networks_and_inputs())
def test_value_graph_gradients_equal_the_lectures_equations(case):
    nin, nouts, activation, layers, x, output_grad = case
    network = Network(layers, tuple([activation] * (len(nouts) - 1) + ["linear"]))
    trace = reference.forward(network, x)
    if activation in ("relu", "leaky_relu"):
        # away from the kink, where two summation orders could take different sides
        assume(all(np.all(np.abs(pre) > 1e-6) for pre in trace.pre_activations[:-1]))
    model = nn.MLP(nin, nouts, activation=activation, rng=0)
    model.load_state_dict(reference.named(layers))
    inputs = [Value(xi) for xi in x]
    outputs = model(inputs)
    np.testing.assert_allclose([y.data for y in outputs], trace.outputs[-1][0], rtol=1e-12, atol=1e-12)
    # L = Σ_i c_i · y_ki, so that ∂L/∂y_k = c
    autodiff.dot(output_grad.tolist(), outputs).backward()
    grads, input_grad = reference.backward(network, trace, output_grad)
    expected = reference.named(grads)
    actual = {name: p.grad for name, p in model.named_parameters()}
    assert list(actual) == list(expected)
    np.testing.assert_allclose(list(actual.values()), list(expected.values()), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose([xi.grad for xi in inputs], input_grad[0], rtol=1e-9, atol=1e-9)
    for got, want in zip(reference.gradients_of(model), grads, strict=True):
        np.testing.assert_allclose(got.w, want.w, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("seed", [0, 1])
def test_micrograds_demo_step_in_numpy_equals_the_value_graph(seed):
    x, y01 = nn.datasets.make_moons(100, noise=0.1, seed=seed)
    y = 2 * y01 - 1
    model = nn.MLP(2, [16, 16, 1], init="uniform", rng=seed)
    params = model.parameters()
    scores = [model(point)[0] for point in x.tolist()]
    loss = nn.hinge_loss(scores, y.tolist()) + 1e-4 * sum(p * p for p in params)
    loss.backward()
    expected_loss, expected_grads = reference.hinge_l2_loss_and_gradients(reference.network_of(model), x, y, alpha=1e-4)
    assert loss.data == pytest.approx(expected_loss, rel=1e-12)
    expected = reference.named(expected_grads)
    np.testing.assert_allclose([p.grad for p in params], [expected[p.name] for p in params], rtol=1e-9, atol=1e-12)
    # and the margins are away from the hinge's kink, so the comparison is meaningful
    assert min(abs(1 - yi * s.data) for yi, s in zip(y, scores, strict=True)) > 1e-6


def test_backward_sums_a_batch():
    model = nn.MLP(2, [3, 1], activation="tanh", rng=2)
    network = reference.network_of(model)
    batch = np.array([[0.5, -1.0], [2.0, 0.25]])
    summed, _ = reference.backward(network, reference.forward(network, batch), np.ones((2, 1)))
    one = [reference.backward(network, reference.forward(network, row), [[1.0]])[0] for row in batch]
    for layer, (first, second) in zip(summed, zip(*one, strict=True), strict=True):
        np.testing.assert_allclose(layer.w, first.w + second.w, rtol=1e-15)
        np.testing.assert_allclose(layer.b, first.b + second.b, rtol=1e-15)
