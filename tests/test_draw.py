"""autodiff.draw: exact DOT source, real SVG renders, escaping, module clusters, collapse, size guard."""

# ruff: noqa: E501 - the expected DOT source is written out line by line

import importlib.util
import itertools
import math
import os
import random
import re
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autodiff
from autodiff import Value, draw, topological_order
from autodiff.pictures.render import RenderError, render

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def no_system_graphviz(monkeypatch, tmp_path):
    """PATH without Graphviz's dot, as on a machine where only `pip install` ran."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


@pytest.mark.parametrize(("statements", "loaded"), [
    ("import autodiff", "[]"),
    # the same check can see them: drawing loads graphviz, rendering an SVG wasmtime
    ("import autodiff; autodiff.draw(autodiff.Value(1.0) * 2).svg()", "['graphviz', 'wasmtime']"),
])
def test_graphviz_and_wasmtime_are_imported_when_something_is_drawn(statements, loaded, no_system_graphviz):
    code = f"import sys; {statements}; print(sorted({{m.split('.')[0] for m in sys.modules}} & {{'graphviz', 'wasmtime'}}))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == loaded


def test_the_webassembly_graphviz_is_cached_by_wasmtime_and_works_without_a_cache(tmp_path, no_system_graphviz):
    code = "import autodiff; print('</svg>' in autodiff.draw(autodiff.Value(1.0) * 2).svg())"
    unusable = tmp_path / "a-file"
    unusable.write_text("not a folder", encoding="utf-8")
    for cache in [tmp_path / "cache", unusable]:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(cache)}
        result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert (result.returncode, result.stdout, result.stderr) == (0, "True\n", "")
    # the compiled module is kept for the next process
    assert any(path.is_file() for path in (tmp_path / "cache" / "wasmtime").rglob("*"))


def relu_neuron():
    x, w, b = Value(2.0, name="x"), Value(-3.0, name="w"), Value(7.0, name="b")
    y = (x * w + b).relu()
    y.backward()
    return y


def test_dot_source_of_a_neuron_is_exact():
    # topological order: b (v0), w (v1), x (v2), x·w (v3), x·w + b (v4), relu (v5); an op's node
    # o<i> makes value v<i>. Grads: y = relu(2·(−3) + 7) = 1, dy/dx = w = −3, dy/dw = x = 2.
    expected = """\
