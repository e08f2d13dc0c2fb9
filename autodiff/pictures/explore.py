"""The explorer: one self-contained HTML page that steps through a graph's forward and backward pass.

`explore` lays the graph out as `autodiff.draw` does (the same Graphviz picture), then records the
two passes step by step: each forward step reveals a value and its computation, each backward step
lists, for every input edge, the op table's local derivative, the contribution ``partial ×
upstream grad`` and the running sum of the input's grad. Every number is computed here, by the op
table's rules in the engine's order, formatted with the chosen digits and embedded in the page as
JSON; the page's script (``explorer.js`` beside this module) only shows them. The page makes no
network request: its SVG, CSS, script and data are all inline. The SVG, Graphviz's picture, is
stored gzip-compressed and base64-encoded (the ``data-svg`` attribute of the ``ax-graph`` element),
which keeps a 150-value page under 150 KB (uncompressed, its SVG alone is about 170 KB); the
script inflates it with the browser's ``DecompressionStream``. The data stays plain JSON.

The embedded data (`Exploration.data`):

- ``nodes``: one per value, in topological order: ``name`` (its name, or its formula when short),
  ``kind`` (``parameter``, ``leaf``, ``value`` or ``output``), ``op`` and ``arg`` (computed
  values only), ``data`` and ``grad`` (the grad after the last step), ``parents`` and
  ``children`` (indices, a parent used twice listed twice), ``id`` (its DOT id: ``v3``, or
  ``m0`` for a value in a module box), ``svg`` (the ids of the SVG elements that show it),
  ``shown`` (the step that reveals it), ``done`` (the step after which its grad is final) and
  ``level`` (its |grad| shade, 1 to 9, as `draw`'s ``color_by_grad``).
- ``edges``: ``[parent, child, position, local derivative, SVG element id or null]``.
- ``ops``: for each op used, its ``formula``, ``inputs`` (the names the partial formulas use,
  ``x``, ``y`` or ``x_i``) and ``partials`` (one per input, or one for every input).
- ``steps``: ``phase`` (``inputs``, ``forward`` or ``backward``), ``title``, ``focus`` (the
  values of the step), ``lines`` (a forward step's computations), and for a backward step
  ``contributions``: ``[edge, upstream grad, contribution, grad before, grad after, n]``, the
  n-th contribution to that parent's grad; the first backward step has ``seed``, the output's grad.
"""

from __future__ import annotations

import base64
import gzip
import heapq
import html
import json
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autodiff.core.backends import FLOAT
from autodiff.core.graph import input_partials, topological_order
from autodiff.core.value import Value
from autodiff.files import atomic_write
from autodiff.pictures.drawing import DEFAULT_MAX_NODES, Collapse, draw, grad_level
from autodiff.pictures.render import DEFAULT_TIMEOUT

__all__ = ["PAGE_SUFFIXES", "Exploration", "explore"]

PAGE_SUFFIXES = (".html", ".htm")
"""The file extensions `Exploration.save` accepts."""

