"""Loaders and parsers fed arbitrary JSON, bytes and text: only documented exceptions; a failed load changes nothing.

nn.load, Module.load_state_dict, SGD/Adam.load_state_dict, rl's config.json reader, the
expression parser (with the graph it builds), NAME=VALUE bindings, and sweep folders.
"""

import copy
import dataclasses
import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn
import rl
from autodiff.cli.expression import ExpressionError, parse, parse_binding
from rl.run_folder import read_config
from rl.sweeps import load_sweep, summarize
from rl.sweeps.plan import run_key
from rl.sweeps.store import RUN_FORMAT, SWEEP_FORMAT
from tests.conftest import ON_CI

FUZZ = settings(max_examples=150 if ON_CI else 60, suppress_health_check=[HealthCheck.function_scoped_fixture])

SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.sampled_from(
    [0, 1, -1, 2.5, "MLP", "relu", "SGD", "Adam", "scalar-autodiff.nn", 10**400, 2**53 + 1, 1e308])
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                          max_size=4), max_leaves=12)
# what replaces a value in a valid document: containers as often as scalars
REPLACEMENTS = st.one_of(SCALARS, st.lists(SCALARS, max_size=3),
                         st.dictionaries(st.text(max_size=6), SCALARS, max_size=3), JSON)


def replace_somewhere(document, data):
    """`document` with one value anywhere in it (or the whole) replaced by arbitrary JSON."""
    document = copy.deepcopy(document)
    path = []
    node = document
    # down at least one level most of the time, deeper at even odds
    go_down = data.draw(st.integers(0, 4)) > 0
    while isinstance(node, dict | list) and node and go_down:
        key = data.draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))))
        path.append((node, key))
        node = node[key]
        go_down = data.draw(st.booleans())
    if not path:
        return data.draw(JSON)
    parent, key = path[-1]
    if isinstance(parent, dict) and data.draw(st.booleans()):
        parent[data.draw(st.text(max_size=12))] = data.draw(REPLACEMENTS)  # an extra key
    else:
        parent[key] = data.draw(REPLACEMENTS)
    return document


def as_text(document):
    return json.dumps(document, allow_nan=True)


# ---------------------------------------------------------------------------------------------
# nn.load


MODEL = nn.MLP(2, [2, 1], rng=0)


def load_or_refuse(path):
    """nn.load's outcome: the module, or its ValueError; any other exception fails the test."""
    try:
        return nn.load(path)
    except ValueError as error:
        assert "is not a saved network" in str(error)
        assert len(str(error)) < 1000
        return None


