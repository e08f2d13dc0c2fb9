"""Walking the graph: topological order and the chain rule, both without recursion.

The two hot loops, `topological_order` and `backpropagate`, read a node's inputs straight from
`Value`'s slots by arity (``first_parent``; ``first_parent, second_parent``; ``variadic_parents``),
which saves building a tuple per node of a million-node graph; everything else goes through
``parents`` and the op's `Op.partials_of`.
`Value` is imported for type checking only, since `Value` itself imports this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autodiff.core.backends import FLOAT

if TYPE_CHECKING:
    from autodiff.core.value import Value

__all__ = ["backpropagate", "derivative_error", "input_partials", "topological_order"]


def topological_order(root: Value) -> list[Value]:
    """Every node `root` depends on, each once, parents before children (leaves first).

    Iterative depth-first search, so a chain of millions of nodes needs no recursion limit.
    """
    if not hasattr(root, "grad"):
        raise TypeError(f"topological_order() needs a Value, got {type(root).__name__}")
    order: list[Value] = []
    visited: set[Value] = set()
    # Two parallel stacks, of nodes and of "expanded" flags, rather than one of (node, flag)
    # tuples: a million-node chain then allocates no objects for the collector to scan.
    # A node is emitted when popped the second time, after every input pushed above it; it is
    # marked visited when expanded, not when pushed, so an input still waiting is not skipped.
    nodes: list[Value] = [root]
    flags: list[bool] = [False]
    push, pop, emit, mark = nodes.append, nodes.pop, order.append, visited.add
    push_flag, pop_flag = flags.append, flags.pop
    while nodes:
        node = pop()
        if pop_flag():
            emit(node)
            continue
        if node in visited:
            continue
        mark(node)
        op = node.op
        if op is None:
            emit(node)
            continue
        push(node)
        push_flag(True)
        arity = op.arity
        if arity == 2:
            x, y = node.first_parent, node.second_parent
            if x not in visited:
                push(x)
                push_flag(False)
            if y not in visited:
                push(y)
                push_flag(False)
        elif arity == 1:
            x = node.first_parent
            if x not in visited:
                push(x)
                push_flag(False)
        else:
            for x in node.variadic_parents:
                if x not in visited:
                    push(x)
                    push_flag(False)
    return order


def backpropagate(root: Value, grad: float) -> None:
    """Reverse-mode chain rule from `root`: leaves accumulate, interior nodes are reset first.

    This loop is the chain rule on `.grad`: each node passes its grad times its op's local
    derivative (from the op table) on to each of its inputs. (`autodiff.core.derivatives` runs the
    same rule through `input_partials` into a dict for `grad`; its forward mode carries tangents
    the other way through the same float rules.)
    """
    order = topological_order(root)
    for interior in order:
        if interior.op is not None:
            interior.grad = 0.0
    root.grad += grad
    node: Any = None
    try:
        for node in reversed(order):
            op = node.op
            if op is None:
                continue
            upstream = node.grad
            arity = op.arity
            if arity == 2:
                x, y = node.first_parent, node.second_parent
                dx, dy = op.derivative(FLOAT, x.data, y.data, node.data, node.arg)
                x.grad += dx * upstream
                y.grad += dy * upstream
            elif arity == 1:
                x = node.first_parent
                x.grad += op.derivative(FLOAT, x.data, node.data, node.arg) * upstream
            else:
                inputs = node.variadic_parents
                partials = op.derivative(FLOAT, [x.data for x in inputs], node.data, node.arg)
                for x, partial in zip(inputs, partials, strict=True):
                    x.grad += partial * upstream
    except ArithmeticError as error:
        raise derivative_error("backward()", node, error) from error


def input_partials(node: Value, m: Any, *, symbolic: bool = False) -> list[tuple[Value, Any]]:
    """Each input of `node`, in argument order, with the partial derivative of `node` by it.

    The op's derivative rule runs on backend `m`: on the data of the inputs and of `node`
    (`FLOAT`, numbers out), or, with `symbolic`, on the nodes themselves (the `Value` backend),
    so that each partial is a `Value` with a graph of its own, or a float constant. A leaf has
    no inputs. `backpropagate` inlines the float case for speed.
    """
    op = node.op
    if op is None:
        return []
    inputs = node.parents
    if symbolic:
        partials = op.partials_of(m, inputs, node, node.arg)
    else:
        partials = op.partials_of(m, [x.data for x in inputs], node.data, node.arg)
    return list(zip(inputs, partials, strict=True))


def derivative_error(where: str, node: Value, error: ArithmeticError) -> ArithmeticError:
    """The error to raise when `node`'s local derivative fails: names the op and its inputs."""
    shown = ", ".join(repr(p.data) for p in node.parents)
    op_name = node.op.name if node.op is not None else "a leaf"
    return type(error)(
        f"{where} through {op_name}({shown}) failed: its local derivative is not a finite number "
        f"there ({error})"
    )
