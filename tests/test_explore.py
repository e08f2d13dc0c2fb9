"""autodiff.explore without a browser: the embedded numbers, self-containment, escaping, determinism, size."""

import base64
import gzip
import importlib.util
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ON_CI

from autodiff import OPS, Value, draw, explore, topological_order
from autodiff.core.backends import FLOAT
from autodiff.core.ops import VARIADIC

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "autodiff" / "pictures" / "explorer.js"
HOSTILE = "</script><script>alert(1)</script>"


def _example():
    """examples/explorer_pages.py, whose graphs the explorer guide's page sizes are measured on."""
    spec = importlib.util.spec_from_file_location("explorer_pages", ROOT / "examples" / "explorer_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXAMPLE = _example()
neuron = EXAMPLE.neuron  # the documentation's tanh(x·w + b)
mlp_loss = EXAMPLE.mlp_loss  # nn.MLP(3, [4, 4, 1])'s mean squared error on 4 samples: 155 values


def shared():
    x = Value(3.0, name="x")
    return x * x + x


def every_op():
    x, y = Value(0.7, name="x"), Value(1.3, name="y")
    parts = [x + y, x - y, x * y, x / y, x**y, x + 2, 2 - x, x * 3, x / 4, 5 / x, x**3, 2**x, -x, abs(x),
             x.exp(), x.log(), x.sqrt(), x.tanh(), x.sigmoid(), x.relu(), x.leaky_relu(0.1), x.sin(), x.cos(),
             x.atan(), x.softplus()]
    import autodiff

    return autodiff.sum([*parts, autodiff.dot([x, y], [y, x]), autodiff.max([x, y]), autodiff.min([x, y])])


def page_data(exploration):
    """The JSON the page embeds, parsed back from its HTML."""
    found = re.search(r'<script type="application/json" class="ax-data">(.*?)</script>', exploration.html, re.S)
    return json.loads(found[1])


def page_svg(exploration):
    """The picture the page embeds (gzip-compressed, base64-encoded), inflated."""
    found = re.search(r'<div class="ax-graph" data-svg="([A-Za-z0-9+/=]*)">', exploration.html)
    return gzip.decompress(base64.b64decode(found[1], validate=True)).decode("utf-8")


def local_derivatives(value):
    """Each input's partial derivative, straight from the op table (not through the explorer)."""
    return list(value.op.partials_of(FLOAT, [p.data for p in value.parents], value.data, value.arg))


def check_numbers(root, **options):
    """Every local derivative, contribution and running sum of the page against the op table and backward()."""
    exploration = explore(root, **options)
    data = page_data(exploration)
    assert data == json.loads(json.dumps(exploration.data))
    order = topological_order(root)
    root.zero_grad()
    root.backward()
    digits = data["digits"]
    shown = lambda x: f"{x:.{digits}g}"  # noqa: E731
    partials = {}
    for edge in data["edges"]:
        parent, child, position, local = edge[:4]
        assert order[child].parents[position - 1] is order[parent]
        partials[tuple(edge[:3])] = local_derivatives(order[child])[position - 1]
        assert local == shown(partials[tuple(edge[:3])])
    sums = [0.0] * len(order)
    sums[-1] = 1.0
    received = [0] * len(order)
    count = 0
    for step in data["steps"]:
        for edge_index, upstream, contribution, before, after, nth in step.get("contributions", []):
            parent, child, position = data["edges"][edge_index][:3]
            partial = partials[(parent, child, position)]
            assert upstream == shown(order[child].grad)
            assert contribution == shown(partial * order[child].grad)
            assert before == shown(sums[parent])
            sums[parent] += partial * order[child].grad
            received[parent] += 1
            assert (after, nth) == (shown(sums[parent]), received[parent])
            count += 1
    assert count == len(data["edges"])
    # the page's sums are backward()'s, to the last bit, and every value shows its grad as printed
    assert sums == [value.grad for value in order]
    assert [node["grad"] for node in data["nodes"]] == [shown(value.grad) for value in order]
    assert [node["data"] for node in data["nodes"]] == [shown(value.data) for value in order]
    return exploration, data


@pytest.mark.parametrize("make", [neuron, shared, every_op, mlp_loss])
def test_every_local_derivative_contribution_and_sum_is_the_engines(make):
    check_numbers(make())


@pytest.mark.parametrize("collapse", ["neuron", "layer"])
def test_collapsed_modules_step_as_one_unit_and_keep_every_contribution(collapse):
    loss = mlp_loss()
    exploration, data = check_numbers(loss, collapse=collapse)
    boxes = draw(loss, collapse=collapse).boxes
    forward = [step for step in data["steps"] if step["phase"] == "forward"]
    box_steps = [step for step in forward if step["title"].startswith("Forward: module ")]
    assert len(box_steps) == boxes and len(data["boxes"]) == boxes
    # a module's values are revealed together, and each parameter's contributions are listed
    for step in box_steps:
        assert len(step["focus"]) > 1 and len(step["lines"]) == len(step["focus"])
    parameters = {i for i, node in enumerate(data["nodes"]) if node["kind"] == "parameter"}
    listed = {data["edges"][c[0]][0] for step in data["steps"] for c in step.get("contributions", [])}
    assert parameters <= listed


def test_a_neurons_steps_read_as_the_chain_rule():
    data = explore(neuron()).data
    assert [step["title"] for step in data["steps"]] == [
        "The inputs", "Forward: x × w", "Forward: (x × w) + b", "Forward: tanh((x × w) + b)",
        "Backward: start at tanh((x × w) + b)", "Backward: tanh((x × w) + b)", "Backward: (x × w) + b",
        "Backward: x × w",
    ]
    assert data["steps"][0]["lines"] == ["x = 2", "w = -3", "b = 6.881"]  # in the order x·w + b uses them
    assert [step["lines"] for step in data["steps"][1:4]] == [
        ["x × w = 2 × -3 = -6"], ["(x × w) + b = -6 + 6.881 = 0.8814"],
        ["tanh((x × w) + b) = tanh(0.8814) = 0.7071"],
    ]
    assert data["steps"][4]["seed"] == "1"
    assert data["ops"]["tanh"] == {"formula": "tanh({x})", "inputs": ["x"], "partials": ["1 − out²"]}
    assert data["ops"]["mul"]["partials"] == ["y", "x"]
    tanh_edge = data["steps"][5]["contributions"][0]
    assert data["edges"][tanh_edge[0]][3] == "0.5" and tanh_edge[1:] == ["1", "0.5", "0", "0.5", 1]


def test_a_value_used_twice_gets_two_contributions_and_a_running_sum():
    data = explore(shared()).data
    x = 0
    into_x = [c for step in data["steps"] for c in step.get("contributions", []) if data["edges"][c[0]][0] == x]
    assert [(before, contribution, after, nth) for _, _, contribution, before, after, nth in into_x] == [
        ("0", "1", "1", 1), ("1", "3", "4", 2), ("4", "3", "7", 3),
    ]
    assert data["nodes"][x]["children"] == [1, 1, 2] and data["nodes"][x]["grad"] == "7"


def test_unnamed_values_are_called_by_their_formula_with_parentheses_where_needed():
    a, b, c = Value(1.0, name="a"), Value(2.0, name="b"), Value(3.0, name="c")
    names = [node["name"] for node in explore(((a + b) * c - 1.0).exp()).data["nodes"]]
    assert names[-3:] == ["(a + b) × c", "((a + b) × c) + -1", "exp(((a + b) × c) + -1)"]
    long = Value(1.0, name="a_long_parameter_name")
    assert explore((long + long) * long).data["nodes"][-1]["name"] == "v2"


def test_the_page_makes_no_network_request_and_has_no_url():
    exploration = explore(mlp_loss(), collapse="neuron")
    page, picture = exploration.html.lower(), page_svg(exploration).lower()
    # base64 has no ":", so a URL scheme cannot hide in the packed picture; inflated, it has no "http" at all
    assert "http:" not in page and "https:" not in page and "http" not in picture
    # the packed picture is the whole picture: every element the data points at is in it
    pointed_at = {element for node in exploration.data["nodes"] for element in node["svg"]}
    assert picture.startswith("<svg ") and pointed_at <= set(re.findall(r'<g id="(\w+)"', picture))
    for reference in ("src=", "href=", "url(", "@import", "<link", "<iframe", "fetch(", "xmlhttprequest"):
        assert reference not in page and reference not in picture


def test_hostile_names_are_shown_as_text_never_run():
    x = Value(2.0, name=HOSTILE)
    y = Value(3.0, name="<!-- ]]> &amp; \u2028 \udc80")
    exploration = explore((x * y).tanh())
    page = exploration.html
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)" in page_svg(exploration)  # a label, as text
    assert "<!--" not in page
    data = page_data(exploration)
    assert {node["name"] for node in data["nodes"][:2]} == {HOSTILE, "<!-- ]]> &amp; \u2028 \udc80"}
    page.encode("utf-8")  # a lone surrogate in a name is escaped, not written out


