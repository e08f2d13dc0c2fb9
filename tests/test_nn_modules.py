"""nn's modules: Neuron, Layer, MLP, their parameters, names, seeding, initialisation and errors."""

import math
import random

import numpy as np
import pytest

import autodiff
import nn
from autodiff import Value


def test_parameter_counts():
    # micrograd's demo network: (2·16 + 16) + (16·16 + 16) + (16·1 + 1)
    assert len(nn.MLP(2, [16, 16, 1], rng=0).parameters()) == 48 + 272 + 17
    assert len(nn.Layer(3, 4, rng=0).parameters()) == 3 * 4 + 4
    assert len(nn.Neuron(5, rng=0).parameters()) == 6


def test_parameter_names_in_order_and_carried_by_each_value():
    model = nn.MLP(2, [2, 1], rng=0)
    expected = [
        "layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b",
        "layers.0.neurons.1.w.0", "layers.0.neurons.1.w.1", "layers.0.neurons.1.b",
        "layers.1.neurons.0.w.0", "layers.1.neurons.0.w.1", "layers.1.neurons.0.b",
    ]
    named = model.named_parameters()
    assert [name for name, _ in named] == expected
    assert [p.name for _, p in named] == expected
    assert named[3][1] is model.layers[0].neurons[1].w[0]
    assert named[-1][1] is model.layers[1].neurons[0].b
    assert model.parameters() == [p for _, p in named]


def test_names_of_standalone_neurons_and_layers():
    neuron = nn.Neuron(2, rng=0)
    assert [name for name, _ in neuron.named_parameters()] == ["w.0", "w.1", "b"]
    assert neuron.w[1].name == "w.1" and neuron.b.name == "b"
    layer = nn.Layer(1, 2, rng=0)
    names = [name for name, _ in layer.named_parameters()]
    assert names == ["neurons.0.w.0", "neurons.0.b", "neurons.1.w.0", "neurons.1.b"]


def test_repr_in_pytorch_style():
    assert repr(nn.MLP(2, [16, 16, 1], rng=0)) == "MLP(2 → 16 → 16 → 1, activation=relu)"
    assert repr(nn.MLP(3, [4], activation="tanh", init="uniform", rng=0)) == "MLP(3 → 4, activation=tanh, init=uniform)"
    assert repr(nn.Layer(2, 3, activation="sigmoid", rng=0)) == "Layer(2 → 3, activation=sigmoid)"
    assert repr(nn.Neuron(4, activation="linear", rng=0)) == "Neuron(4, activation=linear)"


def test_hidden_layers_use_the_activation_and_the_last_layer_is_linear():
    model = nn.MLP(2, [3, 4, 2], activation="tanh", rng=0)
    assert [layer.activation for layer in model.layers] == ["tanh", "tanh", "linear"]
    assert [(layer.nin, layer.nout) for layer in model.layers] == [(2, 3), (3, 4), (4, 2)]
    assert model.activation == "tanh"


def set_neuron(neuron, w, b):
    neuron.load_state_dict({**{f"w.{k}": wk for k, wk in enumerate(w)}, "b": b})


@pytest.mark.parametrize(
    ("activation", "x", "expected"),
    [
        # pre-activation 0.5·2 − 1·1 + 0.25 = 0.25
        ("relu", [2.0, 1.0], 0.25),
        ("linear", [2.0, 1.0], 0.25),
        ("tanh", [2.0, 1.0], math.tanh(0.25)),
        ("sigmoid", [2.0, 1.0], 1 / (1 + math.exp(-0.25))),
        # pre-activation 0.5·(−2) − 1·1 + 0.25 = −1.75
        ("relu", [-2.0, 1.0], 0.0),
        ("leaky_relu", [-2.0, 1.0], -0.0175),
        ("linear", [-2.0, 1.0], -1.75),
    ],
)
def test_neuron_computes_sigma_of_w_dot_x_plus_b(activation, x, expected):
    neuron = nn.Neuron(2, activation=activation, rng=0)
    set_neuron(neuron, [0.5, -1.0], 0.25)
    out = neuron(x)
    assert isinstance(out, Value)
    assert out.data == pytest.approx(expected, rel=1e-15, abs=1e-18)


