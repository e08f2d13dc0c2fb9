"""Pictures of computation graphs: `draw` turns a `Value`'s graph into a Graphviz `Drawing`.

One box per value (its name, data and grad, a line each), one small node per op labelled from the op
table (``× 2``, ``** 3``, ``tanh``), edges in argument order. Node ids are topological indices,
so the same graph gives the same DOT source on every run and machine. Values of `nn` modules
are grouped in clusters, or collapsed into one box per module (see `autodiff.pictures.scopes`).
Drawing only reads the graph.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from autodiff.core.graph import topological_order
from autodiff.core.reals import is_int
from autodiff.core.value import Value
from autodiff.files import atomic_write
from autodiff.pictures.render import DEFAULT_TIMEOUT, render
from autodiff.pictures.scopes import ModulePath, infer_scopes, modules_of

if TYPE_CHECKING:
    import graphviz

__all__ = ["Collapse", "Drawing", "draw"]

Collapse = Literal["neuron", "layer"] | int | None
"""What `draw` draws as one box: each ``"neuron"``, each ``"layer"``, each module at a depth, or nothing."""

DEFAULT_MAX_NODES = 400
RANKDIRS = ("LR", "TB", "RL", "BT")
SAVE_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}

# ordering=in: the inputs of an op are laid out in argument order. nslimit caps the network simplex
# that places the nodes across ranks: uncapped, Graphviz 16's WebAssembly build spends minutes on
# graphs of a few hundred nodes with a value used at every step (an RNN's weight, x in y + x*i),
# for a picture that barely differs
_GRAPH = {"ordering": "in", "nodesep": "0.15", "ranksep": "0.3", "nslimit": "4", "fontname": "Helvetica",
          "fontsize": "11"}
# between ranks of module boxes every box of one layer feeds every box of the next: at 0.3 inches the
# edges merge into one black band, at 0.8 they stay separate lines (the picture gets ~30% wider)
_BOX_RANKSEP = "0.8"
# values are boxes with a line per field, not records: dot 2.43 takes minutes to route edges
# between a few hundred records
_NODE = {"shape": "box", "style": "filled", "fillcolor": "white", "fontname": "Helvetica", "fontsize": "11"}
_EDGE = {"arrowsize": "0.6", "fontname": "Helvetica", "fontsize": "9", "fontcolor": "#6b7280"}
_OP = {"shape": "ellipse", "fillcolor": "#f3f4f6", "height": "0.3", "margin": "0.04,0.02"}
# inches between the arrival points of an op's input edges: room for each one's number (9 pt)
_INPUT_SPACING = 0.22
_BOX = {"shape": "box", "style": "rounded,filled", "fillcolor": "#e5e7eb", "margin": "0.15,0.06"}
_CLUSTER = {"style": "rounded,dashed", "color": "#9ca3af", "fontcolor": "#4b5563", "labeljust": "l"}
# the kind of a value shows in its border (and its fill, unless the fill shows |grad|)
_KINDS = {
    "value": ({}, "white"),
    "leaf": ({"style": "filled,dashed", "color": "#6b7280"}, "#f3f4f6"),
    "parameter": ({"color": "#1d4ed8"}, "#dbeafe"),
    "output": ({"color": "#b45309", "penwidth": "2"}, "#fef3c7"),
}
_GRAD_SCHEME = "oranges9"  # a ColorBrewer scheme built into Graphviz: "1" lightest .. "9" darkest
_MEANINGS = {"parameter": "parameter\n(a named leaf)", "leaf": "input or constant\n(an unnamed leaf)",
             "value": "value computed\nby an op", "output": "output"}
"""What each kind of value box means, as the legend says it."""


def _visible(text: str) -> str:
    # control characters (which SVG cannot hold) and lone surrogates (which UTF-8 cannot) are shown
    # as Python escapes, e.g. \x01; a newline stays a line break
    text = text.replace("\r\n", "\n")
    return "".join(
        ascii(c)[1:-1] if c != "\n" and unicodedata.category(c) in ("Cc", "Cs") or c in "\ufffe\uffff" else c
        for c in text
    )


def _text_escape(text: str) -> str:
    # a label or tooltip: backslashes are literal, a newline is a line break
    import graphviz  # imported when something is drawn, so `import autodiff` does not load it

    return str(graphviz.nohtml(graphviz.escape(_visible(text)).replace("\n", "\\n")))


class Drawing:
    """A picture of a computation graph, made by `draw`: DOT source now, SVG/PNG/PDF on demand.

    `digraph` is the `graphviz.Digraph`, free to tweak before saving; `source` its DOT text.
    Shows inline in Jupyter. Rendering uses the system Graphviz ``dot`` when it is on ``PATH``;
    without it, SVG comes from Graphviz compiled to WebAssembly and PNG from the optional
    `graphviz-pure` (see `autodiff.pictures.render`). `node_ids` gives the DOT id each value is drawn
    as: ``v3`` (its op node is ``o3``), or ``m0`` for a value inside a collapsed module's box.
    """

    def __init__(
        self, digraph: graphviz.Digraph, *, values: int, ops: int, boxes: int,
        node_ids: dict[Value, str] | None = None,
    ) -> None:
        self.digraph = digraph
        self.values, self.ops, self.boxes = values, ops, boxes
        self.node_ids = node_ids or {}

    @property
    def source(self) -> str:
        """The DOT source of the picture."""
        return str(self.digraph.source)

    def render(self, format: str = "svg", *, timeout: float | None = DEFAULT_TIMEOUT) -> bytes:  # noqa: A002
        """The picture as ``svg``, ``png`` or ``pdf`` bytes.

        Raises `autodiff.pictures.render.RenderError` if Graphviz takes more than `timeout` seconds to lay
        it out (None: wait as long as it takes).
        """
        return render(self.source, format, timeout=timeout)

    def svg(self, *, timeout: float | None = DEFAULT_TIMEOUT) -> str:
        """The picture as SVG text (see `render` for `timeout`)."""
        return self.render("svg", timeout=timeout).decode("utf-8")

    def save(self, path: str | Path, *, timeout: float | None = DEFAULT_TIMEOUT) -> Path:
        """Write the picture to `path`, in the format of its extension: .svg, .png, .pdf or .dot/.gv.

        See `render` for `timeout`. The file is written atomically (`autodiff.files.atomic_write`), and
        only once the picture is rendered: a failed render leaves an existing file as it was.
        """
        path = Path(path)
        format = SAVE_FORMATS.get(path.suffix.lower())  # noqa: A001 - Graphviz's name for it
        if format is None:
            raise ValueError(
                f"cannot save a drawing as {path.name!r}: the extension chooses the format, one of "
                f"{', '.join(SAVE_FORMATS)}"
            )
        data = self.source.encode("utf-8") if format == "dot" else self.render(format, timeout=timeout)
        return atomic_write(path, data)

    def _repr_svg_(self) -> str:
        return self.svg()

    def __repr__(self) -> str:
        boxes = f", {self.boxes} modules" if self.boxes else ""
        return f"<Drawing: {self.values} values, {self.ops} ops{boxes}>"


@dataclass
class _Layout:
    """Where each value goes: drawn on its own, or hidden in the box of a collapsed module."""

    order: list[Value]
    scopes: dict[Value, ModulePath]
    boxes: dict[Value, ModulePath]

    def count(self) -> tuple[int, int, int]:
        """How many value records, op nodes and module boxes the picture has."""
        values = ops = 0
        for value in self.order:
            if value not in self.boxes:
                values += 1
                ops += value.op is not None
        return values, ops, len(set(self.boxes.values()))


def _collapse_rule(collapse: Collapse) -> Callable[[ModulePath, int], bool] | None:
    if collapse is None:
        return None
    if collapse == "neuron" or collapse == "layer":
        container = collapse + "s"
        return lambda module, depth: len(module) >= 2 and module[-2] == container
    if is_int(collapse) and collapse >= 1:
        return lambda module, depth: depth == collapse
    raise ValueError(
        f"collapse must be None, 'neuron', 'layer' or a module depth >= 1, got {collapse!r}"
    )


def _layout(order: list[Value], scopes: dict[Value, ModulePath], collapse: Collapse) -> _Layout:
    rule = _collapse_rule(collapse)
    boxes: dict[Value, ModulePath] = {}
    if rule is not None:
        for value in order:
            for depth, module in enumerate(modules_of(scopes[value]), start=1):
                if rule(module, depth):
                    boxes[value] = module
                    break
    return _Layout(order, scopes, boxes)


def _format(x: float, digits: int) -> str:
    return f"{x:.{digits}g}"


def _kind(value: Value, root: Value) -> str:
    if value is root:
        return "output"
    if value.op is None:
        return "parameter" if value.name is not None else "leaf"
    return "value"


def grad_level(grad: float, largest: float) -> int:
    """The shade of a value's fill by |grad|: 1 (lightest) for 0 to 9 (darkest) for `largest` or a non-finite grad."""
    if not math.isfinite(grad):
        return 9
    return 1 + round(8 * abs(grad) / largest) if largest > 0 else 1