def test_the_same_graph_gives_a_byte_identical_page():
    first = explore(mlp_loss(), collapse="neuron").html
    assert explore(mlp_loss(), collapse="neuron").html == first
    assert explore(shared()).html == explore(shared()).html


def test_a_150_value_page_is_under_150_kb():
    # the explorer guide's 155-value MLP drawn value by value
    uncollapsed = explore(mlp_loss(), max_nodes=500)
    size = len(uncollapsed.html.encode())
    assert len(page_data(uncollapsed)["nodes"]) == 155 and size < 150_000
    # with its SVG inline rather than packed, the same page would be over 200 KB
    packed = re.search(r'data-svg="([^"]*)"', uncollapsed.html)[1]
    assert size - len(packed) + len(page_svg(uncollapsed).encode()) > 200_000
    assert len(explore(mlp_loss(), collapse="neuron").html.encode()) < 100_000


def test_exploring_reads_the_graph_only():
    y = neuron()
    exploration = explore(y)
    assert all(value.grad == 0.0 for value in topological_order(y))
    assert exploration.data["nodes"][-1]["grad"] == "1" and exploration.data["nodes"][2]["grad"] == "-1.5"


def test_jupyter_gets_the_fragment_and_a_file_gets_the_whole_page(tmp_path):
    exploration = explore(neuron())
    fragment = exploration._repr_html_()
    assert fragment.startswith('<div class="autodiff-explorer"') and "<html" not in fragment
    assert 'tabindex="0" data-autofocus' not in fragment and 'tabindex="0" data-autofocus' in exploration.html
    assert exploration.save(tmp_path / "neuron.html") == tmp_path / "neuron.html"
    assert (tmp_path / "neuron.html").read_text(encoding="utf-8") == exploration.html
    assert os.listdir(tmp_path) == ["neuron.html"]  # no temporary file left behind
    assert repr(exploration) == "<Exploration: 6 values, 8 steps>"
    with pytest.raises(ValueError, match=r"cannot save the explorer page as 'neuron.svg': it is an .html file"):
        exploration.save(tmp_path / "neuron.svg")