def test_neuron_gradients_by_hand():
    neuron = nn.Neuron(2, activation="tanh", rng=0)
    set_neuron(neuron, [0.5, -1.0], 0.25)
    x = [Value(2.0), Value(1.0)]
    neuron(x).backward()
    slope = 1 - math.tanh(0.25) ** 2  # σ'(x) for tanh
    assert [w.grad for w in neuron.w] == pytest.approx([slope * 2.0, slope * 1.0], rel=1e-15)
    assert neuron.b.grad == pytest.approx(slope, rel=1e-15)
    assert [xi.grad for xi in x] == pytest.approx([slope * 0.5, slope * -1.0], rel=1e-15)


def test_pre_activation_is_one_fused_node_plus_the_bias():
    neuron = nn.Neuron(3, activation="relu", rng=0)
    out = neuron([1.0, 2.0, 3.0])
    assert out.op.name == "relu"
    (pre,) = out.parents
    assert pre.op.name == "add"
    fused, bias = pre.parents
    assert bias is neuron.b
    # numbers as inputs: a linear node over the weights with the inputs as its coefficients
    assert fused.op.name == "linear" and fused.parents == tuple(neuron.w) and fused.arg == (1.0, 2.0, 3.0)
    xs = [Value(1.0), Value(2.0), Value(3.0)]
    fused = neuron(xs).parents[0].parents[0]
    assert fused.op.name == "dot" and fused.parents == (*neuron.w, *xs)


def test_a_linear_neuron_adds_no_activation_node():
    neuron = nn.Neuron(2, activation="linear", rng=0)
    assert neuron([1.0, 2.0]).op.name == "add"


@pytest.mark.parametrize("make", [lambda: nn.Layer(3, 1, rng=0), lambda: nn.MLP(3, [1], rng=0),
                                  lambda: nn.MLP(3, [4, 2], rng=0)])
def test_layers_and_mlps_return_a_list_of_values(make):
    module = make()
    for x in ([1.0, 2.0, 3.0], (1, 2, 3), np.array([1.0, 2.0, 3.0]), [Value(1.0), 2.0, Value(3.0)]):
        out = module(x)
        assert type(out) is list and all(isinstance(v, Value) for v in out)
        assert len(out) == (module.nout if isinstance(module, nn.Layer) else module.nouts[-1])


@pytest.mark.parametrize("module", [nn.Neuron(3, rng=0), nn.Layer(3, 2, rng=0), nn.MLP(3, [2, 1], rng=0)])
def test_a_wrong_input_length_names_both_lengths(module):
    with pytest.raises(ValueError, match=r"takes 3 inputs, got 2"):
        module([1.0, 2.0])
    with pytest.raises(TypeError, match="sequence of 3 numbers"):
        module(1.0)


def test_unknown_activation_lists_the_valid_ones():
    for make in (lambda: nn.Neuron(2, activation="swish"), lambda: nn.Layer(2, 2, activation="swish"),
                 lambda: nn.MLP(2, [2], activation="swish")):
        with pytest.raises(ValueError, match="'swish'") as error:
            make()
        for name in ("relu", "leaky_relu", "tanh", "sigmoid", "linear"):
            assert repr(name) in str(error.value)


def test_unknown_init_lists_the_valid_ones():
    with pytest.raises(ValueError, match="'he', 'xavier', 'uniform'"):
        nn.MLP(2, [2], init="orthogonal")


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: nn.Neuron(0), ValueError),
        (lambda: nn.Neuron(2.0), TypeError),
        (lambda: nn.Layer(2, 0), ValueError),
        (lambda: nn.MLP(2, []), TypeError),
        (lambda: nn.MLP(2, 3), TypeError),
        (lambda: nn.MLP(2, [3, 0]), ValueError),
        (lambda: nn.MLP(True, [3]), TypeError),
        (lambda: nn.MLP(2, [3], rng="seed"), TypeError),
        (lambda: nn.MLP(2, [3], rng=1.5), TypeError),
        (lambda: nn.MLP(2, [3], rng=True), TypeError),
    ],
)
def test_bad_sizes_and_generators_are_rejected(make, error):
    with pytest.raises(error):
        make()


