"""Derivatives as values: `grad` to any order, Hessians, Hessian-vector products and forward mode.

All of them run the op table's derivative rules: through `autodiff.core.graph.input_partials` on
floats for numbers, and on the `Value` backend for `grad(..., create_graph=True)`, whose
results are Values with a graph of their own that can be differentiated again; `jvp` calls the
float rules inline in its forward sweep. None of them reads or writes any `.grad`.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Sequence
from operator import mul
from typing import Any

import numpy as np

from autodiff.core.backends import FLOAT
from autodiff.core.graph import derivative_error, input_partials, topological_order
from autodiff.core.reals import is_real
from autodiff.core.value import VALUE, Number, Value, dot, recording
from autodiff.core.value import sum as value_sum

__all__ = ["grad", "hessian", "hvp", "jvp"]

Function = Callable[..., Value]
"""A scalar function of Values, called as ``f(x_0, x_1, ...)`` with one Value per input."""


def grad(
    output: Value | Sequence[Value],
    inputs: Iterable[Value],
    *,
    create_graph: bool = False,
    grad_outputs: Sequence[Number | Value] | None = None,
) -> list[Value]:
    """The gradient of `output` with respect to each of `inputs`, leaving every `.grad` alone.

    Returns one `Value` per input, in order: d(output)/d(input), a fresh leaf holding a number
    unless `create_graph` is set. With `create_graph=True` each gradient is a `Value` with a
    graph of its own, built from the same op table, so `grad` or `backward()` can differentiate
    it again, to any order; it is built even inside `no_grad`. Either way each gradient is a
    node of its own, neither a node of `output`'s graph (d(a·b)/da is not `b` itself) nor
    another input's gradient, so changing its ``.data`` changes nothing else. An input may be an
    interior node (the derivative then holds that node's own inputs fixed); an input `output`
    does not depend on gets ``Value(0.0)``. Like `backward()`, subgradients at kinks follow the
    op table (``relu'(0) = 0``) and the derivative of ``relu``, ``abs``, ``max``... is
    piecewise constant, so their second derivatives are 0.

    `output` may also be a sequence of Values y_k, with `grad_outputs` one weight v_k per
    output (numbers or Values; all 1 by default): the result is then the vector-Jacobian
    product ``Σ_k v_k · dy_k/d(input)``, as ``torch.autograd.grad`` gives, in one reverse pass.
    With `create_graph=True`, Value weights are part of the result's graph, so it can be
    differentiated with respect to them too; without it only their numbers are used.
    """
    outputs = _checked_outputs(output)
    wanted = _checked_inputs(inputs)
    weights = _checked_weights(grad_outputs, len(outputs))
    if not create_graph:
        numbers_only = [v.data if isinstance(v, Value) else v for v in weights]
        totals, _ = _reverse(list(zip(outputs, numbers_only, strict=True)), wanted, symbolic=False)
        return [Value(totals.get(x, 0.0)) for x in wanted]
    with recording(True):
        totals, order = _reverse(list(zip(outputs, weights, strict=True)), wanted, symbolic=True)
        # a gradient may equal a node of output's graph (d(a·b)/da is b) or a weight itself
        taken = set(order) | {v for v in weights if isinstance(v, Value)}
        gradients = []
        for x in wanted:
            total = totals.get(x, 0.0)
            if not isinstance(total, Value):
                total = Value(total)
            elif total in taken:
                # times 1.0 makes a node of its own, still differentiable
                total = total * 1.0
            taken.add(total)
            gradients.append(total)
    return gradients


def hessian(f: Function, inputs: Iterable[Number | Value]) -> list[list[float]]:
    """The matrix of second derivatives of ``f(*inputs)``: ``H[i][j] = d²f / dx_i dx_j``.

    `f` takes one `Value` per input and returns a `Value`; `inputs` is the point: numbers, or
    Values, which are differentiated with respect to themselves, so f may also reach them
    through a closure (a model's parameters). One reverse pass builds the gradient's graph, then
    one reverse pass per input differentiates it: n + 1 passes in all. H is symmetric up to
    rounding (each half is computed along its own path).
    """
    variables, output = _evaluate(f, inputs, "hessian()")
    gradient = grad(output, variables, create_graph=True)
    return [[d.data for d in grad(component, variables)] for component in gradient]


def hvp(f: Function, inputs: Iterable[Number | Value], v: Iterable[Number]) -> list[float]:
    """The Hessian of ``f(*inputs)`` times the vector `v`, without forming the Hessian.

    Differentiates ⟨∇f, v⟩ once more: two reverse passes, whatever the number of inputs, so it
    suits Newton-type steps and curvature along a direction (``v · hvp(f, x, v)``). `inputs` are
    as for `hessian`: pass a model's parameters themselves to get its loss's curvature.
    """
    variables, output = _evaluate(f, inputs, "hvp()")
    direction = _vector(v, len(variables), "v", "hvp()")
    gradient = grad(output, variables, create_graph=True)
    with recording(True):
        along = dot(gradient, direction)
    return [d.data for d in grad(along, variables)]


def jvp(f: Function, inputs: Iterable[Number | Value], tangents: Iterable[Number]) -> tuple[float, float]:
    """Forward mode: ``f(*inputs)`` and its derivative along `tangents`, ``Σ_i df/dx_i · t_i``.

    `f` runs once, recording its graph, then one sweep over the graph, inputs before the nodes
    that use them, carries each node's tangent: the sum of its op's partial derivatives times
    its inputs' tangents. That costs about as much as ``f`` and one ``backward()``, in time and
    in memory (the recorded graph), whatever the number of inputs: never n passes, but no
    cheaper than the whole gradient by reverse mode for a scalar f. `inputs` are as for `hessian`.
    """
    variables, output = _evaluate(f, inputs, "jvp()")
    direction = _vector(tangents, len(variables), "tangents", "jvp()")
    return output.data, _tangent_of(output, dict(zip(variables, direction, strict=True)))


def _tangent_of(output: Value, seeds: dict[Value, float]) -> float:
    """Σ over the seeded nodes of seed · d(output)/d(node) (the derivative `grad` gives), in forward mode.

    The depth-first search of `autodiff.core.graph.topological_order`, computing each node's tangent
    when the node is emitted, after its inputs': Σ_i ∂node/∂x_i · tangent(x_i). The dict of
    tangents is also the set of nodes done. A node that depends on no seeded node gets None, and
    its derivative is never evaluated; a seeded interior node adds its seed to that sum.
    """
    interior_seeds = {node: t for node, t in seeds.items() if node.op is not None}
    tangent: dict[Value, float | None] = {}
    nodes: list[Value] = [output]
    emit_flags: list[bool] = [False]
    push, pop, push_flag, pop_flag = nodes.append, nodes.pop, emit_flags.append, emit_flags.pop
    t: float | None
    node = output
    try:
        while nodes:
            node = pop()
            op: Any = node.op
            if pop_flag():
                # the chain rule forward, inlined by arity as in backpropagate
                arity = op.arity
                if arity == 1:
                    x = node.first_parent
                    tx = tangent[x]
                    t = None if tx is None else op.derivative(FLOAT, x.data, node.data, node.arg) * tx
                elif arity == 2:
                    x, y = node.first_parent, node.second_parent
                    tx, ty = tangent[x], tangent[y]
                    if tx is None and ty is None:
                        t = None
                    else:
                        dx, dy = op.derivative(FLOAT, x.data, y.data, node.data, node.arg)
                        t = dx * tx if ty is None else dy * ty if tx is None else dx * tx + dy * ty
                else:
                    inputs = node.variadic_parents
                    parent_tangents = [tangent[x] for x in inputs]
                    t = None
                    if any(pt is not None for pt in parent_tangents):
                        partials = op.derivative(FLOAT, [x.data for x in inputs], node.data, node.arg)
                        t = 0.0
                        for partial, pt in zip(partials, parent_tangents, strict=True):
                            if pt is not None:
                                t += partial * pt
                if interior_seeds and node in interior_seeds:
                    t = (t or 0.0) + interior_seeds[node]
                tangent[node] = t
                continue
            if node in tangent:
                continue
            if op is None:
                tangent[node] = seeds.get(node)
                continue
            push(node)
            push_flag(True)
            arity = op.arity
            if arity == 1:
                if node.first_parent not in tangent:
                    push(node.first_parent)
                    push_flag(False)
            else:
                for x in (node.first_parent, node.second_parent) if arity == 2 else node.variadic_parents:
                    if x not in tangent:
                        push(x)
                        push_flag(False)
    except ArithmeticError as error:
        raise derivative_error("jvp()", node, error) from error
    return tangent[output] or 0.0


def _reverse(
    seeds: Sequence[tuple[Value, Any]], wanted: Sequence[Value], *, symbolic: bool
) -> tuple[dict[Value, Any], list[Value]]:
    """Σ_k seed_k · d(output_k)/d(node) for every node on a path from `wanted` to an output, and the outputs' graph.

    `seeds` pairs each output with its weight. The chain rule of `autodiff.core.graph.backpropagate`,
    kept in a dict instead of `.grad`: floats accumulated in the same order (so for one output
    seeded with 1.0 the numbers equal `backward()`'s), or, if `symbolic`, Values and float
    constants, each node's terms added up as one `sum` node.
    """
    order = _topological_order_of([y for y, _ in seeds])
    relevant = _depending_on(order, wanted)
    backend, add_up, times = (VALUE, _add_up_values, _times) if symbolic else (FLOAT, _add_up_floats, mul)
    terms: dict[Value, list[Any]] = {}
    for y, seed in seeds:
        terms.setdefault(y, []).append(seed)
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
    return totals, order


def _topological_order_of(outputs: Sequence[Value]) -> list[Value]:
    """Every node the outputs depend on, each once, parents before children, in one walk."""
    if len(outputs) == 1:
        return topological_order(outputs[0])
    # one throwaway node over all the outputs walks their shared nodes once, not once per output
    with recording(True):
        root = value_sum(outputs)
    return topological_order(root)[:-1]


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


def _checked_outputs(output: Value | Sequence[Value]) -> list[Value]:
    if isinstance(output, Value):
        return [output]
    if not isinstance(output, Sequence) or isinstance(output, str | bytes):
        raise TypeError(
            f"grad() differentiates a Value or a sequence of Values, got output of type {type(output).__name__}"
        )
    outputs = list(output)
    if not outputs:
        raise ValueError("grad() got an empty list of outputs: pass at least one Value to differentiate")
    for index, y in enumerate(outputs):
        if not isinstance(y, Value):
            raise TypeError(f"grad() outputs must be Values, got {type(y).__name__} {y!r:.60} at index {index}")
    return outputs


def _checked_weights(grad_outputs: Sequence[Number | Value] | None, count: int) -> list[float | Value]:
    if grad_outputs is None:
        return [1.0] * count
    one_dimensional = getattr(grad_outputs, "ndim", 1) == 1  # a 1-D numpy array is a fine sequence
    if isinstance(grad_outputs, Value | numbers.Number | str) or not (
        isinstance(grad_outputs, Sequence) or (isinstance(grad_outputs, np.ndarray) and one_dimensional)
    ):
        hint = "; write grad_outputs=[v] for one output" if count == 1 else ""
        raise TypeError(
            f"grad() grad_outputs must be a sequence with one number or Value per output ({count}), got "
            f"{type(grad_outputs).__name__} {grad_outputs!r:.60}{hint}"
        )
    weights = list(grad_outputs)
    if len(weights) != count:
        raise ValueError(
            f"grad() grad_outputs must have one entry per output: {count} output(s), got {len(weights)} grad_outputs"
        )
    for index, v in enumerate(weights):
        if not (isinstance(v, Value) or is_real(v)):
            raise TypeError(
                f"grad() grad_outputs must hold numbers or Values, got {type(v).__name__} {v!r:.60} at index {index}"
            )
    return [v if isinstance(v, Value) else float(v) for v in weights]


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
    """The variables at the point `inputs` and ``f(*variables)`` with its graph recorded.

    A Value input is its own variable, as in `gradcheck`: f may also reach it through a closure
    (a model's parameters), and the derivatives are taken with respect to it. A number becomes a
    fresh leaf.
    """
    if not callable(f):
        raise TypeError(f"{where} needs a function f to differentiate, got {type(f).__name__} {f!r:.60}")
    if isinstance(inputs, Value | numbers.Number) or not isinstance(inputs, Iterable):
        raise TypeError(
            f"{where} inputs must be a sequence with one number per argument of f, got "
            f"{type(inputs).__name__} {inputs!r:.60}; write [x] for a function of one variable"
        )
    variables: list[Value] = []
    position: dict[Value, int] = {}
    for index, x in enumerate(inputs):
        if isinstance(x, Value):
            if x in position:
                raise ValueError(
                    f"{where} got the same Value at index {position[x]} and {index}: pass each variable once"
                )
            position[x] = index
            variables.append(x)
        elif is_real(x):
            variables.append(Value(x))
        else:
            raise TypeError(
                f"{where} inputs must be numbers or Values, got {type(x).__name__} {x!r:.60} at index {index}"
            )
    with recording(True):
        output = f(*variables)
    if not isinstance(output, Value):
        raise TypeError(
            f"{where} needs f to return a Value computed from its arguments, got "
            f"{type(output).__name__} {output!r:.60} (did f compute with .data, or ignore its arguments?)"
        )
    return variables, output


def _vector(v: Iterable[Number], size: int, name: str, where: str) -> list[float]:
    if isinstance(v, Value | numbers.Number) or not isinstance(v, Iterable):
        raise TypeError(f"{where} {name} must be a sequence of {size} numbers, got {type(v).__name__} {v!r:.60}")
    vector = list(v)
    for index, x in enumerate(vector):
        if not is_real(x):
            raise TypeError(f"{where} {name} must hold numbers, got {type(x).__name__} {x!r:.60} at index {index}")
    if len(vector) != size:
        raise ValueError(f"{where} {name} must have one entry per input: {size}, got {len(vector)}")
    return [float(x) for x in vector]