def test_bad_arguments_get_draws_errors():
    with pytest.raises(TypeError, match="draw\\(\\) needs a Value, got float"):
        explore(3.0)
    with pytest.raises(ValueError, match="rankdir must be one of"):
        explore(neuron(), rankdir="up")
    loss = mlp_loss()
    with pytest.raises(ValueError) as too_big:
        explore(loss, max_nodes=200)
    with pytest.raises(ValueError) as drawn:
        draw(loss, max_nodes=200)
    assert str(too_big.value) == str(drawn.value)
    assert "collapse='neuron' draws" in str(too_big.value)


def test_every_op_writes_its_formula_and_partial_derivatives_out():
    for op in OPS.values():
        assert op.formula and all(op.partial_formulas), op.name
        assert len(op.partial_formulas) == (2 if op.arity == 2 else 1), op.name
        fields = set(re.findall(r"\{(\w+)\}", op.formula))
        allowed = {"xs", "arg"} if op.arity == VARIADIC else {"x", "y"} if op.arity == 2 else {"x", "arg"}
        assert fields and fields <= allowed, op.name


def test_the_script_is_valid_javascript():
    node = shutil.which("node")
    if node is None:
        reason = "node (Node.js) is not installed: apt install nodejs to syntax-check explorer.js"
        if ON_CI:
            pytest.fail(f"{reason}; scripts/install-system-packages installs it in CI")
        pytest.skip(reason)
    done = subprocess.run([node, "--check", str(SCRIPT)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def run_cli(*arguments, cwd):
    return subprocess.run(
        [sys.executable, "-m", "autodiff", *arguments], cwd=cwd, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_the_command_line_writes_the_page(tmp_path):
    done = run_cli("explore", "tanh(x*w + b)", "x=2", "w=-3", "b=6.8813735870195432", "-o", "neuron.html",
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "wrote neuron.html"
    page = (tmp_path / "neuron.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '"name":"x"' in page


def test_the_command_line_refuses_other_files_and_big_graphs_with_status_2(tmp_path):
    done = run_cli("explore", "x*x", "x=2", "-o", "x.svg", cwd=tmp_path)
    assert done.returncode == 2 and "'x.svg' needs the extension .html" in done.stderr
    done = run_cli("explore", "x*x + x*x + x*x", "x=2", "-o", "x.html", "--max-nodes", "3", cwd=tmp_path)
    assert done.returncode == 2 and "more than max_nodes=3" in done.stderr and "pass --max-nodes " in done.stderr
    assert not (tmp_path / "x.html").exists()


def test_infinite_grads_are_shown_as_inf():
    x = Value(0.0, name="x")
    data = explore(x.sqrt()).data
    assert data["nodes"][0]["grad"] == "inf" and math.isinf(float(data["edges"][0][3]))


def test_the_guides_example_saves_the_page_it_made(tmp_path, monkeypatch):
    guide = (ROOT / "docs" / "guide" / "explorer.md").read_text(encoding="utf-8")
    code = guide.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, "explorer.md", "exec"), namespace)  # the guide's own text, not user input
    assert (tmp_path / "neuron.html").read_text(encoding="utf-8") == namespace["page"].html