@FUZZ
@given(data=st.data())
def test_nn_load_of_a_damaged_saved_network(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("load") / "m.json"
    nn.save(MODEL, path)
    document = replace_somewhere(json.loads(path.read_text()), data)
    path.write_text(as_text(document))
    loaded = load_or_refuse(path)
    if loaded is not None:
        assert all(math.isfinite(v) for v in loaded.state_dict().values())


@FUZZ
@given(content=st.binary(max_size=200) | JSON.map(lambda d: as_text(d).encode()))
def test_nn_load_of_any_bytes(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("load") / "m.json"
    path.write_bytes(content)
    assert load_or_refuse(path) is None


# ---------------------------------------------------------------------------------------------
# Module.load_state_dict and the optimizers' load_state_dict


@FUZZ
@given(data=st.data())
def test_module_load_state_dict_is_all_or_nothing(data):
    model = nn.MLP(2, [2, 1], rng=1)
    before = model.state_dict()
    state = data.draw(st.one_of(JSON, st.just(before).map(lambda s: replace_somewhere(s, data))))
    try:
        model.load_state_dict(state)
    except (KeyError, ValueError, TypeError):
        assert model.state_dict() == before
    else:
        assert model.state_dict() == {name: float(state[name]) for name in before}


def trained(optimizer):
    model = nn.MLP(2, [2, 1], rng=2)
    opt = optimizer(model.parameters())
    for _ in range(2):
        opt.zero_grad()
        nn.mse_loss(model([0.5, -1.0]), [1.0]).backward()
        opt.step()
    return model, opt


OPTIMIZERS = [lambda ps: nn.SGD(ps, 0.1, momentum=0.9), lambda ps: nn.Adam(ps, 0.01)]


@FUZZ
@given(which=st.sampled_from(OPTIMIZERS), data=st.data())
def test_optimizer_load_state_dict_is_all_or_nothing(which, data):
    model, opt = trained(which)
    before, weights = opt.state_dict(), model.state_dict()
    state = data.draw(st.one_of(JSON, st.just(before).map(lambda s: replace_somewhere(s, data))))
    try:
        opt.load_state_dict(state)
    except (ValueError, TypeError):
        assert opt.state_dict() == before and model.state_dict() == weights
    else:
        assert model.state_dict() == weights  # loading an optimizer's state never touches the weights
        opt.zero_grad()
        opt.step()  # a state it took can take a step


# ---------------------------------------------------------------------------------------------
# rl's config.json reader


SAVED_CONFIG = {"env_id": "FrozenLake-v1", "env_kwargs": {"is_slippery": False}, "max_episode_steps": None,
                "seed": 1, "total_steps": 3000, "hidden_sizes": [32], "discount": 0.9, "learning_rate": 0.003,
                "optimizer": "adam", "loss": "mean", "success": "goal", "compiled": True}


def read_or_refuse(path):
    """read_config's outcome: the config, or its one-line ValueError; any other exception fails the test."""
    try:
        return read_config(path)
    except ValueError as error:
        message = str(error)
        assert message.startswith("cannot read the run config") and "\n" not in message and len(message) <= 400
        return None


@FUZZ
@given(data=st.data())
def test_the_run_config_reader_of_a_damaged_config(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("run") / "config.json"
    path.write_text(as_text(replace_somewhere(SAVED_CONFIG, data)))
    config = read_or_refuse(path)
    assert config is None or isinstance(config.env_id, str)


@FUZZ
@given(content=st.binary(max_size=100) | JSON.map(lambda d: as_text(d).encode()))
def test_the_run_config_reader_of_any_bytes(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("run") / "config.json"
    path.write_bytes(content)
    config = read_or_refuse(path)
    assert config is None or isinstance(config.env_id, str)


# ---------------------------------------------------------------------------------------------
# the expression parser and NAME=VALUE bindings


EXPRESSIONS = st.text(max_size=60) | st.text(alphabet="xyz0123456789.e+-*/()**, absqrtlogmx_", max_size=60)


@FUZZ
@given(text=EXPRESSIONS, values=st.lists(st.floats(), min_size=3, max_size=3))
def test_the_parser_and_the_graph_raise_expression_errors_only(text, values):
    try:
        expression = parse(text)
        root, leaves = expression.graph(dict(zip(expression.names, values, strict=False)))
    except ExpressionError as error:
        assert error.message and 0 <= error.start < max(len(error.text), 1) + 1
        error.pointer()  # the caret can always be drawn
        return
    root.backward()  # a graph the parser built never fails backward()
    assert set(leaves) == set(expression.names)


@FUZZ
@given(text=st.text(max_size=30) | st.from_regex(r"[^=]{0,8}=[-+0-9.eE_a-z ]{0,10}", fullmatch=True))
def test_bindings_raise_expression_errors_only(text):
    try:
        name, value = parse_binding(text)
    except ExpressionError as error:
        assert error.message
        return
    assert name.isidentifier() and math.isfinite(value)


# ---------------------------------------------------------------------------------------------
# sweep folders: sweep.json and a run's result.json


SWEEP_CONFIG = rl.QLearningConfig(total_steps=300, eval_period=100, eval_episodes=1)
SWEEP_PLAN = {"format": SWEEP_FORMAT, "base": dataclasses.asdict(SWEEP_CONFIG), "grid": {"loss": ["sum", "mean"]},
              "seeds": [1], "metric": None, "threshold": 0.5,
              "sessions": [{"session": "s1", "seconds": 3.0, "ran": 1, "workers": 2, "address": None}]}


def sweep_run(config):
    key = run_key(config)
    return key, {"format": RUN_FORMAT, "key": key, "setting": {"loss": config.loss}, "seed": config.seed,
                 "config": dataclasses.asdict(config), "status": "ok", "error": None,
                 "final": {"eval/exact_success": 0.5, "eval/mean_return": 0.5},
                 "history": {"eval/exact_success": [[100, 0.0], [200, None]]}, "seconds": 1.5, "node": "n1",
                 "session": "s1", "code": "c1"}


@FUZZ
@given(data=st.data(), damaged=st.sampled_from(["sweep.json", "result.json"]))
def test_a_damaged_sweep_folder_loads_or_is_one_clear_error(tmp_path_factory, data, damaged):
    folder = tmp_path_factory.mktemp("sweep")
    plan = json.loads(json.dumps(SWEEP_PLAN))
    key, run = sweep_run(dataclasses.replace(SWEEP_CONFIG, loss="sum", seed=1))
    (folder / "runs" / key).mkdir(parents=True)
    document = plan if damaged == "sweep.json" else run
    if data.draw(st.booleans()):  # a field of the file itself, as often as anything deeper
        document[data.draw(st.sampled_from(sorted(document)))] = data.draw(REPLACEMENTS)
    else:
        document = replace_somewhere(document, data)
    plan, run = (document, run) if damaged == "sweep.json" else (plan, document)
    (folder / "sweep.json").write_text(as_text(plan))
    (folder / "runs" / key / "result.json").write_text(as_text(run))
    try:
        rows = load_sweep(folder)
        summarize(folder)
    except ValueError as error:
        assert "\n" not in str(error) and len(str(error)) < 1000, str(error)
    else:
        assert len(rows) <= 1