digraph autodiff {
	graph [fontname=Helvetica fontsize=11 nodesep=0.15 nslimit=4 ordering=in rankdir=LR ranksep=0.3]
	node [fillcolor=white fontname=Helvetica fontsize=11 shape=box style=filled]
	edge [arrowsize=0.6 fontcolor="#6b7280" fontname=Helvetica fontsize=9]
	v0 [label="b\\ndata 7\\ngrad 1" color="#1d4ed8" fillcolor="#dbeafe" tooltip="b: data = 7.0, grad = 1.0"]
	v1 [label="w\\ndata -3\\ngrad 2" color="#1d4ed8" fillcolor="#dbeafe" tooltip="w: data = -3.0, grad = 2.0"]
	v2 [label="x\\ndata 2\\ngrad -3" color="#1d4ed8" fillcolor="#dbeafe" tooltip="x: data = 2.0, grad = -3.0"]
	v3 [label="data -6\\ngrad 1" tooltip="data = -6.0, grad = 1.0"]
	o3 [label="×" fillcolor="#f3f4f6" height=0.44 margin="0.04,0.02" shape=ellipse]
	v4 [label="data 1\\ngrad 1" tooltip="data = 1.0, grad = 1.0"]
	o4 [label="+" fillcolor="#f3f4f6" height=0.44 margin="0.04,0.02" shape=ellipse]
	v5 [label="data 1\\ngrad 1" color="#b45309" fillcolor="#fef3c7" penwidth=2 tooltip="data = 1.0, grad = 1.0"]
	o5 [label=relu fillcolor="#f3f4f6" height=0.3 margin="0.04,0.02" shape=ellipse]
	v2 -> o3 [headlabel=1 labelangle=-60 labeldistance=1.6]
	v1 -> o3 [headlabel=2 labelangle=60 labeldistance=1.6]
	o3 -> v3
	v3 -> o4 [headlabel=1 labelangle=-60 labeldistance=1.6]
	v0 -> o4 [headlabel=2 labelangle=60 labeldistance=1.6]
	o4 -> v4
	v4 -> o5
	o5 -> v5
}
"""
    assert draw(relu_neuron()).source == expected


def test_a_value_used_twice_has_two_numbered_edges_and_constants_show_in_op_labels():
    x = Value(3.0)
    y = ((x * x) ** 3 * 2).leaky_relu(0.01)
    lines = draw(y, show_grad=False).source.splitlines()
    # x (v0, an unnamed leaf: dashed), x·x (v1), ** 3 (v2), × 2 (v3), leaky_relu 0.01 (v4)
    assert '\tv0 [label="data 3" color="#6b7280" fillcolor="#f3f4f6" style="filled,dashed" ' \
           'tooltip="data = 3.0, grad = 0.0"]' in lines
    # the two numbers on either side of their edges, so that they do not overlap
    assert lines.count("\tv0 -> o1 [headlabel=1 labelangle=-60 labeldistance=1.6]") == 1
    assert lines.count("\tv0 -> o1 [headlabel=2 labelangle=60 labeldistance=1.6]") == 1
    labels = re.findall(r"\to\d \[label=(\"[^\"]*\"|\S+) ", "\n".join(lines))
    assert labels == ['"×"', '"** 3"', '"× 2"', '"leaky_relu 0.01"']


def test_the_same_graph_gives_the_same_source_every_time():
    def build():
        rng = random.Random(7)
        xs = [Value(rng.uniform(-1, 1), name=f"x{i}") for i in range(5)]
        y = autodiff.sum(x * x for x in xs) + autodiff.max(xs).tanh()
        y.backward()
        return draw(y).source

    source = build()
    assert source == build()
    # node ids are topological indices, never object ids: 5 leaves, 5 squares, their sum, the max,
    # its tanh and the total are v0 ... v13; the 9 ops are o<i> beside the value v<i> they make
    values = re.findall(r"^\tv(\d+) \[", source, flags=re.MULTILINE)
    ops = re.findall(r"^\to(\d+) \[", source, flags=re.MULTILINE)
    assert sorted(map(int, values)) == list(range(14))
    assert len(ops) == 9 and set(ops) <= set(values)


def test_show_grad_digits_and_rankdir():
    y = Value(2.0, name="x") / 3.0
    source = draw(y, show_grad=False, digits=2, rankdir="TB").source
    assert "rankdir=TB" in source
    assert re.findall(r'label="([^"]*)"', source) == ["x\\ndata 2", "data 0.67", "/ 3"]


def test_color_by_grad_fills_by_abs_grad_relative_to_the_largest():
    y = relu_neuron()
    source = draw(y, color_by_grad=True).source
    # |grad| is 1 (level 1 + round(8/3) = 4), 2 (level 6), 3 (level 9) for the largest, |grad| = 3
    assert re.search(r'v2 \[label="x\\ndata 2\\ngrad -3" color="#1d4ed8" colorscheme=oranges9 fillcolor=9 fontcolor=white', source)
    assert re.search(r'v1 \[label="w\\ndata -3\\ngrad 2" color="#1d4ed8" colorscheme=oranges9 fillcolor=6', source)
    assert re.search(r'v0 \[label="b\\ndata 7\\ngrad 1" color="#1d4ed8" colorscheme=oranges9 fillcolor=4', source)


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ('say "hi"', 'say \\"hi\\"'),
        ("<b>bold</b>", "<b>bold</b>"),
        ("{a|b}", "{a|b}"),
        ("two\nlines", "two\\nlines"),
        ("back\\slash", "back\\\\slash"),
        ("ends in \\", "ends in \\\\"),
        ("bell\x07", "bell\\\\x07"),
    ],
)
def test_value_labels_escape_what_dot_would_read_as_syntax(name, escaped):
    source = draw(Value(1.0, name=name)).source
    assert f'\tv0 [label="{escaped}\\ndata 1\\ngrad 0"' in source


def test_escaped_names_render_as_written(no_system_graphviz):
    names = ['a"b', "<i>x</i>", "{p|q}", "c:\\dir\\", "ünïcödé ×", "x\\ny"]
    total = Value(0.0)
    for name in names:
        total = total + Value(1.0, name=name)
    texts = _texts(ET.fromstring(draw(total).svg()))
    assert set(names) <= set(texts)


@given(st.text(min_size=1, max_size=30))
def test_no_name_breaks_the_dot_source_or_the_svg(name):
    svg = draw(Value(1.0, name=name) * Value(2.0, name="layers.0." + name + ".w.1")).svg()
    root = ET.fromstring(svg)
    assert len(root.findall(f".//{SVG}g[@class='node']")) == 4


def test_every_render_is_the_same(no_system_graphviz):
    # a fresh WebAssembly instance per render: Graphviz's WebAssembly build once trapped on the
    # second render of a label starting with a line break, from memory left by the first
    drawing = draw(Value(1.0, name="\n091") * 2)
    svgs = {drawing.svg() for _ in range(6)}
    assert len(svgs) == 1 and _nodes(ET.fromstring(svgs.pop())) == {"v0", "v1", "o1"}


def _texts(svg_root):
    return [t.text for t in svg_root.iter(f"{SVG}text")]


def _nodes(svg_root):
    return {g.find(f"{SVG}title").text for g in svg_root.iter(f"{SVG}g") if g.get("class") == "node"}


def test_svg_renders_without_a_system_graphviz(no_system_graphviz):
    x, w, b = Value(2.0, name="x"), Value(-3.0, name="w"), Value(6.8813735870195432, name="b")
    y = (x * w + b).tanh()
    y.backward()
    root = ET.fromstring(draw(y).svg())
    assert _nodes(root) == {"v0", "v1", "v2", "v3", "v4", "v5", "o3", "o4", "o5"}
    edges = {g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") == "edge"}
    assert edges == {"v2->o3", "v1->o3", "o3->v3", "v3->o4", "v0->o4", "o4->v4", "v4->o5", "o5->v5"}
    texts = _texts(root)
    for shown in ("x", "data 2", "grad -1.5", "w", "grad 1", "b", "data 6.881", "grad 0.5", "data 0.7071",
                  "×", "+", "tanh"):
        assert shown in texts


def test_jupyter_shows_the_svg(no_system_graphviz):
    drawing = draw(relu_neuron())
    svg = drawing._repr_svg_()
    assert isinstance(svg, str) and _nodes(ET.fromstring(svg)) >= {"v0", "o5"}
    assert repr(drawing) == "<Drawing: 6 values, 3 ops>"


def test_save_picks_the_format_from_the_extension(tmp_path, no_system_graphviz):
    drawing = draw(relu_neuron())
    assert ET.parse(drawing.save(tmp_path / "g.svg")).getroot().tag == f"{SVG}svg"
    assert drawing.save(tmp_path / "g.dot").read_text() == drawing.source
    # PNG without a system Graphviz comes from graphviz-pure (the [png] extra, part of [dev])
    assert drawing.save(tmp_path / "g.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(RenderError, match="PDF needs Graphviz's dot program.*install Graphviz"):
        drawing.save(tmp_path / "g.pdf")
    with pytest.raises(ValueError, match="'g.jpg'.*extension chooses the format"):
        drawing.save(tmp_path / "g.jpg")


def test_png_without_any_renderer_says_what_to_install(monkeypatch, no_system_graphviz):
    monkeypatch.setattr("autodiff.pictures.render.PNG_PROGRAM", "graphviz-pure-never-installed")
    with pytest.raises(RenderError, match=r"install Graphviz \(Debian/Ubuntu: apt install graphviz.*"
                                          r"pip install 'scalar-autodiff\[png\]'"):
        render("digraph { a }", "png")


def _put_fake_dot_on_path(monkeypatch, folder, script):
    """A shell script named `dot` as the only program on PATH: the system-dot route, without Graphviz."""
    fake = folder / "dot"
    fake.write_text("#!/bin/sh\n" + script)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(folder))


def test_the_system_dot_renders_every_format_when_it_is_on_path(monkeypatch, tmp_path):
    script = f'cat > "{tmp_path}/input"\necho "$@" > "{tmp_path}/arguments"\nprintf made-by-dot\n'
    _put_fake_dot_on_path(monkeypatch, tmp_path, "PATH=/usr/bin:/bin\n" + script)
    drawing = draw(relu_neuron())
    assert drawing.save(tmp_path / "g.pdf").read_bytes() == b"made-by-dot"
    assert (tmp_path / "arguments").read_text() == "-Tpdf\n"
    assert (tmp_path / "input").read_text() == drawing.source
    assert drawing.svg() == "made-by-dot"


def test_a_failing_dot_is_reported(monkeypatch, tmp_path):
    _put_fake_dot_on_path(monkeypatch, tmp_path, "echo 'syntax error in line 1' >&2\nexit 1\n")
    with pytest.raises(RenderError, match=r"dot -Tsvg failed \(exit status 1\): syntax error in line 1"):
        render("digraph {", "svg")


def test_bad_dot_is_reported_by_the_webassembly_graphviz(no_system_graphviz):
    with pytest.raises(RenderError, match="Graphviz \\(WebAssembly\\) failed"):
        render("digraph {", "svg")


def test_the_digraph_can_be_tweaked_before_saving(no_system_graphviz):
    drawing = draw(relu_neuron())
    assert isinstance(drawing.digraph, graphviz.Digraph)
    drawing.digraph.attr(label="my neuron")
    assert "my neuron" in _texts(ET.fromstring(drawing.svg()))


# an MLP 3 -> 4 -> 4 -> 1 made of named Values, as `nn` names its parameters: tanh on the hidden
# layers, a linear output, and the squared error against 1.0 of each sample
SIZES = (3, 4, 4, 1)


def mlp_loss(samples=1, seed=0):
    rng = random.Random(seed)
    layers = [
        [
            ([Value(rng.uniform(-1, 1), name=f"layers.{i}.neurons.{j}.w.{k}") for k in range(n_in)],
             Value(0.1, name=f"layers.{i}.neurons.{j}.b"))
            for j in range(n_out)
        ]
        for i, (n_in, n_out) in enumerate(zip(SIZES, SIZES[1:], strict=False))
    ]
    losses = []
    for _ in range(samples):
        h = [Value(rng.uniform(-1, 1)) for _ in range(SIZES[0])]
        for i, layer in enumerate(layers):
            z = [autodiff.dot(w, h) + b for w, b in layer]
            h = z if i == len(layers) - 1 else [zj.tanh() for zj in z]
        losses.append((h[0] - 1.0) ** 2)
    loss = autodiff.sum(losses) if samples > 1 else losses[0]
    loss.backward()
    return loss


def _declarations(source):
    """Each node id of a DOT source (as the graphviz package writes it) and its clusters' labels."""
    where, frames = {}, []
    for line in source.splitlines():
        if re.match(r"\s*subgraph cluster_\d+ \{", line):
            frames.append(None)
        elif re.fullmatch(r"\s*\{", line):  # an anonymous subgraph (a row of boxes) is no frame
            frames.append("")
        elif frames and frames[-1] is None and (label := re.search(r'label="([^"]*)"', line)):
            frames[-1] = label.group(1)
        elif re.fullmatch(r"\s*}", line) and frames:
            frames.pop()
        elif node := re.match(r"\s*([vom]\d+) \[label=(\"(?:[^\"\\]|\\.)*\"|\S+)", line):
            where[node.group(1)] = (node.group(2).strip('"'), tuple(frame for frame in frames if frame))
    return where


