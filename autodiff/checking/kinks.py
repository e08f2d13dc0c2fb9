"""Kinks and ties: where an op of a graph has no derivative, so a gradient check there means nothing.

An op's declared kinks (`Op.kinks`: ``relu`` and ``abs`` at 0) and, for an op that passes the
gradient to one chosen input (`Op.selects`: ``max``, ``min``), a tie of its inputs or with its
constant bound.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from autodiff.checking.comparison import shown_number
from autodiff.checking.diagnosis import rerun_with_leaf_moved
from autodiff.core.graph import topological_order
from autodiff.core.value import Value

__all__ = ["near_kink"]


def _gap(a: Value, b: Value | float, moved: Mapping[Value, float]) -> float:
    """a − b where `moved` gives the numbers of moved nodes (the others keep theirs)."""
    other = moved.get(b, b.data) if isinstance(b, Value) else b
    return moved.get(a, a.data) - other


def near_kink(outputs: Sequence[Value], leaves: Sequence[Value], margin: float, eps: float) -> str | None:
    """Which op of the graph has an input within `margin` of a kink or a tie, or crosses one within `eps`."""
    order = list(dict.fromkeys(node for out in outputs for node in topological_order(out)))
    ops = [node for node in order if node.op is not None]
    # the graph rerun on floats with each input moved both ways, as the diagnosis does
    reruns = (rerun_with_leaf_moved(ops, leaf, step) for leaf in leaves for step in (eps, -eps))
    moves = [moved for moved in reruns if moved is not None]
    for node in ops:
        op = node.op
        assert op is not None
        call = f"{op.name}({', '.join(shown_number(p.data) for p in node.parents)})"
        distinct = list(dict.fromkeys(node.parents))
        # (what, a, b): a point of a kink or tie is where a − b changes sign
        pairs: list[tuple[str, Value, Value | float]] = [
            (f"at its kink {kink:g}", p, kink) for p in distinct for kink in op.kinks
        ]
        if op.selects:
            pairs += [("at a tie of its inputs", p, q) for k, p in enumerate(distinct) for q in distinct[k + 1 :]]
            if isinstance(node.arg, float):
                pairs += [(f"at a tie with its bound {node.arg:g}", p, node.arg) for p in distinct]
        for what, a, b in pairs:
            here = _gap(a, b, {})
            around = [_gap(a, b, moved) for moved in moves]
            if all(g == here for g in around):
                # the gap does not move with any input (x − x, a constant): no slope changes across it
                continue
            if abs(here) < margin or any((g > 0) != (here > 0) or g == 0 for g in around):
                return f"{call} is {what} (within {margin:.3g} of it, or crossing it within eps={eps:g})"
    return None