def _too_big(count: tuple[int, int, int], max_nodes: int, collapsed: dict[Collapse, int]) -> ValueError:
    values, ops, boxes = count
    total = values + ops + boxes
    smaller = {mode: n for mode, n in collapsed.items() if n < total}
    fitting = [f"collapse={mode!r} draws {n}" for mode, n in smaller.items() if n <= max_nodes]
    smaller_part = "draw a smaller part of the graph (one sample's loss rather than a batch's)"
    if fitting:
        advice = f"To make it readable: {'; '.join(fitting)} nodes; or {smaller_part}"
    elif any(n < collapsed[None] for n in collapsed.values()):
        # modules are named, and collapsing them is not enough
        counts = ", ".join(f"{'no collapse' if mode is None else f'collapse={mode!r}'}: {n}"
                           for mode, n in collapsed.items())
        advice = f"Even collapsing modules leaves too many nodes ({counts}): {smaller_part}"
    else:
        advice = (
            "To make it readable: name parameters by module (e.g. 'layers.0.neurons.3.w.1') to draw each "
            f"neuron or layer as one box with collapse='neuron' or collapse='layer'; or {smaller_part}"
        )
    return ValueError(
        f"draw(): the graph has {total} nodes to draw ({values} values, {ops} ops"
        f"{f', {boxes} modules' if boxes else ''}), more than max_nodes={max_nodes}; a picture that "
        f"big is unreadable and slow to lay out. {advice}; or pass max_nodes={total} to draw it all anyway"
    )