def test_an_mlp_is_drawn_in_a_cluster_per_layer_and_per_neuron():
    where = _declarations(draw(mlp_loss()).source)
    records = [(label, frames) for node, (label, frames) in where.items() if node.startswith("v")]
    parameters = [(label, frames) for label, frames in records if re.match(r"(w\.\d|b)\\n", label)]
    assert len(parameters) == 4 * 4 + 4 * 5 + 1 * 5  # shown as w.0 ... inside their neuron's frame
    for _, frames in parameters:
        assert len(frames) == 2 and re.fullmatch(r"layers\.\d", frames[0])
        assert re.fullmatch(re.escape(frames[0]) + r"\.neurons\.\d", frames[1])
    neuron = ("layers.1", "layers.1.neurons.2")
    ops = [label for node, (label, frames) in where.items() if frames == neuron and node.startswith("o")]
    assert ops == ["dot", "+", "tanh"]
    output_neuron = ("layers.2", "layers.2.neurons.0")
    assert [label for node, (label, frames) in where.items() if frames == output_neuron and node[0] == "o"] == ["dot", "+"]
    # the inputs and the loss, (out − 1) ** 2, are at the top level
    top = [(node, label) for node, (label, frames) in where.items() if frames == ()]
    # out − 1 is stored as out + (−1) and shown as written
    assert [label for node, label in top if node.startswith("o")] == ["− 1", "** 2"]
    assert len([label for node, label in top if node.startswith("v")]) == 3 + 2


