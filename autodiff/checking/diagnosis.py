"""Why a gradient check failed: the ops between the input and the output, each checked on its own.

When backprop and central differences disagree about d(output)/d(input), the fault is in one of
three places, and this module says which one it sees:

- an op whose table derivative disagrees with its own forward rule at this point (a wrong entry);
- an op sitting at a kink or a tie (its one-sided slopes differ): the derivative there is a
  convention, and central differences straddle it;
- neither: the gradient leaves the graph somewhere, because `f` computed with an input's number
  (``.data``, ``float()``, ``detach()``) instead of the `Value`; or the chain rule itself is wrong.

Each op is checked along the direction its inputs really move when the input does: the graph is
replayed on floats with the input moved by ±eps, and the op's table derivatives times its inputs'
changes must match the change of its own result. So ``x * x`` and ``max(a, a + 0)``, whose inputs
move together, are judged as they are used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from autodiff.checking.comparison import shown_number
from autodiff.core.backends import FLOAT
from autodiff.core.graph import input_partials, topological_order
from autodiff.core.value import Value

__all__ = ["diagnose", "rerun_with_leaf_moved"]

_MAX_NAMES = 12


def diagnose(output: Value, leaf: Value, where: str, *, eps: float, atol: float, rtol: float) -> list[str]:
    """Notes on the mismatch of d(`output`)/d(`leaf`); `where` reads like ``input 0 (x) and output 0``."""
    order = topological_order(output)
    on_path: set[Value] = set()
    for node in order:
        if node is leaf or any(parent in on_path for parent in node.parents):
            on_path.add(node)
    if leaf not in on_path:
        return [
            f"no path in the graph between {where}, yet the output changes with the input: "
            "f computes with the input's number (.data, float(), detach(), a new Value made "
            "from a number) instead of the Value itself"
        ]
    ops = [node for node in order if node.op is not None and node in on_path]
    names = list(dict.fromkeys(node.op.name for node in ops if node.op is not None))
    shown = ", ".join(names[:_MAX_NAMES]) + (", ..." if len(names) > _MAX_NAMES else "")
    notes = [f"ops between {where}: {shown or 'none, the output is the input itself'}"]
    moved = {step: rerun_with_leaf_moved(ops, leaf, step) for step in (eps, -eps, eps / 4, -eps / 4)}
    kinked: set[Value] = set()
    for node in ops:
        at_kink, note = _check_node(node, moved, eps, atol, rtol)
        if at_kink:
            # a kink upstream bends everything after it: name only where it starts
            inherited = any(parent in kinked for parent in node.parents)
            kinked.add(node)
            if inherited:
                continue
        if note:
            notes.append(note)
    if len(notes) == 1:
        notes.append(
            "the table derivative of each of these ops agrees with central differences here, so "
            "the error is elsewhere: f may compute with an input's number instead of the Value "
            "(.data, float(), detach(), a new Value made from a number), or backward() may "
            "combine the ops' derivatives wrongly"
        )
    return notes


def rerun_with_leaf_moved(ops: Sequence[Value], leaf: Value, step: float) -> dict[Value, float] | None:
    """The numbers of `leaf` and of `ops` (in order) with the leaf moved by `step`; None if undefined."""
    moved = {leaf: leaf.data + step}
    try:
        for node in ops:
            assert node.op is not None
            inputs = [moved.get(parent, parent.data) for parent in node.parents]
            moved[node] = node.op.on_floats(inputs, node.arg)
    except (ArithmeticError, ValueError):
        return None
    return moved


def _check_node(
    node: Value, moved: dict[float, dict[Value, float] | None], eps: float, atol: float, rtol: float
) -> tuple[bool, str | None]:
    """Whether `node` is at a kink, and a note if it is or if its table derivative looks wrong.

    The table derivative is taken along the path, against the change of the node's own result.
    """
    op = node.op
    assert op is not None
    parents = node.parents
    call = f"{op.name}({', '.join(shown_number(p.data) for p in parents)})"
    try:
        partials = [partial for _, partial in input_partials(node, FLOAT)]
    except ArithmeticError as error:
        return False, f"{call}: the op table's derivative fails here ({error})"
    singular = [d for d in partials if not math.isfinite(d)]
    if singular and all(math.isfinite(p.data) for p in parents):
        return False, (
            f"{call}: its local derivative is {shown_number(singular[0])} here (the op's slope is "
            "infinite or undefined at this point, e.g. sqrt at 0): backward() passes on a gradient "
            "that is not finite, which no finite difference matches; check a point away from it"
        )
    slopes = _slopes(node, moved, eps)
    if slopes is None:
        return False, None
    left, central, right = slopes
    finer = _slopes(node, moved, eps / 4)
    # smooth: one-sided slopes differ by about f''·step; at a kink or tie by a jump that stays
    jump = abs(left - right)
    if jump > 10 * (atol + rtol * abs(central)) and finer is not None and abs(finer[0] - finer[2]) > jump / 2:
        return True, (
            f"{call} is at a kink or a tie on this path (slope {shown_number(left)} on the left, "
            f"{shown_number(right)} on the right): its derivative there is a convention; check a "
            "point away from it"
        )
    plus, minus = moved[eps], moved[-eps]
    assert plus is not None and minus is not None
    # the chain rule through this one op: its partials times how fast each of its inputs moves
    table = sum(
        d * (plus.get(p, p.data) - minus.get(p, p.data)) / (2 * eps) for d, p in zip(partials, parents, strict=True)
    )
    if abs(table - central) <= atol + rtol * abs(central):
        return False, None
    return False, (
        f"{call}: its table derivative makes this step's slope {shown_number(table)}, central "
        f"differences of its forward rule give {shown_number(central)}: the table entry of "
        f"{op.name!r} looks wrong"
    )


def _slopes(node: Value, moved: dict[float, dict[Value, float] | None], step: float) -> tuple[float, ...] | None:
    """Left, central and right difference quotients of `node` for a move of `step`."""
    plus, minus = moved[step], moved[-step]
    if plus is None or minus is None:
        return None
    above, below = plus[node], minus[node]
    return (node.data - below) / step, (above - below) / (2 * step), (above - node.data) / step
