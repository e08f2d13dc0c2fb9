"""nn.save / nn.load: JSON round trips that give bit-identical outputs, and every bad file."""

import itertools
import json
import math

import pytest

import nn
from nn.saving import FORMAT, FORMAT_VERSION


@pytest.mark.parametrize("activation", sorted(nn.ACTIVATIONS))
def test_round_trip_gives_bit_identical_outputs(tmp_path, activation):
    model = nn.MLP(3, [5, 4, 2], activation=activation, rng=11)
    path = tmp_path / "model.json"
    nn.save(model, path)
    loaded = nn.load(path)
    assert type(loaded) is nn.MLP and repr(loaded) == repr(model)
    assert loaded.state_dict() == model.state_dict()
    for x in ([0.1, -0.2, 0.3], [1e-3, 7.0, -2.5]):
        assert [v.data for v in loaded(x)] == [v.data for v in model(x)]
    assert [p.name for p in loaded.parameters()] == [p.name for p in model.parameters()]


def test_floats_survive_json_exactly(tmp_path):
    model = nn.MLP(2, [2, 1], init="uniform", rng=0)
    awkward = [0.1 + 0.2, 1e-310, -0.0, 5e-324, 1 / 3, 2.0**-1074 * 3, 123456789.123456789,
               -1.7976931348623157e308, 0.0]
    model.load_state_dict(dict(zip(model.state_dict(), awkward, strict=True)))
    nn.save(model, tmp_path / "m.json")
    restored = list(nn.load(tmp_path / "m.json").state_dict().values())
    assert [x.hex() for x in restored] == [x.hex() for x in awkward]
    assert math.copysign(1.0, restored[2]) == -1.0


@pytest.mark.parametrize("module", [nn.Layer(2, 3, activation="tanh", init="uniform", rng=0),
                                    nn.Neuron(4, activation="sigmoid", rng=0)])
def test_layers_and_neurons_round_trip(tmp_path, module):
    nn.save(module, tmp_path / "m.json")
    loaded = nn.load(tmp_path / "m.json")
    assert type(loaded) is type(module) and repr(loaded) == repr(module)
    assert loaded.state_dict() == module.state_dict()


def test_the_file_is_plain_json_with_a_format_and_version(tmp_path):
    path = tmp_path / "m.json"
    nn.save(nn.MLP(2, [1], activation="tanh", rng=0), path)
    document = json.loads(path.read_text())
    assert document["format"] == FORMAT == "scalar-autodiff.nn" and document["version"] == FORMAT_VERSION == 1
    assert document["module"] == "MLP"
    assert document["config"] == {"nin": 2, "nouts": [1], "activation": "tanh", "init": None}
    assert list(document["parameters"]) == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]  # no partial file left behind


def test_saving_what_json_cannot_hold_is_refused(tmp_path):
    model = nn.MLP(2, [1], rng=0)
    model.layers[0].neurons[0].w[1].data = math.nan
    with pytest.raises(ValueError, match="'layers.0.neurons.0.w.1' is nan"):
        nn.save(model, tmp_path / "m.json")

    class Custom(nn.Module):
        def named_parameters(self):
            return []

    class MyMLP(nn.MLP):
        pass

    for module in (Custom(), MyMLP(2, [1], rng=0)):
        with pytest.raises(TypeError, match="saves an MLP, a Layer, a Neuron"):
            nn.save(module, tmp_path / "m.json")


def saved(tmp_path):
    path = tmp_path / "m.json"
    nn.save(nn.MLP(2, [2, 1], rng=0), path)
    return path, json.loads(path.read_text())


def test_a_truncated_or_empty_file(tmp_path):
    path, _ = saved(tmp_path)
    text = path.read_text()
    for broken in (text[: len(text) // 2], text[:-3], ""):
        path.write_text(broken)
        with pytest.raises(ValueError, match="invalid JSON.*truncated"):
            nn.load(path)


def test_a_missing_file():
    with pytest.raises(FileNotFoundError):
        nn.load("/nonexistent/model.json")


def edit(document, change):
    document = json.loads(json.dumps(document))
    change(document)
    return document


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="something-else"), "format"),
        (lambda d: d.pop("format"), "format"),
        (lambda d: d.update(version=2), "version is 2"),
        (lambda d: d.update(version=0), "version is 0"),
        (lambda d: d.update(version="1"), "version is '1'"),
        (lambda d: d.update(version=True), "version is True"),
        (lambda d: d.pop("version"), "version is None"),
        (lambda d: d.pop("parameters"), "lacks the fields 'parameters'"),
        (lambda d: d.update(extra=1), "unexpected fields 'extra'"),
        (lambda d: d.update(module="CNN"), "unknown module 'CNN'"),
        (lambda d: d.update(module=["MLP"]), "unknown module"),
        (lambda d: d.update(config=[2, [2, 1]]), "config.*must be a JSON object"),
        (lambda d: d["config"].pop("nouts"), "lacks the fields 'nouts'"),
        (lambda d: d["config"].update(rng=3), "unexpected fields 'rng'"),
        (lambda d: d["config"].update(nin="2"), "invalid MLP config"),
        (lambda d: d["config"].update(nouts=[]), "invalid MLP config"),
        (lambda d: d["config"].update(nouts=[2.0, 1]), "invalid MLP config"),
        (lambda d: d["config"].update(activation="swish"), "unknown activation 'swish'"),
        (lambda d: d["config"].update(nouts=[3, 1]), "missing parameters 'layers.0.neurons.2.w.0'"),
        (lambda d: d["config"].update(nin=1), "unexpected keys 'layers.0.neurons.0.w.1'"),
        (lambda d: d.update(parameters=[0.5] * 9), "parameters.*must be an object"),
        (lambda d: d["parameters"].pop("layers.1.neurons.0.b"), "missing parameters 'layers.1.neurons.0.b'"),
        (lambda d: d["parameters"].update({"layers.1.neurons.0.w.9": 0.5}), "unexpected keys 'layers.1.neurons.0.w.9'"),
        (lambda d: d["parameters"].update({"layers.0.neurons.0.b": "0.5"}), "'layers.0.neurons.0.b' is '0.5', not a"),
        (lambda d: d["parameters"].update({"layers.0.neurons.0.b": None}), "is None, not a number"),
        (lambda d: d["parameters"].update({"layers.0.neurons.0.b": True}), "is True, not a number"),
    ],
)
def test_a_malformed_or_mismatched_file_is_a_clear_value_error(tmp_path, change, message):
    path, document = saved(tmp_path)
    path.write_text(json.dumps(edit(document, change)))
    with pytest.raises(ValueError, match=message) as error:
        nn.load(path)
    assert "is not a saved network" in str(error.value)