def test_clusters_can_be_turned_off():
    where = _declarations(draw(mlp_loss(), clusters=False).source)
    assert all(frames == () for _, frames in where.values())
    assert any(label.startswith("layers.0.neurons.3.w.1\\n") for label, _ in where.values())


def _edges(source):
    return re.findall(r"^\t(\w+) -> (\w+)", source, flags=re.MULTILINE)


def test_collapse_draws_each_neuron_as_one_box():
    source = draw(mlp_loss(), collapse="neuron").source
    where = _declarations(source)
    # each box in its layer's frame, named within it
    boxes = {node: (where[node][1], label) for node, (label, _) in where.items() if node.startswith("m")}
    assert sorted(boxes.values()) == sorted(
        [(("layers.0",), f"neurons.{j}\\n4 parameters, 3 values") for j in range(4)]
        + [(("layers.1",), f"neurons.{j}\\n5 parameters, 3 values") for j in range(4)]
        + [(("layers.2",), "neurons.0\\n5 parameters, 2 values")]
    )
    named = {node: f"{frames[0]}.{label.split(chr(92) + 'n')[0]}" for node, (frames, label) in boxes.items()}
    edges = {(named.get(a, a), named.get(b, b)) for a, b in _edges(source)}
    for j in range(4):
        for k in range(4):
            assert (f"layers.0.neurons.{j}", f"layers.1.neurons.{k}") in edges
        assert (f"layers.1.neurons.{j}", "layers.2.neurons.0") in edges
    # 3 inputs into 4 neurons, 4 × 4, 4 × 1, the output neuron into "+ -1", and the loss's own 3
    assert len(_edges(source)) == 12 + 16 + 4 + 1 + 3
    assert repr(draw(mlp_loss(), collapse="neuron")) == "<Drawing: 5 values, 2 ops, 9 modules>"