def test_the_same_seed_gives_the_same_network():
    assert nn.MLP(2, [8, 1], rng=7).state_dict() == nn.MLP(2, [8, 1], rng=7).state_dict()
    assert nn.MLP(2, [8, 1], rng=7).state_dict() == nn.MLP(2, [8, 1], rng=random.Random(7)).state_dict()
    assert nn.MLP(2, [8, 1], rng=7).state_dict() != nn.MLP(2, [8, 1], rng=8).state_dict()
    # None draws its seed from Python's global random state
    random.seed(3)
    first = nn.MLP(2, [8, 1]).state_dict()
    random.seed(3)
    assert nn.MLP(2, [8, 1]).state_dict() == first
    assert nn.MLP(2, [8, 1]).state_dict() != first


def test_a_shared_generator_continues_from_layer_to_layer():
    generator = random.Random(5)
    a, b = nn.Layer(3, 2, rng=generator), nn.Layer(3, 2, rng=generator)
    assert a.state_dict() != b.state_dict()


@pytest.mark.parametrize(
    ("activation", "init", "bound"),
    [
        ("relu", None, math.sqrt(6 / 200)),  # He: gain √2 · √(3 / fan_in)
        ("leaky_relu", None, math.sqrt(6 / (1 + 0.01**2) / 200)),
        ("tanh", None, math.sqrt(6 / (200 + 100))),  # Glorot: √(6 / (fan_in + fan_out))
        ("sigmoid", None, math.sqrt(6 / (200 + 100))),
        ("linear", None, math.sqrt(6 / (200 + 100))),
        ("relu", "uniform", 1.0),  # micrograd's U(−1, 1)
        ("tanh", "he", 5 / 3 * math.sqrt(3 / 200)),  # PyTorch's gain for tanh
        ("relu", "xavier", math.sqrt(6 / (200 + 100))),
    ],
)
def test_initialisation_draws_uniformly_within_the_scheme_bound(activation, init, bound):
    layer = nn.Layer(200, 100, activation=activation, init=init, rng=0)
    weights = np.array([w.data for neuron in layer.neurons for w in neuron.w])
    assert np.all(np.abs(weights) <= bound)
    assert np.abs(weights).max() > 0.99 * bound
    # the variance of U(−a, a) is a² / 3; 20,000 draws put the sample within a few percent
    assert weights.var() == pytest.approx(bound**2 / 3, rel=0.05)
    assert all(neuron.b.data == 0.0 for neuron in layer.neurons)


def test_zero_grad_resets_every_parameter():
    model = nn.MLP(2, [3, 1], rng=0)
    model([1.0, 2.0])[0].backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_state_dict_round_trip():
    source, target = nn.MLP(2, [3, 1], rng=0), nn.MLP(2, [3, 1], rng=1)
    state = source.state_dict()
    assert list(state) == [name for name, _ in source.named_parameters()]
    assert all(type(v) is float for v in state.values())
    target.load_state_dict(state)
    assert target.state_dict() == state
    assert target([0.3, -0.7])[0].data == source([0.3, -0.7])[0].data
    state["layers.0.neurons.0.b"] = 99.0  # the dict is a copy, not a view
    assert source.layers[0].neurons[0].b.data == 0.0


def test_load_state_dict_is_strict_and_changes_nothing_on_error():
    model = nn.MLP(2, [2, 1], rng=0)
    before = model.state_dict()
    missing = dict(before)
    del missing["layers.1.neurons.0.b"]
    with pytest.raises(KeyError, match="missing.*'layers.1.neurons.0.b'"):
        model.load_state_dict(missing)
    extra = {**before, "layers.2.neurons.0.b": 1.0}
    with pytest.raises(ValueError, match="unexpected.*'layers.2.neurons.0.b'"):
        model.load_state_dict(extra)
    wrong = {name: 1.0 for name in before} | {"layers.1.neurons.0.b": "0.5"}
    with pytest.raises(TypeError, match="'layers.1.neurons.0.b'"):
        model.load_state_dict(wrong)
    with pytest.raises(TypeError, match="mapping"):
        model.load_state_dict([1.0] * 9)
    assert model.state_dict() == before