@pytest.mark.parametrize("text", ["[1, 2, 3]", '"MLP"', "null"])
def test_json_that_is_not_an_object(tmp_path, text):
    path = tmp_path / "m.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="format"):
        nn.load(path)


def test_non_standard_numbers_and_repeated_keys(tmp_path):
    path, document = saved(tmp_path)
    text = json.dumps(document)
    for broken, message in (
        (text.replace('"layers.0.neurons.0.b": 0.0', '"layers.0.neurons.0.b": NaN'), "NaN"),
        (text.replace('"layers.0.neurons.0.b": 0.0', '"layers.0.neurons.0.b": -Infinity'), "Infinity"),
        (text.replace('"layers.0.neurons.0.b": 0.0', '"layers.0.neurons.0.b": 0.0, "layers.0.neurons.0.b": 1.0'),
         "'layers.0.neurons.0.b' appears more than once"),
    ):
        assert broken != text
        path.write_text(broken)
        with pytest.raises(ValueError, match=message):
            nn.load(path)


def test_a_huge_config_with_few_parameters_is_rejected_before_building(tmp_path):
    path = tmp_path / "huge.json"
    document = {"format": nn.saving.FORMAT, "version": 1, "module": "MLP",
                "config": {"nin": 3000, "nouts": [3000, 3000, 1], "activation": "relu", "init": None},
                "parameters": {}}
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="18009001 parameters, the file 0"):
        nn.load(path)


BIAS = '"layers.0.neurons.0.b": 0.0'


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (("[" * 100_000 + "]" * 100_000).encode(), "nested too deeply"),
        (b'{"format": "\xff\xfe"}', "not UTF-8 text"),
        (BIAS.replace("0.0", "1" + "0" * 400), "'layers.0.neurons.0.b' is an integer near 1e400, too large for a"),
        (BIAS.replace("0.0", "1" + "0" * 5000), "an integer of 5001 digits, too large for a parameter"),
        (BIAS.replace("0.0", "1e400"), "'layers.0.neurons.0.b' is inf, not a finite number"),
        (BIAS.replace("0.0", "-1e999"), "'layers.0.neurons.0.b' is -inf, not a finite number"),
        (BIAS.replace("0.0", "[" * 900 + "]" * 900), r"'layers.0.neurons.0.b' is \[\[\[.*…, not a number"),
    ],
    ids=["deeply nested", "not UTF-8", "huge int", "huger int", "1e400", "-1e999", "nested value"],
)
def test_hostile_bytes_and_numbers_are_a_value_error_naming_the_file(tmp_path, content, message):
    path, document = saved(tmp_path)
    text = json.dumps(document)
    assert BIAS in text
    path.write_bytes(text.replace(BIAS, content).encode() if isinstance(content, str) else content)
    with pytest.raises(ValueError, match=message) as error:
        nn.load(path)
    assert type(error.value) is ValueError  # not a RecursionError, OverflowError or UnicodeDecodeError
    assert str(error.value).startswith(f"{str(path)!r} is not a saved network: ")
    assert len(str(error.value)) < 300  # a huge value is not printed whole


BAD_FIELD_VALUES = [None, True, 1.5, "2", [], {}, [1], [[2]], -1, 0, 1e400, {"a": 1}, "[" * 900 + "]" * 900]


@pytest.mark.parametrize("module", [nn.MLP(2, [2, 1], rng=0), nn.Layer(2, 2, rng=0), nn.Neuron(2, rng=0)],
                         ids=lambda module: type(module).__name__)
def test_every_config_field_of_the_wrong_type_is_a_value_error(tmp_path, module):
    path = tmp_path / "m.json"
    nn.save(module, path)
    original = path.read_text()
    fields = list(json.loads(original)["config"])
    assert "nin" in fields and "activation" in fields and "init" in fields
    for field, bad in itertools.product(fields, BAD_FIELD_VALUES):
        if field == "init" and bad is None:
            continue
        document = json.loads(original)
        document["config"][field] = bad
        text = json.dumps(document)
        if isinstance(bad, str) and bad.startswith("["):
            text = text.replace(json.dumps(bad), bad)
        path.write_text(text)
        with pytest.raises(ValueError, match="is not a saved network") as error:
            nn.load(path)
        assert len(str(error.value)) < 600
