"""Calling one op of the table with a list of inputs, whatever its arity.

The table's rules take their inputs the way each arity needs (``x``; ``x, y``; ``xs``); the
gradient checker and the test strategies hold inputs as lists, so they go through here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autodiff.core import value as _value
from autodiff.core.backends import FLOAT
from autodiff.core.ops import Op
from autodiff.core.value import Value

__all__ = ["apply_to_values", "forward_on_floats"]


def forward_on_floats(op: Op, xs: Sequence[float], arg: Any) -> float:
    """`op`'s forward rule on floats; raises `ValueError`/`ZeroDivisionError` outside its domain."""
    if op.checks_domain:
        _value._check_domain(op, xs, arg)
    if op.arity == 1:
        return op.forward(FLOAT, xs[0], arg)  # type: ignore[no-any-return]
    if op.arity == 2:
        return op.forward(FLOAT, xs[0], xs[1], arg)  # type: ignore[no-any-return]
    return op.forward(FLOAT, list(xs), arg)  # type: ignore[no-any-return]


def apply_to_values(op: Op, values: Sequence[Value], arg: Any) -> Value:
    """A new node: `op` applied to `values` (and the constant `arg`), as the engine records it."""
    if op.arity == 1:
        return _value._apply(op, values[0], arg)
    if op.arity == 2:
        # binary ops have no constant argument
        return _value._binary(op, values[0], values[1])
    return _value.variadic_node(op, values, arg)