def test_a_module_must_define_forward_and_its_parameters():
    class Empty(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="Empty must define forward"):
        Empty()(1.0)
    with pytest.raises(NotImplementedError, match="Empty must define named_parameters"):
        Empty().parameters()


def test_a_custom_module_gets_the_shared_behaviour():
    class Affine(nn.Module):
        def __init__(self):
            self.scale, self.shift = Value(2.0), Value(1.0)

        def forward(self, x):
            return self.scale * x + self.shift

        def named_parameters(self):
            return [("scale", self.scale), ("shift", self.shift)]

    module = Affine()
    assert module(3.0).data == 7.0
    assert module.state_dict() == {"scale": 2.0, "shift": 1.0}
    module.load_state_dict({"scale": -1.0, "shift": 0.5})
    assert module(3.0).data == -2.5


def test_a_compiled_mlp_matches_the_value_graph_on_a_batch():
    model = nn.MLP(3, [5, 4, 2], activation="tanh", rng=7)
    X = np.array([[0.5, -1.0, 2.0], [0.1, 0.2, -0.3], [-1.5, 0.7, 0.0]])
    expected = [[v.data for v in model(row)] for row in X.tolist()]
    np.testing.assert_allclose(model.compile()(X), expected, rtol=1e-12, atol=1e-15)


def test_a_compiled_loss_accumulates_the_batch_gradients_into_grad():
    model = nn.MLP(2, [4, 2], rng=3)
    rows = np.array([[0.5, -1.0, 1.0, 0.0, 0.3], [1.5, 0.5, 0.0, 1.0, -0.2]])  # inputs, one-hot action, target

    def td_loss(q, left, right, target):
        return (autodiff.dot([left, right], q) - target) ** 2

    compiled = model.compile(td_loss)
    model.zero_grad()
    total = compiled.backward(rows, weights=0.5)
    fused = [p.grad for p in model.parameters()]
    model.zero_grad()
    expected = autodiff.sum(td_loss(model(r[:2]), *r[2:]) for r in rows.tolist()) * 0.5
    expected.backward()
    assert total == pytest.approx(expected.data, rel=1e-12)
    np.testing.assert_allclose(fused, [p.grad for p in model.parameters()], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (10**400, "'layers.1.neurons.0.b' is an integer near 1e400, too large for a float"),
        (math.inf, "'layers.1.neurons.0.b' is inf, not a finite number"),
        (-math.inf, "'layers.1.neurons.0.b' is -inf, not a finite number"),
        (math.nan, "'layers.1.neurons.0.b' is nan, not a finite number"),
        (np.float64("nan"), "'layers.1.neurons.0.b' is nan"),
    ],
    ids=["huge int", "inf", "-inf", "nan", "numpy nan"],
)
def test_load_state_dict_converts_and_checks_every_value_before_changing_any(bad, message):
    model = nn.MLP(2, [2, 1], rng=0)
    before = model.state_dict()
    state = {name: 1.0 for name in before} | {"layers.1.neurons.0.b": bad}
    assert list(state)[-1] == "layers.1.neurons.0.b"  # the bad value comes last
    with pytest.raises(ValueError, match=message):
        model.load_state_dict(state)
    assert model.state_dict() == before


def test_load_state_dict_stores_plain_floats():
    model = nn.Neuron(2, rng=0)
    model.load_state_dict({"w.0": np.float32(0.5), "w.1": 3, "b": np.int64(-2)})
    assert [(type(v), v) for v in model.state_dict().values()] == [(float, 0.5), (float, 3.0), (float, -2.0)]