def test_collapse_draws_each_layer_as_one_box():
    drawing = draw(mlp_loss(samples=3), collapse="layer")
    boxes = sorted(label for node, (label, _) in _declarations(drawing.source).items() if node.startswith("m"))
    # 3 samples: each neuron holds its dot, + and tanh once per sample
    assert boxes == ["layers.0\\n16 parameters, 36 values", "layers.1\\n20 parameters, 36 values",
                     "layers.2\\n5 parameters, 6 values"]
    assert draw(mlp_loss(), collapse=1).source == draw(mlp_loss(), collapse="layer").source
    assert draw(mlp_loss(), collapse=2).source == draw(mlp_loss(), collapse="neuron").source


def _graph_attr(source, name):
    line = re.search(r"^\tgraph \[(.*)\]$", source, flags=re.MULTILINE).group(1)
    return dict(attr.split("=", 1) for attr in line.split(" "))[name]


def test_rank_gaps_widen_only_when_module_boxes_are_drawn():
    # between two layers of boxes every box feeds every box: at ranksep 0.3 the edges merge into a band
    for collapse in ("neuron", "layer", 1):
        assert _graph_attr(draw(mlp_loss(), collapse=collapse).source, "ranksep") == "0.8"
    assert _graph_attr(draw(mlp_loss()).source, "ranksep") == "0.3"
    assert _graph_attr(draw(mlp_loss(), collapse=3).source, "ranksep") == "0.3"  # no module that deep
    assert _graph_attr(draw(relu_neuron(), collapse="neuron").source, "ranksep") == "0.3"


def test_a_collapsed_mlp_renders(no_system_graphviz):
    root = ET.fromstring(draw(mlp_loss(samples=4), collapse="neuron").svg())
    clusters = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") == "cluster"]
    assert len(clusters) == 3
    assert sum(node.startswith("m") for node in _nodes(root)) == 9