_HERE = Path(__file__).parent
_SVG_NS = "{http://www.w3.org/2000/svg}"
# Graphviz's "oranges9" ColorBrewer scheme, which draw(color_by_grad=True) fills with: level 1..9
_GRAD_FILLS = ("#fff5eb", "#fee6ce", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913", "#d94801", "#a63603", "#7f2704")
_WHITE_TEXT_FROM = 7  # as in draw: black text is hard to read on dark orange
_SHORT_NAME = 24  # an unnamed value is called by its formula up to this many characters
_SHOWN_INPUTS = 6  # a variadic op's formula lists this many inputs, then "…"
# Graphviz writes coordinates to 1/100 pt; whole points (a pixel at most) look the same and pack far smaller
_COORDINATES = ("points", "d", "x", "y", "cx", "cy", "rx", "ry")
_DECIMAL = re.compile(r"-?\d+\.\d+")
# attribute values the page's CSS gives instead (None: any value), which shrinks the page by a third
_CSS_DEFAULTS: dict[str, dict[str, str | None]] = {
    "text": {"text-anchor": "middle", "font-family": None, "font-size": "11.00"},
    "path": {"fill": "none", "stroke": "black"},
    "polygon": {"fill": "black", "stroke": "black"},
    "ellipse": {"stroke": "black"},
}


class Exploration:
    """The explorer page made by `explore`: `html` is the whole page, `save` writes it to a file.

    Shows inline in Jupyter. `data` holds every number the page shows, as embedded in it (see
    `autodiff.pictures.explore`), and `steps` is the number of steps the page walks through: the
    inputs, one per forward step, one per backward step.
    """

    def __init__(self, page: str, fragment: str, data: dict[str, Any]) -> None:
        self.html = page
        self.fragment = fragment
        self.data = data
        self.steps = len(data["steps"])

    def save(self, path: str | Path) -> Path:
        """Write the page to `path` (an ``.html`` or ``.htm`` file), atomically; returns the path."""
        path = Path(path)
        if path.suffix.lower() not in PAGE_SUFFIXES:
            raise ValueError(f"cannot save the explorer page as {path.name!r}: it is an .html file")
        return atomic_write(path, self.html)

    def _repr_html_(self) -> str:
        return self.fragment

    def __repr__(self) -> str:
        return f"<Exploration: {len(self.data['nodes'])} values, {self.steps} steps>"


def explore(
    root: Value,
    *,
    rankdir: str = "LR",
    max_nodes: int = DEFAULT_MAX_NODES,
    collapse: Collapse = None,
    clusters: bool = True,
    color_by_grad: bool = False,
    digits: int = 4,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Exploration:
    """An interactive page that steps through the forward and backward pass of `root`'s graph.

    The page shows the picture of `autodiff.draw` (`rankdir`, `clusters`, `collapse`,
    `max_nodes` and `digits` mean what they mean there, and the same size guard applies) and
    walks it step by step: the forward pass in topological order, then the backward pass in
    reverse, as one ``root.backward()`` from zero grads runs it, with every local derivative,
    contribution and running sum. A module box of `collapse` steps as one unit. Clicking a value
    inspects it and highlights its paths to the output; `color_by_grad` starts with values
    coloured by their final |grad| (a checkbox on the page toggles it). The graph is only read:
    no ``.grad`` changes. `timeout` bounds the Graphviz layout, as in `Drawing.render`.
    """
    drawing = draw(root, rankdir=rankdir, max_nodes=max_nodes, collapse=collapse, clusters=clusters, digits=digits)
    svg = ET.fromstring(drawing.svg(timeout=timeout))
    elements = _SvgElements.of(svg)
    order = topological_order(root)
    data = _Recorder(order, drawing.node_ids, elements.box_labels, digits).run()
    _attach_svg(data, order, drawing.node_ids, elements)
    data["colorByGrad"] = color_by_grad
    picture = _packed(_page_svg(svg))
    title = html.escape(f"autodiff explorer: {data['nodes'][-1]['name']}")
    page = (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n'
        f'</head>\n<body>\n{_fragment(picture, data, autofocus=True)}</body>\n</html>\n'
    )
    return Exploration(page, _fragment(picture, data, autofocus=False), data)


def _fill(formula: str, **parts: str) -> str:
    """`formula` with its ``{x}``-style fields filled in.

    An operand with spaces gets parentheses, unless the formula has them already (``tanh({x})``).
    """

    def replace(match: re.Match[str]) -> str:
        part = parts[match[1]]
        start, end = match.span()
        enclosed = formula[start - 1:start] in ("(", " ") and formula[end:end + 1] in (")", ",") or match[1] == "xs"
        return part if enclosed or " " not in part else f"({part})"

    return re.sub(r"\{(\w+)\}", replace, formula)


@dataclass
class _Unit:
    """What one step shows: a value drawn on its own, or every value of one collapsed module box."""

    key: str
    members: list[int] = field(default_factory=list)


class _Recorder:
    """Records the two passes over `order` step by step, every number formatted for the page."""

    def __init__(self, order: list[Value], node_ids: dict[Value, str], box_labels: dict[str, str], digits: int) -> None:
        self.order = order
        self.index = {value: i for i, value in enumerate(order)}
        self.node_ids = node_ids
        self.box_labels = box_labels
        self.digits = digits
        self.names: list[str] = []
        for value in order:
            self.names.append(self._name(value))

    def text(self, x: float) -> str:
        """`x` as the page shows it, with `digits` significant digits, as `draw` does."""
        return f"{x:.{self.digits}g}"

    def _name(self, value: Value) -> str:
        if value.name is not None:
            return value.name
        if value.op is None:
            return self.text(value.data)
        short = self._formula(value, [self.names[self.index[p]] for p in value.parents])
        return short if len(short) <= _SHORT_NAME else f"v{self.index[value]}"

    def _formula(self, value: Value, inputs: list[str]) -> str:
        op = value.op
        assert op is not None
        shown = inputs if len(inputs) <= _SHOWN_INPUTS else [*inputs[: _SHOWN_INPUTS - 1], "…", inputs[-1]]
        arg = value.arg
        if isinstance(arg, tuple):
            more = ", …" if len(arg) > _SHOWN_INPUTS else ""
            arg_text = "(" + ", ".join(self.text(a) for a in arg[:_SHOWN_INPUTS]) + more + ")"
        else:
            arg_text = self.text(arg) if isinstance(arg, float) else str(arg)
        return _fill(op.formula, x=shown[0], y=shown[-1], xs=", ".join(shown), arg=arg_text)

    def _units(self) -> list[_Unit]:
        """The forward steps: values and module boxes, each after the units it uses."""
        units: dict[str, _Unit] = {}
        for i, value in enumerate(self.order):
            if value.op is not None:
                units.setdefault(self.node_ids[value], _Unit(self.node_ids[value])).members.append(i)
        users: dict[str, set[str]] = {key: set() for key in units}
        waiting = dict.fromkeys(units, 0)
        for key, unit in units.items():
            for i in unit.members:
                for parent in self.order[i].parents:
                    source = self.node_ids[parent]
                    if parent.op is not None and source != key and key not in users[source]:
                        users[source].add(key)
                        waiting[key] += 1
        # Kahn's algorithm, the unit that starts earliest in the topological order first: without
        # boxes that is the topological order itself, so the sums accumulate as in backward()
        start = {key: unit.members[0] for key, unit in units.items()}
        ready = [(start[key], key) for key, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        ordered: list[_Unit] = []
        while ready:
            _, key = heapq.heappop(ready)
            ordered.append(units[key])
            for user in users[key]:
                waiting[user] -= 1
                if waiting[user] == 0:
                    heapq.heappush(ready, (start[user], user))
        # module boxes that feed each other (a value named into an odd module) follow in order of their values
        placed = {unit.key for unit in ordered}
        ordered += sorted((u for u in units.values() if u.key not in placed), key=lambda u: u.members[-1])
        return ordered

    def run(self) -> dict[str, Any]:
        """The page's data (see the module's docstring)."""
        order, index, text = self.order, self.index, self.text
        nodes: list[dict[str, Any]] = []
        edges: list[list[Any]] = []
        ops: dict[str, dict[str, Any]] = {}
        for i, value in enumerate(order):
            node: dict[str, Any] = {"name": self.names[i], "kind": _kind(value, order[-1])}
            op = value.op
            if op is not None:
                node["op"] = op.name
                if value.arg is not None:  # a number as the page shows every number
                    node["arg"] = text(value.arg) if isinstance(value.arg, float) else str(value.arg)
                inputs = ["x", "y"] if op.arity == 2 else ["x"] if op.arity == 1 else ["x_i"]
                ops[op.name] = {"formula": op.formula, "inputs": inputs, "partials": list(op.partial_formulas)}
            node |= {"data": text(value.data), "parents": [index[p] for p in value.parents], "children": [],
                     "id": self.node_ids[value]}
            nodes.append(node)
            for position, (parent, partial) in enumerate(input_partials(value, FLOAT), start=1):
                edges.append([index[parent], i, position, partial])
                nodes[index[parent]]["children"].append(i)
        units = self._units()
        steps = self._forward(units, nodes)
        self._backward(units, nodes, edges, steps)
        for edge in edges:
            edge[3] = text(edge[3])
        return {"digits": self.digits, "zero": text(0.0), "fills": _GRAD_FILLS,
                "inks": ["white" if level >= _WHITE_TEXT_FROM else "black" for level in range(1, 10)],
                "boxes": self.box_labels, "ops": ops, "nodes": nodes, "edges": edges, "steps": steps}

    def _forward(self, units: list[_Unit], nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # the inputs in the order the forward pass first uses them (x, w, b for x·w + b)
        first_used = dict.fromkeys(self.index[parent] for value in self.order for parent in value.parents
                                   if parent.op is None)
        leaves = [*first_used, *(i for i, value in enumerate(self.order) if value.op is None and i not in first_used)]
        steps: list[dict[str, Any]] = [{
            "phase": "inputs", "title": "The inputs", "focus": leaves,
            "lines": [f"{self.names[i]} = {nodes[i]['data']}" for i in leaves],
        }]
        for unit in units:
            lines = []
            for i in unit.members:
                value = self.order[i]
                formula = self._formula(value, [self.names[self.index[p]] for p in value.parents])
                numbers = self._formula(value, [nodes[self.index[p]]["data"] for p in value.parents])
                named = "" if formula == self.names[i] else f"{self.names[i]} = "
                lines.append(f"{named}{formula} = {numbers} = {nodes[i]['data']}")
            steps.append({"phase": "forward", "title": f"Forward: {self._unit_name(unit)}", "focus": unit.members,
                          "lines": lines})
        # a value is revealed by its step, a value in a module box (a parameter too) with its box
        revealed = {unit.key: step for step, unit in enumerate(units, start=1)}
        for i, value in enumerate(self.order):
            nodes[i]["shown"] = revealed.get(self.node_ids[value], 0)
        return steps

    def _unit_name(self, unit: _Unit) -> str:
        if unit.key in self.box_labels:
            return f"module {self.box_labels[unit.key]}"
        return self.names[unit.members[0]]

    def _backward(
        self, units: list[_Unit], nodes: list[dict[str, Any]], edges: list[list[Any]], steps: list[dict[str, Any]]
    ) -> None:
        """The backward steps, accumulating as `autodiff.core.graph.backpropagate` does, from zero grads."""
        text = self.text
        into: list[list[int]] = [[] for _ in nodes]
        for e, edge in enumerate(edges):
            into[edge[1]].append(e)
        grads = [0.0] * len(nodes)
        received = [0] * len(nodes)
        root = len(nodes) - 1
        grads[root] += 1.0
        nodes[root]["done"] = len(steps)
        steps.append({"phase": "backward", "title": f"Backward: start at {self.names[root]}", "focus": [root],
                      "seed": text(grads[root]), "contributions": []})
        for unit in reversed(units):
            step = len(steps)
            contributions: list[list[Any]] = []
            for i in sorted(unit.members, reverse=True):
                for e in into[i]:
                    parent, _, _, partial = edges[e]
                    upstream, before = grads[i], grads[parent]
                    grads[parent] += partial * upstream
                    received[parent] += 1
                    contributions.append([e, text(upstream), text(partial * upstream), text(before),
                                          text(grads[parent]), received[parent]])
                    if received[parent] == len(nodes[parent]["children"]):
                        nodes[parent]["done"] = step
            title = f"Backward: {self._unit_name(unit)}"
            steps.append({"phase": "backward", "title": title, "focus": unit.members, "contributions": contributions})
        largest = max((abs(g) for g in grads if math.isfinite(g)), default=0.0)
        for node, grad in zip(nodes, grads, strict=True):
            node["grad"] = text(grad)
            node["level"] = grad_level(grad, largest)


def _kind(value: Value, root: Value) -> str:
    if value is root:
        return "output"
    if value.op is None:
        return "parameter" if value.name is not None else "leaf"
    return "value"


@dataclass
class _SvgElements:
    """The SVG element of each node and edge of the picture, found by their DOT ids."""

    nodes: dict[str, str]
    edges: dict[tuple[str, str, str], str]  # (tail, head, head label) -> element id
    box_labels: dict[str, str]

    @classmethod
    def of(cls, svg: ET.Element) -> _SvgElements:
        """The elements of Graphviz's SVG `svg`: each group holds its DOT id in its title."""
        found = cls({}, {}, {})
        for group in svg.iter(f"{_SVG_NS}g"):
            title = group.findtext(f"{_SVG_NS}title") or ""
            element_id = group.get("id", "")
            label = group.findtext(f".//{_SVG_NS}text") or ""
            if group.get("class") == "node":
                found.nodes[title] = element_id
                if title.startswith("m"):
                    found.box_labels[title] = label
            elif group.get("class") == "edge":
                tail, head = title.split("->")
                found.edges[(tail, head, label)] = element_id
        return found


def _attach_svg(data: dict[str, Any], order: list[Value], node_ids: dict[Value, str], svg: _SvgElements) -> None:
    """Give each node and edge of `data` the ids of the SVG elements that show it."""
    for i, (value, node) in enumerate(zip(order, data["nodes"], strict=True)):
        own = node_ids[value]
        node["svg"] = [svg.nodes[own]]
        if own == f"v{i}" and value.op is not None:
            node["svg"] += [svg.nodes[f"o{i}"], svg.edges[(f"o{i}", own, "")]]
    for edge in data["edges"]:
        parent, child, position = order[edge[0]], order[edge[1]], edge[2]
        tail, boxed = node_ids[parent], node_ids[child] != f"v{edge[1]}"
        head = node_ids[child] if boxed else f"o{edge[1]}"
        label = str(position) if not boxed and len(child.parents) > 1 else ""
        edge.append(None if tail == head else svg.edges[(tail, head, label)])


def _page_svg(svg: ET.Element) -> str:
    """Graphviz's SVG made fit to inline in HTML: no namespaces, tooltips, titles or comments (no URL)."""
    for element in svg.iter():
        element.tag = element.tag.removeprefix(_SVG_NS)
        defaults = _CSS_DEFAULTS.get(element.tag, {})
        for name in [name for name in element.attrib if name.startswith("{") or name in defaults]:
            # xml:space and xlink:title go; font and edge colours the page's CSS gives
            if name.startswith("{") or defaults[name] in (None, element.attrib[name]):
                del element.attrib[name]
        for name in _COORDINATES:
            if name in element.attrib:
                element.attrib[name] = _DECIMAL.sub(_whole, element.attrib[name])
    for parent in list(svg.iter()):
        for position, child in reversed(list(enumerate(parent))):
            if child.tag == "title":
                parent.remove(child)
            elif child.tag == "g" and len(child) == 1 and child[0].tag == "a":
                # a tooltip's wrapper: its contents take its place
                parent.remove(child)
                for offset, grandchild in enumerate(child[0]):
                    parent.insert(position + offset, grandchild)
    return ET.tostring(svg, encoding="unicode").replace("\n\n", "\n")


def _packed(svg: str) -> str:
    # no timestamp in the gzip header, so the same graph gives a byte-identical page
    return base64.b64encode(gzip.compress(svg.encode("utf-8"), mtime=0)).decode("ascii")


def _whole(number: re.Match[str]) -> str:
    return str(round(float(number[0])))


def _json_for_script(data: dict[str, Any]) -> str:
    # inside <script>, "</script>" or "<!--" in a name must not end or change the script: no < > & at all
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_LEGEND = """<ul class="ax-legend">
<li><span class="ax-swatch ax-parameter"></span>parameter (a named leaf)</li>
<li><span class="ax-swatch ax-leaf"></span>unnamed leaf (an input or a constant)</li>
<li><span class="ax-swatch ax-value"></span>value computed by an op</li>
<li><span class="ax-swatch ax-op"></span>op (edge numbers: argument order)</li>
<li><span class="ax-swatch ax-output"></span>output</li>
<li><span class="ax-swatch ax-box"></span>module box (steps as one unit)</li>
<li><span class="ax-swatch ax-current"></span>this step's values and edges</li>
<li><span class="ax-swatch ax-path"></span>paths from the selected value to the output</li>
<li><span class="ax-ramp"></span>|grad| from 0 to the largest (when coloured)</li>
</ul>
"""

# replaced by the picture when the script runs; a notebook viewer that strips scripts shows this instead
_NO_SCRIPT = (
    '<p class="ax-hint">The picture and its steps appear when this page\'s script runs '
    "(in Jupyter: in a trusted notebook).</p>"
)

_CONTROLS = """<div class="ax-controls">
<button type="button" data-action="first" title="first step (Home)">|&#x25C0;</button>
<button type="button" data-action="back" title="previous step (&#x2190;)">&#x25C0;</button>
<button type="button" data-action="play" title="play or pause (space)">play</button>
<button type="button" data-action="next" title="next step (&#x2192;)">&#x25B6;</button>
<button type="button" data-action="last" title="last step (End)">&#x25B6;|</button>
<input type="range" class="ax-slider" min="0" max="0" value="0" aria-label="step">
<span class="ax-counter"></span>
<label><input type="checkbox" class="ax-color"> colour by |grad|</label>
</div>
"""

_PANELS = """<div class="ax-side">
<section class="ax-step"><h3></h3><p class="ax-hint ax-notation" hidden>The chain rule, input by input:
input.grad += &#x2202;out/&#x2202;input &#xD7; out.grad, where out is the value this step's op computes; its
inputs go by their own names (x_i: the i-th input of a many-input op, by edge number).</p><pre></pre></section>
<section class="ax-inspect"><h3>Inspect</h3><p class="ax-hint">Click a value to inspect it and highlight its
paths to the output; hover an edge for its local derivative.</p><pre></pre></section>
<section><h3>Legend</h3>
"""


def _fragment(packed_svg: str, data: dict[str, Any], *, autofocus: bool) -> str:
    """The explorer as one HTML element with its own style, data and script (a page's body, or Jupyter's).

    `packed_svg` is the picture as `_packed` stores it.
    """
    style = (_HERE / "explorer.css").read_text(encoding="utf-8")
    script = (_HERE / "explorer.js").read_text(encoding="utf-8")
    focus = " data-autofocus" if autofocus else ""
    return (
        f'<div class="autodiff-explorer" tabindex="0"{focus}>\n<style>\n{style}</style>\n{_CONTROLS}'
        f'<div class="ax-graph" data-svg="{packed_svg}">{_NO_SCRIPT}</div>\n'
        f'<div class="ax-status" aria-live="polite"></div>\n'
        f'{_PANELS}{_LEGEND}</section>\n</div>\n'
        f'<script type="application/json" class="ax-data">{_json_for_script(data)}</script>\n'
        f'<script>\n{script}</script>\n</div>\n'
    )