def draw(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    max_nodes: int = DEFAULT_MAX_NODES,
    collapse: Collapse = None,
    clusters: bool = True,
    color_by_grad: bool = False,
    digits: int = 4,
    legend: bool = False,
) -> Drawing:
    """A picture of the graph that computed `root`: every value, every op, in argument order.

    Each value is a record with its name (when set), data and grad (`digits` significant
    digits); each op a small node labelled from the op table (``× 2``, ``** 3``, ``tanh``); an
    op with several inputs numbers its incoming edges, so ``x * x`` shows both. Unnamed leaves
    have a dashed border, parameters (named leaves) a blue one, the output a thick orange one.

    - `rankdir`: ``"LR"`` (left to right), ``"TB"``, ``"RL"`` or ``"BT"``.
    - `show_grad`: show each value's grad (call ``backward()`` first).
    - `color_by_grad`: fill values from light to dark orange by |grad|, relative to the largest.
    - `clusters`: group the values of each module (``layers.0``, ``layers.0.neurons.3``, found
      from parameter names, see `autodiff.pictures.scopes`) in a frame.
    - `collapse`: draw each ``"neuron"``, each ``"layer"``, or each module at nesting depth
      ``n`` (1 = outermost) as one box.
    - `max_nodes`: above this many nodes, raise `ValueError` saying how to make it readable,
      instead of handing Graphviz a graph it takes minutes to lay out.
    - `legend`: add a key to the node styles (and to the |grad| shades with `color_by_grad`),
      after the output.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw() needs a Value, got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if not is_int(digits) or not 1 <= digits <= 17:
        raise ValueError(f"digits must be an int from 1 to 17, got {digits!r}")
    if not is_int(max_nodes) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")
    order = topological_order(root)
    scopes = infer_scopes(order)
    layout = _layout(order, scopes, collapse)
    count = layout.count()
    if sum(count) > max_nodes:
        modes: tuple[Collapse, ...] = (None, "neuron", "layer")
        raise _too_big(count, max_nodes, {mode: sum(_layout(order, scopes, mode).count()) for mode in modes})
    digraph = _build(layout, root, rankdir, show_grad, clusters, color_by_grad, digits)
    if legend:
        _add_legend(digraph, layout, root, clusters, color_by_grad, digits, rankdir in ("LR", "RL"))
    box_ids = _box_ids(layout)
    node_ids = {
        value: f"v{i}" if value not in layout.boxes else box_ids[layout.boxes[value]] for i, value in enumerate(order)
    }
    values, ops, boxes = count
    return Drawing(digraph, values=values, ops=ops, boxes=boxes, node_ids=node_ids)


def _build(
    layout: _Layout, root: Value, rankdir: str, show_grad: bool, clusters: bool, color_by_grad: bool,
    digits: int,
) -> graphviz.Digraph:
    order, boxes = layout.order, layout.boxes
    index = {value: i for i, value in enumerate(order)}
    box_ids = _box_ids(layout)
    import graphviz

    top = graphviz.Digraph(
        "autodiff", graph_attr={**_GRAPH, "rankdir": rankdir, **({"ranksep": _BOX_RANKSEP} if box_ids else {})},
        node_attr=_NODE, edge_attr=_EDGE,
    )
    # Graphviz lays out what is inside frames in reverse when it turns the picture sideways: there,
    # frames, the inputs of framed nodes and rows of boxes are given in reverse, so that neurons and
    # inputs read in index order (top to bottom, or left to right)
    sideways = rankdir in ("LR", "RL")
    frames = _Frames(top, clusters, sideways)
    framed: dict[str, ModulePath] = {}  # the nodes drawn inside a module's frame, and that module
    shown = [value for value in order if value not in boxes]
    largest = max((abs(v.grad) for v in shown if math.isfinite(v.grad)), default=0.0)
    for value in shown:
        module, frame = frames.get(layout.scopes[value])
        style, fill = _KINDS[_kind(value, root)]
        attrs = {**style, "tooltip": _text_escape(_tooltip(value))}
        if color_by_grad:
            level = grad_level(value.grad, largest)
            attrs |= {"colorscheme": _GRAD_SCHEME, "fillcolor": str(level)}
            if level >= 7:  # black text is hard to read on dark orange
                attrs["fontcolor"] = "white"
        elif fill != "white":
            attrs["fillcolor"] = fill
        frame.node(f"v{index[value]}", _label(value, module, show_grad, digits), **attrs)
        if value.op is not None:
            op_style = _op_style(len(value.parents), sideways)
            frame.node(f"o{index[value]}", _text_escape(value.op.label(value.arg)), **op_style)
        if module:
            framed |= {f"v{index[value]}": module, f"o{index[value]}": module}
    framed |= _add_boxes(frames, boxes, box_ids, root, sideways)
    _add_edges(top, order, index, boxes, box_ids, framed, sideways)
    frames.close()
    return top


def _add_legend(
    digraph: graphviz.Digraph, layout: _Layout, root: Value, clusters: bool, color_by_grad: bool, digits: int,
    sideways: bool,
) -> None:
    """A key to the styles the picture uses, in a frame after the output.

    One row of node styles and, with `color_by_grad`, one of |grad| shades, as plain nodes: the
    WebAssembly Graphviz draws no HTML tables.
    """
    import graphviz

    shown = [value for value in layout.order if value not in layout.boxes]
    kinds = {_kind(value, root) for value in shown}
    styles = [
        (f"key_{kind}", meaning, {**_KINDS[kind][0], "fillcolor": _KINDS[kind][1]})
        for kind, meaning in _MEANINGS.items() if kind in kinds
    ]
    if any(value.op is not None for value in shown):
        styles.append(("key_op", "op (inputs numbered\nin argument order)", _OP))
    if layout.boxes:
        styles.append(("key_module", "module drawn\nas one box", _BOX))
    rows = [styles]
    if color_by_grad:
        largest = max((abs(v.grad) for v in shown if math.isfinite(v.grad)), default=0.0)
        rows.append([
            (f"key_grad_{level}", f"|grad| {_format(largest * (level - 1) / 8, 2)}",
             {"colorscheme": _GRAD_SCHEME, "fillcolor": str(level), **({"fontcolor": "white"} if level >= 7 else {})})
            for level in range(1, 10)
        ])
    key = graphviz.Digraph("cluster_key", graph_attr={**_CLUSTER, "label": "key", "style": "rounded"})
    for row in rows:
        line = graphviz.Digraph(graph_attr={"rank": "same"})
        for node_id, text, attrs in row:
            line.node(node_id, _text_escape(text), **attrs)
        chain = [node_id for node_id, _, _ in row][::-1 if sideways else 1]
        for left, right in zip(chain, chain[1:], strict=False):
            line.edge(left, right, style="invis")
        key.subgraph(line)
    for upper, lower in zip(rows, rows[1:], strict=False):
        key.edge(upper[0][0], lower[0][0], style="invis")
    digraph.subgraph(key)
    output = f"v{len(layout.order) - 1}" if root not in layout.boxes else _box_ids(layout)[layout.boxes[root]]
    digraph.edge(output, rows[0][0][0], style="invis")


def _box_ids(layout: _Layout) -> dict[ModulePath, str]:
    """The DOT id of each collapsed module's box: ``m0``, ``m1``, ... in the order of their paths."""
    # numbers as numbers: Graphviz keeps neurons 0, 1, ..., 15 in order
    modules = sorted(set(layout.boxes.values()), key=_path_order)
    return {module: f"m{k}" for k, module in enumerate(modules)}


