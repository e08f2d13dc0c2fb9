"""Why a gradient check failed: the ops between the input and the output, each checked on its own.

When backprop and central differences disagree about d(output)/d(input), the fault is in one of
three places, and this module says which one it sees:

- an op whose table derivative disagrees with its own forward rule at this point (a wrong entry);
- an op sitting at a kink or a tie (its one-sided slopes differ): the derivative there is a
  convention, and central differences straddle it;
- neither: the gradient leaves the graph somewhere, because `f` computed with an input's number
  (``.data``, ``float()``, ``detach()``) instead of the `Value`; or the chain rule itself is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autodiff._op_calls import forward_on_floats, partials_on_floats
from autodiff._report import shown_number
from autodiff.graph import topological_order
from autodiff.value import Value

__all__ = ["diagnose"]

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
    notes = [f"ops between {where}: {shown}"]
    for node in ops:
        slots = [j for j, parent in enumerate(node.parents) if parent in on_path]
        notes += _check_node(node, slots, eps, atol, rtol)
    if len(notes) == 1:
        notes.append(
            "the table derivative of each of these ops agrees with central differences here, so "
            "the error is elsewhere: f may compute with an input's number instead of the Value "
            "(.data, float(), detach(), a new Value made from a number), or backward() may "
            "combine the ops' derivatives wrongly"
        )
    return notes


def _check_node(node: Value, slots: Sequence[int], eps: float, atol: float, rtol: float) -> list[str]:
    """The local derivative of `node`'s op in each of `slots`, against central differences."""
    op = node.op
    assert op is not None
    xs = [parent.data for parent in node.parents]
    call = _shown_call(op.name, xs)
    try:
        partials = partials_on_floats(op, xs, node.data, node.arg)
    except ArithmeticError as error:
        return [f"{call}: the op table's derivative fails here ({error})"]
    notes = []
    for j in slots:
        slopes = _slopes(op, xs, node.data, node.arg, j, eps)
        if slopes is None:
            continue
        left, central, right = slopes
        # at a kink or a tie the one-sided slopes differ by far more than rounding
        if abs(left - right) > 10 * (atol + rtol * abs(central)):
            notes.append(
                f"{call} is at a kink or a tie for input {j} (slope {shown_number(left)} on the left, "
                f"{shown_number(right)} on the right): its derivative there, "
                f"{shown_number(partials[j])}, is a convention; check a point away from it"
            )
        elif not abs(partials[j] - central) <= atol + rtol * abs(central):
            notes.append(
                f"{call}: the op table's derivative for input {j} gives {shown_number(partials[j])}, "
                f"central differences of its forward rule give {shown_number(central)}: "
                f"the table entry of {op.name!r} looks wrong"
            )
    return notes


def _slopes(op: Any, xs: list[float], out: float, arg: Any, j: int, eps: float) -> tuple[float, ...] | None:
    """Left, central and right difference quotients of `op` in input `j`; None outside its domain."""
    try:
        above = forward_on_floats(op, [*xs[:j], xs[j] + eps, *xs[j + 1 :]], arg)
        below = forward_on_floats(op, [*xs[:j], xs[j] - eps, *xs[j + 1 :]], arg)
    except (ArithmeticError, ValueError):
        return None
    return (out - below) / eps, (above - below) / (2 * eps), (above - out) / eps


def _shown_call(name: str, xs: Sequence[float]) -> str:
    return f"{name}({', '.join(shown_number(x) for x in xs)})"
