"""autodiff.pictures.scopes: which module each value belongs to, from parameter names."""

import pytest

import autodiff
from autodiff import Value, topological_order
from autodiff.pictures.scopes import infer_scopes, module_path, modules_of

NEURON = ("layers", "0", "neurons", "3")


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("layers.0.neurons.3.w.1", NEURON),
        ("layers.0.neurons.3.b", NEURON),
        ("encoder.fc.weight", ("encoder", "fc")),
        ("x", ()),
        ("w.1", ()),
        ("3", ()),
    ],
)
def test_module_path_drops_the_parameter_name_and_its_indices(name, path):
    assert module_path(name) == path


def test_modules_are_the_prefixes_not_followed_by_an_index():
    assert modules_of(NEURON) == [("layers", "0"), NEURON]
    assert modules_of(("encoder", "fc")) == [("encoder",), ("encoder", "fc")]
    assert modules_of(()) == []


def neuron(j, inputs, activation=True):
    w = [Value(0.5, name=f"layers.0.neurons.{j}.w.{k}") for k in range(len(inputs))]
    b = Value(0.1, name=f"layers.0.neurons.{j}.b")
    z = autodiff.dot(w, inputs) + b
    return (z.tanh() if activation else z), z


def test_values_made_from_a_neurons_parameters_and_its_activation_are_in_the_neuron():
    inputs = [Value(1.0), Value(2.0)]
    out, z = neuron(3, inputs)
    loss = (out - 1.0) ** 2
    scopes = infer_scopes(topological_order(loss))
    assert scopes[z] == scopes[z.parents[0]] == scopes[out] == NEURON
    assert scopes[loss] == scopes[loss.parents[0]] == scopes[inputs[0]] == ()


def test_arithmetic_with_a_constant_after_a_linear_neuron_starts_the_loss():
    out, _ = neuron(3, [Value(1.0)], activation=False)
    error = out - 1.0
    scopes = infer_scopes(topological_order(error * error))
    assert scopes[out] == NEURON and scopes[error] == ()


def test_partial_sums_of_a_neuron_written_with_python_sum_stay_in_the_neuron():
    w = [Value(0.5, name=f"layers.0.neurons.3.w.{k}") for k in range(3)]
    x = [Value(1.0), Value(2.0), Value(3.0)]
    z = sum(wk * xk for wk, xk in zip(w, x, strict=True)) + Value(0.1, name="layers.0.neurons.3.b")
    order = topological_order(z.relu())
    scopes = infer_scopes(order)
    assert {scopes[v] for v in order if v.op is not None} == {NEURON}


def test_outputs_of_one_neuron_combined_without_parameters_are_at_the_top_level():
    outputs = [neuron(3, [Value(float(s))])[0] for s in range(2)]
    total = outputs[0] + outputs[1]
    assert infer_scopes(topological_order(total))[total] == ()


def test_parameters_of_two_neurons_put_a_value_in_their_common_layer():
    a = Value(1.0, name="layers.1.neurons.0.w.0")
    b = Value(2.0, name="layers.1.neurons.1.w.0")
    c = Value(2.0, name="layers.2.neurons.0.w.0")
    ab, ac = a * b, a * c
    assert infer_scopes(topological_order(ab))[ab] == ("layers", "1")
    assert infer_scopes(topological_order(ac))[ac] == ()


def test_a_named_value_is_in_the_module_of_its_name():
    out = (Value(1.0) * 2).tanh()
    out.name = "layers.2.neurons.0.out"
    assert infer_scopes(topological_order(out))[out] == ("layers", "2", "neurons", "0")