def _number_placement(position: int, inputs: int, sideways: bool) -> dict[str, str]:
    """Where an input edge's number goes: for two inputs (x * x's two edges), on either side of the pair.

    Angles found by rendering pictures of MLPs and of x * x in every direction and measuring the
    numbers' overlaps: Graphviz measures the angle from the edge at its head.
    """
    if inputs != 2:
        return {}
    first, second = ("-60", "60") if sideways else ("25", "-25")
    return {"labelangle": first if position == 1 else second, "labeldistance": "1.6"}


def _op_style(inputs: int, sideways: bool) -> dict[str, str]:
    """An op node long enough, across the flow, that its numbered input edges arrive apart."""
    if inputs <= 1:
        return _OP
    span = _INPUT_SPACING * inputs
    # sideways (LR) the inputs arrive on the node's left side, top to bottom; else on its top
    return {**_OP, "height": f"{max(0.3, span):g}"} if sideways else {**_OP, "width": f"{max(0.75, span):g}"}


def _label(value: Value, module: ModulePath, show_grad: bool, digits: int) -> str:
    name = value.name
    if name is not None and module:
        # in the frame of layers.0.neurons.3, layers.0.neurons.3.w.1 is shown as w.1
        name = name.removeprefix(".".join(module) + ".")
    # Graphviz's WebAssembly build crashes on a label that opens with a line break before a long
    # line, and a line break at either end of a name shows nothing anyway
    name = name.strip("\r\n") if name is not None else ""
    lines = ([name] if name else []) + [f"data {_format(value.data, digits)}"]
    if show_grad:
        lines.append(f"grad {_format(value.grad, digits)}")
    return _text_escape("\n".join(lines))


