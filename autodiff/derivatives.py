"""Derivatives as values: `grad` to any order, Hessians, Hessian-vector products and forward mode.

All of them run the op table's derivative rules through `autodiff.graph.input_partials`: on
floats for numbers, and on the `Value` backend for `grad(..., create_graph=True)`, whose
results are Values with a graph of their own that can be differentiated again. None of them
reads or writes any `.grad`.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Sequence
from operator import mul
from typing import Any

from autodiff.backends import FLOAT
from autodiff.graph import derivative_error, input_partials, topological_order
from autodiff.value import VALUE, Number, Value, dot, recording
from autodiff.value import sum as value_sum

__all__ = ["grad", "hessian", "hvp", "jvp"]

Function = Callable[..., Value]
"""A scalar function of Values, called as ``f(x_0, x_1, ...)`` with one Value per input."""


def grad(output: Value, inputs: Iterable[Value], *, create_graph: bool = False) -> list[Value]:
    """The gradient of `output` with respect to each of `inputs`, leaving every `.grad` alone.

    Returns one `Value` per input, in order: d(output)/d(input), a fresh leaf holding a number
    unless `create_graph` is set. With `create_graph=True` each gradient is a `Value` with a
    graph of its own, built from the same op table, so `grad` or `backward()` can differentiate
    it again, to any order; it is built even inside `no_grad`. An input may be an interior node
    (the derivative then holds that node's own inputs fixed); an input `output` does not depend
    on gets ``Value(0.0)``. Like `backward()`, subgradients at kinks follow the op table
    (``relu'(0) = 0``) and the derivative of ``relu``, ``abs``, ``max``... is piecewise
    constant, so their second derivatives are 0.
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad() differentiates a Value, got output of type {type(output).__name__}")
    wanted = _checked_inputs(inputs)
    if create_graph:
        with recording(True):
            totals = _reverse(output, wanted, symbolic=True)
    else:
        totals = _reverse(output, wanted, symbolic=False)
    return [_as_value(totals.get(x, 0.0)) for x in wanted]


def hessian(f: Function, inputs: Iterable[Number | Value]) -> list[list[float]]:
    """The matrix of second derivatives of ``f(*inputs)``: ``H[i][j] = d²f / dx_i dx_j``.

    `f` takes one `Value` per input and returns a `Value`; `inputs` is the point (numbers, or
    Values standing for their data). One reverse pass builds the gradient's graph, then one
    reverse pass per input differentiates it: n + 1 passes in all. H is symmetric up to
    rounding (each half is computed along its own path).
    """
    leaves, output = _evaluate(f, inputs, "hessian()")
    gradient = grad(output, leaves, create_graph=True)
    return [[d.data for d in grad(component, leaves)] for component in gradient]


def hvp(f: Function, inputs: Iterable[Number | Value], v: Iterable[Number]) -> list[float]:
    """The Hessian of ``f(*inputs)`` times the vector `v`, without forming the Hessian.

    Differentiates ⟨∇f, v⟩ once more: two reverse passes, whatever the number of inputs, so it
    suits Newton-type steps and curvature along a direction (``v · hvp(f, x, v)``).
    """
    leaves, output = _evaluate(f, inputs, "hvp()")
    direction = _vector(v, len(leaves), "v", "hvp()")
    gradient = grad(output, leaves, create_graph=True)
    with recording(True):
        along = dot(gradient, direction)
    return [d.data for d in grad(along, leaves)]


def jvp(f: Function, inputs: Iterable[Number | Value], tangents: Iterable[Number]) -> tuple[float, float]:
    """Forward mode: ``f(*inputs)`` and its derivative along `tangents`, ``Σ_i df/dx_i · t_i``.

    One pass over f's graph in topological order carries each node's tangent, the sum of its
    op's partial derivatives times its inputs' tangents. A directional derivative thus costs
    one forward pass, however many inputs f has (reverse mode costs one pass per output).
    """
    leaves, output = _evaluate(f, inputs, "jvp()")
    direction = _vector(tangents, len(leaves), "tangents", "jvp()")
    tangent: dict[Value, float] = dict(zip(leaves, direction, strict=True))
    for node in topological_order(output):
        if node.op is None or not any(x in tangent for x in node.parents):
            continue
        try:
            partials = input_partials(node, FLOAT)
        except ArithmeticError as error:
            raise derivative_error("jvp()", node, error) from error
        total = 0.0
        for x, partial in partials:
            if x in tangent:
                total += partial * tangent[x]
        tangent[node] = total
    return output.data, tangent.get(output, 0.0)


def _reverse(output: Value, wanted: Sequence[Value], *, symbolic: bool) -> dict[Value, Any]:
    """d(output)/d(node) for every node on a path from `wanted` to `output`.

    The chain rule of `autodiff.graph.backpropagate`, kept in a dict instead of `.grad`: floats
    accumulated in the same order (so the numbers equal `backward()`'s), or, if `symbolic`,
    Values and float constants, each node's terms added up as one `sum` node.
    """
    order = topological_order(output)
    relevant = _depending_on(order, wanted)
    backend, add_up, times = (VALUE, _add_up_values, _times) if symbolic else (FLOAT, _add_up_floats, mul)
    terms: dict[Value, list[Any]] = {output: [1.0]}
    totals: dict[Value, Any] = {}
    for node in reversed(order):
        if node not in relevant:
            continue
        # every child of a relevant node is relevant and comes earlier here, so its terms are in
        upstream = totals[node] = add_up(terms.pop(node))
        try:
            partials = input_partials(node, backend, symbolic=symbolic)
        except ArithmeticError as error:
            raise derivative_error("grad()", node, error) from error
        for x, partial in partials:
            if x in relevant:
                terms.setdefault(x, []).append(times(partial, upstream))
    return totals


def _depending_on(order: list[Value], wanted: Sequence[Value]) -> set[Value]:
    """The nodes of `order` (topological) that are in `wanted` or depend on one of them."""
    relevant = set(wanted)
    for node in order:
        if node.op is not None and any(x in relevant for x in node.parents):
            relevant.add(node)
    return relevant


def _times(partial: Any, upstream: Any) -> Any:
    # a factor of exactly 1.0 changes no number, and skipping it keeps derivative graphs small
    if type(partial) is float and partial == 1.0:
        return upstream
    if type(upstream) is float and upstream == 1.0:
        return partial
    return partial * upstream


def _add_up_floats(terms: list[float]) -> float:
    # left to right, as backward()'s `+=` does (builtins.sum compensates from Python 3.12 on)
    total = terms[0]
    for term in terms[1:]:
        total += term
    return total


def _add_up_values(terms: list[Any]) -> Any:
    if len(terms) == 1:
        return terms[0]
    if all(type(term) is float for term in terms):
        return _add_up_floats(terms)
    return value_sum(terms)


def _as_value(total: Any) -> Value:
    return total if isinstance(total, Value) else Value(total)


def _checked_inputs(inputs: Iterable[Value]) -> list[Value]:
    if isinstance(inputs, Value):
        raise TypeError("grad() inputs must be a sequence of Values: write grad(output, [x]), not grad(output, x)")
    if not isinstance(inputs, Iterable):
        raise TypeError(f"grad() inputs must be a sequence of Values, got {type(inputs).__name__}")
    wanted = list(inputs)
    for index, x in enumerate(wanted):
        if not isinstance(x, Value):
            raise TypeError(f"grad() inputs must be Values, got {type(x).__name__} {x!r:.60} at index {index}")
    return wanted


def _evaluate(f: Function, inputs: Iterable[Number | Value], where: str) -> tuple[list[Value], Value]:
    """Fresh leaves at the point `inputs`, and ``f(*leaves)`` with its graph recorded."""
    if not callable(f):
        raise TypeError(f"{where} needs a function f to differentiate, got {type(f).__name__} {f!r:.60}")
    if isinstance(inputs, Value | numbers.Number) or not isinstance(inputs, Iterable):
        raise TypeError(
            f"{where} inputs must be a sequence with one number per argument of f, got "
            f"{type(inputs).__name__} {inputs!r:.60}; write [x] for a function of one variable"
        )
    leaves = []
    for index, x in enumerate(inputs):
        if isinstance(x, Value):
            leaves.append(Value(x.data, name=x.name))
        elif isinstance(x, numbers.Real) and not isinstance(x, bool):
            leaves.append(Value(x))
        else:
            raise TypeError(
                f"{where} inputs must be numbers or Values, got {type(x).__name__} {x!r:.60} at index {index}"
            )
    with recording(True):
        output = f(*leaves)
    if not isinstance(output, Value):
        raise TypeError(
            f"{where} needs f to return a Value computed from its arguments, got "
            f"{type(output).__name__} {output!r:.60} (did f compute with .data, or ignore its arguments?)"
        )
    return leaves, output


def _vector(v: Iterable[Number], size: int, name: str, where: str) -> list[float]:
    if isinstance(v, Value | numbers.Number) or not isinstance(v, Iterable):
        raise TypeError(f"{where} {name} must be a sequence of {size} numbers, got {type(v).__name__} {v!r:.60}")
    vector = list(v)
    for index, x in enumerate(vector):
        if not isinstance(x, numbers.Real) or isinstance(x, bool):
            raise TypeError(f"{where} {name} must hold numbers, got {type(x).__name__} {x!r:.60} at index {index}")
    if len(vector) != size:
        raise ValueError(f"{where} {name} must have one entry per input: {size}, got {len(vector)}")
    return [float(x) for x in vector]
