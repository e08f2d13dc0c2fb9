"""The explorer: one self-contained HTML page that steps through a graph's forward and backward pass.

`explore` lays the graph out as `autodiff.draw` does (the same Graphviz picture), then records the
two passes step by step: each forward step reveals a value and its computation, each backward step
lists, for every input edge, the op table's local derivative, the contribution ``partial ×
upstream grad`` and the running sum of the input's grad. Every number is computed here, by the op
table's rules in the engine's order, and embedded in the page as JSON; the page's script only
shows them. The page makes no network request: its SVG, CSS, script and data are all inline.
"""

from __future__ import annotations

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

__all__ = ["Exploration", "explore"]

PAGE_SUFFIXES = (".html", ".htm")
_HERE = Path(__file__).parent
_SVG_NS = "{http://www.w3.org/2000/svg}"
# Graphviz's "oranges9" ColorBrewer scheme, which draw(color_by_grad=True) fills with: level 1..9
_GRAD_FILLS = ("#fff5eb", "#fee6ce", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913", "#d94801", "#a63603", "#7f2704")
_WHITE_TEXT_FROM = 7  # as in draw: black text is hard to read on dark orange
_SHORT_NAME = 24  # an unnamed value is called by its formula up to this many characters
_SHOWN_INPUTS = 6  # a variadic op's formula lists this many inputs, then "…"


class Exploration:
    """The explorer page made by `explore`: `html` is the whole page, `save` writes it to a file.

    Shows inline in Jupyter (``_repr_html_``). `steps` is the number of steps the page walks
    through (the inputs, the forward steps, the backward steps) and `data` the numbers it shows,
    as embedded in the page.
    """

    def __init__(self, html_page: str, fragment: str, data: dict[str, Any]) -> None:
        self.html = html_page
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
    data = _Recorder(order, drawing.node_ids, elements.box_labels, digits).run(root)
    _attach_svg(data, order, drawing.node_ids, elements)
    data["colorByGrad"] = color_by_grad
    shown_svg = _page_svg(svg)
    title = html.escape(f"autodiff explorer: {data['nodes'][-1]['name']}")
    page = (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n'
        f'</head>\n<body>\n{_fragment(shown_svg, data, autofocus=True)}</body>\n</html>\n'
    )
    fragment = _fragment(shown_svg, data, autofocus=False)
    return Exploration(page, fragment, data)


def _fill(formula: str, **parts: str) -> str:
    """`formula` with its ``{x}``-style fields filled in; an operand with spaces gets parentheses
    unless the formula already has them around it (``tanh({x})``).
    """

    def replace(match: re.Match[str]) -> str:
        part = parts[match[1]]
        start, end = match.span()
        enclosed = formula[start - 1:start] in ("(", " ") and formula[end:end + 1] in (")", ",") or match[1] == "xs"
        return part if enclosed or " " not in part else f"({part})"

    return re.sub(r"\{(\w+)\}", replace, formula)


def _grad_of(name: str) -> str:
    return f"{name}.grad" if " " not in name else f"({name}).grad"


def _number(x: float, digits: int) -> str:
    return f"{x:.{digits}g}"


def _exact(x: float) -> str:
    return repr(x)


@dataclass
class _Unit:
    """What one step shows: a value drawn on its own, or every value of one collapsed module box."""

    key: str
    members: list[int] = field(default_factory=list)


class _Recorder:
    """Records the two passes over `order` step by step, with every number formatted for the page."""

    def __init__(self, order: list[Value], node_ids: dict[Value, str], box_labels: dict[str, str], digits: int) -> None:
        self.order = order
        self.box_labels = box_labels
        self.index = {value: i for i, value in enumerate(order)}
        self.node_ids = node_ids
        self.digits = digits
        self.names: list[str] = []
        for i, value in enumerate(order):
            self.names.append(self._name(i, value))

    def text(self, x: float) -> str:
        return _number(x, self.digits)

    def _name(self, i: int, value: Value) -> str:
        if value.name is not None:
            return value.name
        if value.op is None:
            return self.text(value.data)
        short = self._formula(value, [self.names[self.index[p]] for p in value.parents])
        return short if len(short) <= _SHORT_NAME else f"v{i}"

    def _formula(self, value: Value, inputs: list[str]) -> str:
        op = value.op
        assert op is not None
        shown = inputs if len(inputs) <= _SHOWN_INPUTS else [*inputs[: _SHOWN_INPUTS - 1], "…", inputs[-1]]
        arg = value.arg
        if isinstance(arg, tuple):
            arg_text = "(" + ", ".join(self.text(a) for a in arg[:_SHOWN_INPUTS]) + (", …)" if len(arg) > 6 else ")")
        else:
            arg_text = self.text(arg) if isinstance(arg, float) else str(arg)
        return _fill(op.formula, x=shown[0], y=shown[-1], xs=", ".join(shown), arg=arg_text)

    def _units(self) -> list[_Unit]:
        """The steps of the forward pass: values and module boxes, inputs before the units using them."""
        units: dict[str, _Unit] = {}
        for i, value in enumerate(self.order):
            if value.op is not None:
                units.setdefault(self.node_ids[value], _Unit(self.node_ids[value])).members.append(i)
        after: dict[str, set[str]] = {key: set() for key in units}
        waiting = dict.fromkeys(units, 0)
        for key, unit in units.items():
            for i in unit.members:
                for parent in self.order[i].parents:
                    source = self.node_ids[parent]
                    if parent.op is not None and source != key and key not in after[source]:
                        after[source].add(key)
                        waiting[key] += 1
        # Kahn's algorithm, the unit that starts earliest in the topological order first: without
        # boxes this is the topological order itself, so the sums are accumulated as backward() does
        first = {key: unit.members[0] for key, unit in units.items()}
        ready = [(first[key], key) for key, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        ordered: list[_Unit] = []
        while ready:
            _, key = heapq.heappop(ready)
            ordered.append(units[key])
            for user in after[key]:
                waiting[user] -= 1
                if waiting[user] == 0:
                    heapq.heappush(ready, (first[user], user))
        # module boxes that feed each other (a name put in an odd place) follow in order of their values
        placed = {unit.key for unit in ordered}
        ordered += sorted((u for u in units.values() if u.key not in placed), key=lambda u: u.members[-1])
        return ordered

    def run(self, root: Value) -> dict[str, Any]:
        """The page's data: every value, every edge, and the steps with their numbers."""
        order, index, text = self.order, self.index, self.text
        units = self._units()
        nodes: list[dict[str, Any]] = []
        edges: list[dict[str, Any]] = []
        in_edges: list[list[int]] = []
        for i, value in enumerate(order):
            op = value.op
            nodes.append({
                "name": self.names[i],
                "kind": _kind(value, root),
                "op": op.name if op is not None else None,
                "label": op.label(value.arg) if op is not None else None,
                "arg": None if value.arg is None else str(value.arg),
                "data": text(value.data),
                "exact": _exact(value.data),
                "parents": [index[p] for p in value.parents],
                "children": [],
                "id": self.node_ids[value],
                "grads": [[0, text(0.0)]],
            })
            in_edges.append([])
            if op is None:
                continue
            partials = input_partials(value, FLOAT) if op is not None else []
            formulas = op.partial_formulas
            for position, (parent, partial) in enumerate(partials, start=1):
                letter = ("x", "y")[position - 1] if op.arity == 2 else "x" if op.arity == 1 else f"x_{position - 1}"
                formula = formulas[position - 1] if op.arity == 2 else formulas[0]
                in_edges[i].append(len(edges))
                edges.append({
                    "from": index[parent], "to": i, "position": position, "letter": letter,
                    "formula": formula, "local": text(partial), "exact": _exact(partial),
                })
                nodes[index[parent]]["children"].append(i)
        steps: list[dict[str, Any]] = []
        leaves = [i for i, value in enumerate(order) if value.op is None]
        steps.append({
            "phase": "inputs",
            "title": "The inputs",
            "lines": [f"{self.names[i]} = {nodes[i]['data']}" for i in leaves],
            "focus": leaves,
            "edges": [],
        })
        for i in leaves:
            nodes[i]["shown"] = 0
        for unit in units:
            lines = []
            for i in unit.members:
                value = order[i]
                nodes[i]["shown"] = len(steps)
                names = [self.names[index[p]] for p in value.parents]
                numbers = [nodes[index[p]]["data"] for p in value.parents]
                formula = self._formula(value, names)
                named = "" if formula == self.names[i] else f"{self.names[i]} = "
                lines.append(f"{named}{formula} = {self._formula(value, numbers)} = {nodes[i]['data']}")
            steps.append({
                "phase": "forward",
                "title": f"Forward: {self._unit_name(unit)}",
                "lines": lines,
                "focus": unit.members,
                "edges": [e for i in unit.members for e in in_edges[i]],
            })
        # a value inside a module box appears with its box
        box_step = {unit.key: nodes[unit.members[0]]["shown"] for unit in units}
        for i, value in enumerate(order):
            nodes[i]["shown"] = box_step.get(self.node_ids[value], nodes[i]["shown"])
        self._backward(root, units, nodes, edges, in_edges, steps)
        return {"digits": self.digits, "nodes": nodes, "edges": edges, "steps": steps}

    def _unit_name(self, unit: _Unit) -> str:
        if unit.key in self.box_labels:
            return f"module {self.box_labels[unit.key]}"
        return self.names[unit.members[0]]

    def _backward(
        self, root: Value, units: list[_Unit], nodes: list[dict[str, Any]], edges: list[dict[str, Any]],
        in_edges: list[list[int]], steps: list[dict[str, Any]],
    ) -> None:
        """The backward steps, accumulating as `autodiff.graph.backpropagate` does, from zero grads."""
        order, text, names = self.order, self.text, self.names
        grads = [0.0] * len(order)
        received = [0] * len(order)
        expected = [len(node["children"]) for node in nodes]
        root_index = len(order) - 1
        grads[root_index] += 1.0
        seeded = len(steps)
        nodes[root_index]["grads"].append([seeded, text(grads[root_index])])
        steps.append({
            "phase": "backward",
            "title": f"Backward: start at {names[root_index]}",
            "lines": [f"∂out/∂out = 1: {_grad_of(names[root_index])} = {text(grads[root_index])}"],
            "focus": [root_index],
            "edges": [],
            "contributions": [],
        })
        nodes[root_index]["done"] = seeded
        for unit in reversed(units):
            step = len(steps)
            lines: list[str] = []
            contributions: list[dict[str, Any]] = []
            for i in sorted(unit.members, reverse=True):
                upstream = grads[i]
                lines.append(f"{_grad_of(names[i])} = {text(upstream)}")
                for e in in_edges[i]:
                    edge = edges[e]
                    parent = edge["from"]
                    contribution = float(edge["exact"]) * upstream
                    before = grads[parent]
                    grads[parent] += contribution
                    received[parent] += 1
                    running = ""
                    if expected[parent] > 1:
                        running = (f"; running sum {text(before)} + {text(contribution)} = {text(grads[parent])} "
                                   f"({received[parent]} of {expected[parent]} contributions)")
                    local = edge["local"] if edge["formula"] == edge["local"] else f"{edge['formula']} = {edge['local']}"
                    lines.append(
                        f"  ∂out/∂{edge['letter']} = {local}: {_grad_of(names[parent])} += "
                        f"{edge['local']} × {text(upstream)} = {text(contribution)}{running}"
                    )
                    contributions.append({
                        "edge": e, "upstream": text(upstream), "contribution": text(contribution),
                        "before": text(before), "after": text(grads[parent]),
                        "exact": [_exact(upstream), _exact(contribution), _exact(grads[parent])],
                    })
                    nodes[parent]["grads"].append([step, text(grads[parent])])
                    if received[parent] == expected[parent]:
                        nodes[parent]["done"] = step
            steps.append({
                "phase": "backward",
                "title": f"Backward: {self._unit_name(unit)}",
                "lines": lines,
                "focus": unit.members,
                "edges": [e for i in unit.members for e in in_edges[i]],
                "contributions": contributions,
            })
        largest = max((abs(g) for g in grads if math.isfinite(g)), default=0.0)
        for i, node in enumerate(nodes):
            node["grad"], node["gradExact"] = text(grads[i]), _exact(grads[i])
            node.setdefault("done", len(steps) - 1)
            level = grad_level(grads[i], largest)
            node["fill"] = _GRAD_FILLS[level - 1]
            node["ink"] = "white" if level >= _WHITE_TEXT_FROM else "black"


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
                found.box_labels[title] = label
            elif group.get("class") == "edge":
                tail, head = title.split("->")
                found.edges[(tail, head, label)] = element_id
        found.box_labels = {key: label for key, label in found.box_labels.items() if key.startswith("m")}
        return found


def _attach_svg(data: dict[str, Any], order: list[Value], node_ids: dict[Value, str], svg: _SvgElements) -> None:
    """Give each node and edge of `data` the ids of the SVG elements that show it."""
    for i, (value, node) in enumerate(zip(order, data["nodes"], strict=True)):
        own = node_ids[value]
        node["svg"] = [svg.nodes[own]]
        if own == f"v{i}" and value.op is not None:
            node["svg"] += [svg.nodes[f"o{i}"], svg.edges[(f"o{i}", own, "")]]
    for edge in data["edges"]:
        child = order[edge["to"]]
        tail, boxed = node_ids[order[edge["from"]]], node_ids[child] != f"v{edge['to']}"
        head = node_ids[child] if boxed else f"o{edge['to']}"
        label = str(edge["position"]) if not boxed and len(child.parents) > 1 else ""
        edge["svg"] = None if tail == head else svg.edges[(tail, head, label)]


def _page_svg(svg: ET.Element) -> str:
    """Graphviz's SVG made fit to inline in HTML: no namespaces, tooltips, titles or comments (no URL)."""
    for element in svg.iter():
        element.tag = element.tag.removeprefix(_SVG_NS)
        for name in [name for name in element.attrib if name.startswith("{") or name == "font-family"]:
            del element.attrib[name]  # xml:space and xlink:title; the page's CSS sets the font
    for parent in list(svg.iter()):
        for position, child in reversed(list(enumerate(parent))):
            if child.tag == "title":
                parent.remove(child)
            elif child.tag == "g" and len(child) == 1 and child[0].tag == "a":
                # a tooltip's wrapper: its contents take its place
                parent.remove(child)
                for offset, grandchild in enumerate(child[0]):
                    parent.insert(position + offset, grandchild)
    return ET.tostring(svg, encoding="unicode")


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
<li class="ax-scale"><span class="ax-ramp"></span>|grad| from 0 to the largest (when coloured)</li>
</ul>
"""

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


def _fragment(svg: str, data: dict[str, Any], *, autofocus: bool) -> str:
    """The explorer as one HTML element, with its own style, data and script (for a page or Jupyter)."""
    style = (_HERE / "explorer.css").read_text(encoding="utf-8")
    script = (_HERE / "explorer.js").read_text(encoding="utf-8")
    return (
        f'<div class="autodiff-explorer" tabindex="0"{" data-autofocus" if autofocus else ""}>\n<style>\n{style}</style>\n{_CONTROLS}'
        f'<div class="ax-main">\n<div class="ax-graph">\n{svg}\n</div>\n<div class="ax-side">\n'
        f'<section class="ax-step"><h3></h3><pre></pre></section>\n'
        f'<section class="ax-inspect"><h3>Inspect</h3><p class="ax-hint">Click a value to inspect it and '
        f'highlight its paths to the output; hover an edge for its local derivative.</p><pre></pre></section>\n'
        f'<section><h3>Legend</h3>\n{_LEGEND}</section>\n</div>\n</div>\n'
        f'<div class="ax-status" aria-live="polite"></div>\n'
        f'<script type="application/json" class="ax-data">{_json_for_script(data)}</script>\n'
        f'<script>\n{script}</script>\n</div>\n'
    )