def _path_order(path: ModulePath) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, int(part), "") if part.isdecimal() else (1, 0, part) for part in path)


def _add_boxes(
    frames: _Frames, boxes: dict[Value, ModulePath], box_ids: dict[ModulePath, str], root: Value, sideways: bool
) -> dict[str, ModulePath]:
    """Draw the box of each collapsed module; returns those drawn inside a frame, with the frame's module.

    The boxes of one frame (the neurons of a layer) are kept in a row in path order by invisible
    edges between neighbours: with only the edges between layers to go by, Graphviz may reverse it.
    """
    framed = {}
    sizes = {module: [0, 0] for module in box_ids}  # values, parameters
    for value, module in boxes.items():
        sizes[module][value.op is None and value.name is not None] += 1
    siblings: dict[ModulePath, list[str]] = {}
    for module, box_id in box_ids.items():
        values, parameters = sizes[module]
        attrs = {**_BOX, **(_KINDS["output"][0] if boxes.get(root) == module else {})}
        outer = modules_of(module)[:-1]
        frame_module, frame = frames.get(outer[-1] if outer else ())
        # in the frame of layers.0, layers.0.neurons.3 is shown as neurons.3
        name = ".".join(module[len(frame_module):])
        text = f"{name}\n{parameters} parameters, {values} values"
        frame.node(box_id, _text_escape(text), **attrs)
        if frame_module:
            framed[box_id] = frame_module
            siblings.setdefault(frame_module, []).append(box_id)
    import graphviz

    for frame_module, ids in siblings.items():
        if len(ids) > 1:
            row = graphviz.Digraph(graph_attr={"rank": "same"})
            chain = ids[::-1] if sideways else ids
            for left, right in zip(chain, chain[1:], strict=False):
                row.edge(left, right, style="invis")
            frames.frames[frame_module].subgraph(row)
    return framed