def test_too_many_nodes_is_a_value_error_that_says_what_to_do():
    loss = mlp_loss(samples=8)
    # 41 parameters; per sample 3 inputs, dot, + and tanh in 8 hidden neurons, dot and + in the
    # output one, 2 for the loss; and the sum of the losses
    per_sample = 3 + 8 * 3 + 2 + 2
    values = 41 + 8 * per_sample + 1
    ops = values - 41 - 8 * 3
    with pytest.raises(ValueError) as error:
        draw(loss)
    message = str(error.value)
    assert f"the graph has {values + ops} nodes to draw ({values} values, {ops} ops)" in message
    assert "more than max_nodes=400" in message
    # collapsed: 24 inputs, 8 × 2 + 1 loss values, 8 × 2 + 1 loss ops, and 9 or 3 boxes
    assert "collapse='neuron' draws 67; collapse='layer' draws 61 nodes" in message
    assert f"max_nodes={values + ops}" in message
    assert draw(loss, max_nodes=values + ops).values == values


def test_the_size_guard_counts_fast_on_a_huge_graph():
    x = Value(0.5)
    y = x
    for _ in range(100_000):
        y = y * 1.0001
    with pytest.raises(ValueError, match="the graph has 200001 nodes to draw .*name parameters by module"):
        draw(y)


def test_bad_arguments_are_clear_errors():
    y = relu_neuron()
    with pytest.raises(TypeError, match="draw\\(\\) needs a Value, got float"):
        draw(1.0)
    with pytest.raises(ValueError, match="rankdir must be one of LR, TB, RL, BT, got 'XY'"):
        draw(y, rankdir="XY")
    with pytest.raises(ValueError, match="collapse must be None, 'neuron', 'layer' or a module depth"):
        draw(y, collapse="neurons")
    with pytest.raises(ValueError, match="max_nodes must be a positive int"):
        draw(y, max_nodes=0)
    with pytest.raises(ValueError, match="digits must be an int from 1 to 17"):
        draw(y, digits=0)


def test_drawing_only_reads_the_graph():
    y = relu_neuron()
    before = [(v.data, v.grad, v.name, v.op, v.arg, v.parents) for v in autodiff.topological_order(y)]
    draw(y, collapse="neuron", color_by_grad=True)
    assert [(v.data, v.grad, v.name, v.op, v.arg, v.parents) for v in autodiff.topological_order(y)] == before


def test_an_nn_mlp_is_framed_and_collapsed_by_its_own_parameter_names():
    import nn

    model = nn.MLP(3, [4, 4, 1], activation="relu", rng=0)
    loss = nn.mse_loss([model(x)[0] for x in ([0.5, -1.0, 2.0], [1.0, 0.2, -0.3])], [1.0, -1.0])
    loss.backward()
    where = _declarations(draw(loss).source)
    # numbers as inputs: each neuron is linear(w; x), + b and relu, twice (hidden); linear, + b (output)
    frames = [frames for _, frames in where.values() if frames]
    assert frames.count(("layers.0", "layers.0.neurons.0")) == 4 + 2 * 3 * 2
    assert frames.count(("layers.2", "layers.2.neurons.0")) == 4 + 1 + 2 * 2 * 2
    boxes = sorted(label for node, (label, _) in _declarations(draw(loss, collapse="neuron").source).items()
                   if node.startswith("m"))
    assert boxes == sorted([f"neurons.{j}\\n4 parameters, 6 values" for j in range(4)]
                           + [f"neurons.{j}\\n5 parameters, 6 values" for j in range(4)]
                           + ["neurons.0\\n5 parameters, 4 values"])


def test_a_name_opening_with_a_line_break_before_a_long_line_renders():
    # Graphviz's WebAssembly build used to crash on such a record field (found by Hypothesis)
    for name in ["\n" + "a" * 60, "\n00000000\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x08\x08\x08"]:
        svg = autodiff.draw(Value(1.0, name=name) * 2).svg()
        assert ET.fromstring(svg.encode()).tag.endswith("svg")


def test_a_long_recurrence_lays_out_in_seconds(no_system_graphviz):
    # 65 steps of h = tanh(h·w + b), 393 nodes: record nodes and an uncapped network simplex took
    # Graphviz (WebAssembly) more than 3 minutes; now about 2 s
    w, b, h = Value(0.5, name="w"), Value(0.1, name="b"), Value(0.0, name="h0")
    for _ in range(65):
        h = (h * w + b).tanh()
    h.backward()
    svg = draw(h).svg(timeout=60)
    assert len(_nodes(ET.fromstring(svg))) == 3 + 65 * 6