def test_numpy_integer_seeds_are_accepted_like_ints():
    assert nn.MLP(2, [3, 1], rng=np.int64(7)).state_dict() == nn.MLP(2, [3, 1], rng=7).state_dict()
    assert nn.Layer(2, 3, rng=np.uint8(7)).state_dict() == nn.Layer(2, 3, rng=7).state_dict()
    assert nn.Neuron(2, rng=np.int32(7)).state_dict() == nn.Neuron(2, rng=7).state_dict()


@pytest.mark.parametrize("rng", ["seed", 1.5, True, np.bool_(True), np.float64(1.0), np.random.default_rng(0)])
def test_other_generators_are_a_type_error_naming_what_is_accepted(rng):
    with pytest.raises(TypeError, match=r"rng must be a random\.Random, an int seed .*or None, got"):
        nn.MLP(2, [3], rng=rng)


BATCHES = [np.zeros((2, 2)), np.zeros((5, 2)), [[0.1, 0.2], [0.3, 0.4]], [(0.1, 0.2)] * 5, [np.zeros(2), np.zeros(2)]]


@pytest.mark.parametrize("module", [nn.Neuron(2, rng=0), nn.Layer(2, 3, rng=0), nn.MLP(2, [3, 1], rng=0)], ids=repr)
@pytest.mark.parametrize("batch", BATCHES, ids=["array 2x2", "array 5x2", "lists", "tuples", "rows of arrays"])
def test_a_batch_is_refused_at_the_entry_with_a_pointer_to_compile(module, batch):
    with pytest.raises(ValueError, match=r"takes one sample, a sequence of 2 numbers or Values, got .*MLP\.compile"):
        module(batch)


@pytest.mark.parametrize("x", [["a", "b"], [1.0, None], [True, 1.0], "ab"])
def test_inputs_that_are_not_numbers_name_the_first_bad_one(x):
    model = nn.MLP(2, [3, 1], rng=0)
    with pytest.raises(TypeError, match=r"takes a sequence of 2 numbers or Values, but x\[[01]\] is"):
        model(x)


def test_one_sample_as_a_numpy_row_or_a_list_of_numpy_numbers_still_works():
    model = nn.MLP(2, [3, 1], rng=0)
    expected = model([0.5, -1.0])[0].data
    assert model(np.array([0.5, -1.0]))[0].data == expected
    assert model([np.float32(0.5), np.int64(-1)])[0].data == expected
    assert model(np.array([[0.5, -1.0]])[0])[0].data == expected


class Net(nn.Module):
    """A user's own composite module, PyTorch-style: an MLP body and a Layer head."""

    def __init__(self):
        self.body = nn.MLP(2, [3], activation="tanh", rng=0)
        self.head = nn.Layer(3, 1, activation="linear", rng=1)
        self.name_parameters()

    def forward(self, x):
        return self.head(self.body(x))

    def named_parameters(self):
        return [*((f"body.{name}", p) for name, p in self.body.named_parameters()),
                *((f"head.{name}", p) for name, p in self.head.named_parameters())]


def test_a_users_composite_module_names_its_values_with_one_public_call():
    net = Net()
    named = net.named_parameters()
    assert named[0][0] == "body.layers.0.neurons.0.w.0" and named[-1][0] == "head.neurons.0.b"
    assert [p.name for _, p in named] == [name for name, _ in named]
    # the picture of the graph groups the values by those names
    source = autodiff.draw(net([0.5, -1.0])[0]).source
    assert 'label="body.layers.0"' in source and 'label="head.neurons.0"' in source


def test_inputs_of_a_value_subclass_keep_their_gradients():
    class Tagged(Value):
        pass

    a, b = Tagged(1.0), Tagged(2.0)
    network = nn.MLP(2, [2, 1], activation="tanh", rng=0)
    network([a, b])[0].backward()
    plain_a, plain_b = Value(1.0), Value(2.0)
    network([plain_a, plain_b])[0].backward()
    assert (a.grad, b.grad) == (plain_a.grad, plain_b.grad) != (0.0, 0.0)