def _add_edges(
    top: graphviz.Digraph,
    order: list[Value],
    index: dict[Value, int],
    boxes: dict[Value, ModulePath],
    box_ids: dict[ModulePath, str],
    framed: dict[str, ModulePath],
    sideways: bool,
) -> None:
    """The edges: each input of an op into its node (numbered when there are several), each op to its value."""
    into_boxes: set[tuple[str, str]] = set()
    for value in order:
        if value.op is None:
            continue
        box = boxes.get(value)
        head = f"o{index[value]}" if box is None else box_ids[box]
        parents = value.parents
        inputs = list(enumerate(parents, start=1))
        for position, parent in reversed(inputs) if sideways and head in framed else inputs:
            tail = f"v{index[parent]}" if parent not in boxes else box_ids[boxes[parent]]
            attrs: dict[str, str] = {}
            if box is None:
                if len(parents) > 1:
                    attrs |= {"headlabel": str(position), **_number_placement(position, len(parents), sideways)}
                top.edge(tail, head, **attrs)
            elif tail != head and (tail, head) not in into_boxes:
                # into a box: one edge per source, as argument order means nothing there
                into_boxes.add((tail, head))
                top.edge(tail, head, **attrs)
        if box is None:
            top.edge(head, f"v{index[value]}")


class _Frames:
    """The Graphviz cluster of each module, nested as the modules are; the top level is ``()``."""

    def __init__(self, top: graphviz.Digraph, clusters: bool, reverse: bool) -> None:
        self.clusters, self.reverse = clusters, reverse
        self.frames: dict[ModulePath, graphviz.Digraph] = {(): top}

    def get(self, path: ModulePath) -> tuple[ModulePath, graphviz.Digraph]:
        """The innermost module of `path` that has a frame (made on first use), and its frame."""
        import graphviz

        innermost: ModulePath = ()
        if self.clusters:
            for module in modules_of(path):
                if module not in self.frames:
                    attrs = {**_CLUSTER, "label": _text_escape(".".join(module))}
                    name = f"cluster_{len(self.frames) - 1}"  # Graphviz frames subgraphs named cluster*
                    self.frames[module] = graphviz.Digraph(name, graph_attr=attrs)
                innermost = module
        return innermost, self.frames[innermost]

    def close(self) -> None:
        """Put each frame in its parent, innermost first (Graphviz copies a subgraph's lines).

        Frames of one depth go in path order (reversed with `reverse`): Graphviz lays them out so.
        """
        frames = sorted((m for m in self.frames if m), key=_path_order, reverse=self.reverse)
        for module in sorted(frames, key=len, reverse=True):
            outer = modules_of(module)[:-1]
            self.frames[outer[-1] if outer else ()].subgraph(self.frames[module])


def _tooltip(value: Value) -> str:
    named = f"{value.name}: " if value.name is not None else ""
    return f"{named}data = {value.data!r}, grad = {value.grad!r}"