def test_a_render_that_takes_too_long_is_stopped(no_system_graphviz):
    w, b, h = Value(0.5, name="w"), Value(0.1, name="b"), Value(0.0, name="h0")
    for _ in range(40):
        h = (h * w + b).tanh()
    with pytest.raises(RenderError, match=r"took more than 0.001 s to lay out the graph.*collapse='neuron'"):
        draw(h).svg(timeout=0.001)
    assert _nodes(ET.fromstring(draw(relu_neuron()).svg())) >= {"v0", "o5"}  # the next render is not stopped
    for bad in (0, -1.0, math.inf, math.nan, True, 1e300):
        with pytest.raises(ValueError, match="timeout must be a positive, finite number of seconds or None"):
            draw(h).svg(timeout=bad)


def test_a_slow_system_dot_is_stopped(monkeypatch, tmp_path):
    _put_fake_dot_on_path(monkeypatch, tmp_path, "exec /bin/sleep 30\n")
    with pytest.raises(RenderError, match=r"dot -Tsvg took more than 0.2 s to lay out the graph"):
        draw(relu_neuron()).save(tmp_path / "g.svg", timeout=0.2)


# stand-ins for graphviz.wasm with its C ABI: a bump allocator, and a graphviz_render that `BODY`s
STAND_IN = """(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 16))
  (func (export "malloc") (param $n i32) (result i32)
    global.get $next  global.get $next local.get $n i32.add global.set $next)
  (func (export "graphviz_render") (param i32 i32 i32 i32) (result i32) BODY)
  (func (export "graphviz_last_error") (result i32) i32.const 0))"""


def test_graphviz_exiting_or_looping_in_webassembly_is_a_render_error():
    import wasmtime

    from autodiff.pictures.render import WasmGraphviz

    exits = WasmGraphviz(wasmtime.wat2wasm(STAND_IN.replace("BODY", "i32.const 1 call $exit i32.const 0")))
    with pytest.raises(RenderError, match="Graphviz \\(WebAssembly\\) stopped with exit status 1.*fewer nodes"):
        exits.render("digraph { a }")
    loops = WasmGraphviz(wasmtime.wat2wasm(STAND_IN.replace("BODY", "(loop $forever br $forever) i32.const 0")))
    with pytest.raises(RenderError, match="took more than 0.05 s"):
        loops.render("digraph { a }", timeout=0.05)


def test_too_big_even_collapsed_says_so_and_suggests_one_sample():
    loss = mlp_loss(samples=60)
    # per sample 3 inputs, 2 loss values and 2 loss ops; plus the sum (value and op) and 9 or 3 boxes
    with pytest.raises(ValueError) as error:
        draw(loss, collapse="neuron")
    message = str(error.value)
    assert "431 nodes to draw" in message and "more than max_nodes=400" in message
    assert "collapse='neuron': 431, collapse='layer': 425" in message
    assert "one sample's loss" in message and "max_nodes=431" in message
    assert "name parameters by module" not in message


def _centres(svg):
    """The centre of the first text of each node (by DOT id) and cluster (by label) of a rendered picture."""
    found = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        text = next(group.iter(f"{SVG}text"), None)
        if group.get("class") in ("node", "cluster") and text is not None:
            key = group.findtext(f"{SVG}title") if group.get("class") == "node" else text.text
            found[key] = (float(text.get("x")), float(text.get("y")))
    return found


def _reading_order(centres, keys, rankdir):
    """`keys` as they read across the picture: top to bottom when it flows sideways, else left to right."""
    across = 1 if rankdir in ("LR", "RL") else 0
    return sorted(keys, key=lambda key: centres[key][across])


@pytest.mark.parametrize("rankdir", ["LR", "TB", "RL", "BT"])
def test_neurons_and_inputs_are_drawn_in_index_order(rankdir, no_system_graphviz):
    import nn

    # collapsed: each layer's boxes in a row
    model = nn.MLP(3, [4, 4, 1], activation="tanh", rng=0)
    loss = nn.mse_loss([model(x)[0] for x in [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5]]], [1.0, -1.0])
    centres = _centres(draw(loss, rankdir=rankdir, collapse="neuron").svg())
    for layer in (range(0, 4), range(4, 8)):
        boxes = [f"m{k}" for k in layer]
        assert _reading_order(centres, boxes, rankdir) == boxes
    # uncollapsed: the neurons' frames, and the weights into the output neuron's dot, in order
    model = nn.MLP(2, [3, 1], activation="tanh", rng=0)
    loss = (model([1.0, -2.0])[0] - 0.5) ** 2
    index = {value: i for i, value in enumerate(topological_order(loss))}
    centres = _centres(draw(loss, rankdir=rankdir).svg())
    frames = [f"layers.0.neurons.{j}" for j in range(3)]
    assert _reading_order(centres, frames, rankdir) == frames
    weights = [f"v{index[w]}" for w in model.layers[1].neurons[0].w]
    assert _reading_order(centres, weights, rankdir) == weights


