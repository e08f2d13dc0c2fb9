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
_BOX = {"shape": "box", "style": "rounded,filled", "fillcolor": "#e5e7eb"}
_CLUSTER = {"style": "rounded,dashed", "color": "#9ca3af", "fontcolor": "#4b5563"}
# the kind of a value shows in its border (and its fill, unless the fill shows |grad|)
_KINDS = {
    "value": ({}, "white"),
    "leaf": ({"style": "filled,dashed", "color": "#6b7280"}, "#f3f4f6"),
    "parameter": ({"color": "#1d4ed8"}, "#dbeafe"),
    "output": ({"color": "#b45309", "penwidth": "2"}, "#fef3c7"),
}
_GRAD_SCHEME = "oranges9"  # a ColorBrewer scheme built into Graphviz: "1" lightest .. "9" darkest


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

        See `render` for `timeout`.
        """
        path = Path(path)
        format = SAVE_FORMATS.get(path.suffix.lower())  # noqa: A001 - Graphviz's name for it
        if format is None:
            raise ValueError(
                f"cannot save a drawing as {path.name!r}: the extension chooses the format, one of "
                f"{', '.join(SAVE_FORMATS)}"
            )
        data = self.source.encode("utf-8") if format == "dot" else self.render(format, timeout=timeout)
        path.write_bytes(data)
        return path

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
    digraph, box_ids = _build(layout, root, rankdir, show_grad, clusters, color_by_grad, digits)
    node_ids = {
        value: f"v{i}" if value not in layout.boxes else box_ids[layout.boxes[value]] for i, value in enumerate(order)
    }
    values, ops, boxes = count
    return Drawing(digraph, values=values, ops=ops, boxes=boxes, node_ids=node_ids)


def _build(
    layout: _Layout, root: Value, rankdir: str, show_grad: bool, clusters: bool, color_by_grad: bool,
    digits: int,
) -> tuple[graphviz.Digraph, dict[ModulePath, str]]:
    order, boxes = layout.order, layout.boxes
    index = {value: i for i, value in enumerate(order)}
    # boxes in the order of their paths, numbers as numbers: Graphviz keeps neurons 0, 1, ..., 15 in order
    modules = sorted(set(boxes.values()), key=_path_order)
    box_ids = {module: f"m{k}" for k, module in enumerate(modules)}
    import graphviz

    top = graphviz.Digraph(
        "autodiff", graph_attr={**_GRAPH, "rankdir": rankdir, **({"ranksep": _BOX_RANKSEP} if modules else {})},
        node_attr=_NODE, edge_attr=_EDGE,
    )
    frames = _Frames(top, clusters)
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
            frame.node(f"o{index[value]}", _text_escape(value.op.label(value.arg)), **_OP)
    _add_boxes(frames, boxes, box_ids, root)
    _add_edges(top, order, index, boxes, box_ids)
    frames.close()
    return top, box_ids


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
    frames: _Frames, boxes: dict[Value, ModulePath], box_ids: dict[ModulePath, str], root: Value
) -> None:
    sizes = {module: [0, 0] for module in box_ids}  # values, parameters
    for value, module in boxes.items():
        sizes[module][value.op is None and value.name is not None] += 1
    for module, box_id in box_ids.items():
        values, parameters = sizes[module]
        text = f"{'.'.join(module)}\n{parameters} parameters, {values} values"
        attrs = {**_BOX, **(_KINDS["output"][0] if boxes.get(root) == module else {})}
        outer = modules_of(module)[:-1]
        frames.get(outer[-1] if outer else ())[1].node(box_id, _text_escape(text), **attrs)


def _add_edges(
    top: graphviz.Digraph,
    order: list[Value],
    index: dict[Value, int],
    boxes: dict[Value, ModulePath],
    box_ids: dict[ModulePath, str],
) -> None:
    into_boxes: set[tuple[str, str]] = set()
    for value in order:
        if value.op is None:
            continue
        box = boxes.get(value)
        head = f"o{index[value]}" if box is None else box_ids[box]
        parents = value.parents
        for position, parent in enumerate(parents, start=1):
            tail = f"v{index[parent]}" if parent not in boxes else box_ids[boxes[parent]]
            if box is None:
                top.edge(tail, head, **({"headlabel": str(position)} if len(parents) > 1 else {}))
            elif tail != head and (tail, head) not in into_boxes:
                # into a box: one edge per source, as argument order means nothing there
                into_boxes.add((tail, head))
                top.edge(tail, head)
        if box is None:
            top.edge(head, f"v{index[value]}")


class _Frames:
    """The Graphviz cluster of each module, nested as the modules are; the top level is ``()``."""

    def __init__(self, top: graphviz.Digraph, clusters: bool) -> None:
        self.clusters = clusters
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
        """Put each frame in its parent, innermost first (Graphviz copies a subgraph's lines)."""
        for module in sorted((m for m in self.frames if m), key=len, reverse=True):
            outer = modules_of(module)[:-1]
            self.frames[outer[-1] if outer else ()].subgraph(self.frames[module])


def _tooltip(value: Value) -> str:
    named = f"{value.name}: " if value.name is not None else ""
    return f"{named}data = {value.data!r}, grad = {value.grad!r}"