ROOT = Path(__file__).resolve().parents[1]


def _readme_pictures():
    """examples/draw_graphs.py's pictures() by file name: the documentation's pictures as the code draws them now."""
    spec = importlib.util.spec_from_file_location("draw_graphs", ROOT / "examples" / "draw_graphs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.pictures()


def _text_boxes(svg):
    """An estimated box (left, top, right, bottom) for each text of a Graphviz SVG, in its viewBox units."""
    root = ET.fromstring(svg)
    graph = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "graph")
    shift_x, shift_y = map(float, re.search(r"translate\(([-\d.]+) ([-\d.]+)\)", graph.get("transform")).groups())
    boxes = []
    for text in root.iter(f"{SVG}text"):
        if not (text.text or "").strip():
            continue
        size = float(text.get("font-size"))
        x, y = float(text.get("x")) + shift_x, float(text.get("y")) + shift_y
        width = 0.55 * size * len(text.text)  # Helvetica's average glyph, a little generous
        left = {"middle": x - width / 2, "end": x - width}.get(text.get("text-anchor"), x)
        boxes.append((text.text, (left, y - 0.75 * size, left + width, y + 0.2 * size)))
    return boxes


def test_the_small_mlp_golden_picture_is_what_draw_makes():
    # an nn.MLP 2 -> 3 -> 1 value by value, top to bottom, with its key (viewed as PNG when made)
    golden = (Path(__file__).resolve().parent / "golden" / "small_mlp.dot").read_text(encoding="utf-8")
    assert _readme_pictures()["small_mlp.svg"].source == golden
    assert '[label="− 0.5"' in golden and '[label=dot ' in golden and "+ -" not in golden


def test_the_readme_pictures_are_up_to_date(no_system_graphviz):
    for name, drawing in _readme_pictures().items():
        assert drawing.svg() == (ROOT / "docs" / name).read_text(encoding="utf-8"), f"remake docs/{name}"


@pytest.mark.parametrize("name", ["neuron.svg", "small_mlp.svg", "mlp.svg"])
def test_no_text_of_a_readme_picture_overlaps_another_or_leaves_the_picture(name):
    svg = (ROOT / "docs" / name).read_text(encoding="utf-8")
    width, height = (float(n) for n in ET.fromstring(svg).get("viewBox").split()[2:])
    boxes = _text_boxes(svg)
    assert len(boxes) > 10
    for (first, a), (second, b) in itertools.combinations(boxes, 2):
        assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (first, second)
    for text, (left, top, right, bottom) in boxes:
        assert 0 <= left and right <= width and 0 <= top and bottom <= height, text


def test_the_key_explains_the_styles_the_picture_uses():
    import nn

    model = nn.MLP(2, [3, 1], rng=0)
    loss = nn.mse_loss(model([1.0, 2.0]), [0.5])
    loss.backward()

    def keys(source):
        return dict(re.findall(r'\t(key_\w+) \[label=("[^"]*"|\S+)', source))

    assert keys(draw(loss).source) == {}
    assert keys(draw(loss, legend=True).source) == {
        "key_parameter": '"parameter\\n(a named leaf)"', "key_value": '"value computed\\nby an op"',
        "key_output": "output", "key_op": '"op (inputs numbered\\nin argument order)"'}
    # shades from |grad| 0 to the largest |grad| of the picture, in nine steps
    largest = max(abs(value.grad) for value in topological_order(loss))
    shaded = keys(draw(loss, color_by_grad=True, legend=True).source)
    assert [shaded[f"key_grad_{level}"] for level in (1, 9)] == ['"|grad| 0"', f'"|grad| {largest:.2g}"']
    assert "key_module" in keys(draw(loss, collapse="neuron", legend=True).source)
