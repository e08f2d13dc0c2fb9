"""The point of a derivative check: its leaves, how `f` takes them, and `f`'s numbers around it.

Shared by `gradcheck`, `gradgradcheck` and `autodiff.testing`: they check derivatives at a
`Point` against central differences (`numerical_jacobian`), with settings checked once by
`check_settings`.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from autodiff.checking.comparison import Comparison
from autodiff.core.reals import is_real
from autodiff.core.value import Number, Value

__all__ = ["Inputs", "Outputs", "Point", "as_outputs", "check_settings", "comparisons", "numerical_jacobian"]

Inputs = Iterable[Number | Value] | Mapping[str, Number | Value]
"""What `gradcheck` differentiates at: a sequence of numbers or leaf Values, or a mapping name -> one."""

Outputs = Value | Sequence[Value]
"""What the checked function returns: one Value or a sequence of Values."""


def check_settings(eps: float, atol: float | None = None, rtol: float | None = None) -> None:
    """Raise `ValueError` unless `eps` is a finite number > 0 and the given tolerances finite numbers >= 0."""
    if not (_finite(eps) and eps > 0):
        raise ValueError(f"eps must be a finite number > 0, got {eps!r}")
    for name, tolerance in (("atol", atol), ("rtol", rtol)):
        if tolerance is not None and not (_finite(tolerance) and tolerance >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {tolerance!r}")


def _finite(x: object) -> bool:
    return is_real(x) and math.isfinite(x)


@dataclass
class Point:
    """The leaves at which `f` is differentiated, their names, and how `f` takes them."""

    leaves: list[Value]
    names: list[str | None]
    keywords: list[str] | None
    data: list[float]

    @classmethod
    def of(cls, inputs: Inputs, where: str, f: Callable[..., object] | None = None) -> Point:
        """The point of `inputs` (`where` names the caller in errors).

        `inputs` are numbers or leaf Values, or a mapping name -> one; an input given positionally
        without a name is named after `f`'s parameter.
        """
        if isinstance(inputs, str | bytes) or not isinstance(inputs, Iterable):
            raise TypeError(
                f"{where} inputs must be a sequence of numbers or Values, or a mapping name -> "
                f"number, got {type(inputs).__name__}"
            )
        items = list(inputs.items()) if isinstance(inputs, Mapping) else [(None, x) for x in inputs]
        if not items:
            raise ValueError(f"{where} needs at least one input to differentiate with respect to")
        leaves: list[Value] = []
        names: list[str | None] = []
        parameters = _positional_parameters(f)
        for index, (key, x) in enumerate(items):
            leaves.append(_leaf(x, key, index, where))
            names.append(next((name for name in (key, leaves[-1].name) if name is not None),
                              parameters[index] if index < len(parameters) else None))
        if len(set(leaves)) < len(leaves):
            raise ValueError(f"{where} got the same Value twice: pass each leaf once")
        keywords = [str(name) for name in names] if isinstance(inputs, Mapping) else None
        return cls(leaves, names, keywords, [leaf.data for leaf in leaves])

    def label(self, i: int) -> str:
        """Input `i` as a report shows it: ``0 (x)``, or ``0`` when it has no name."""
        name = self.names[i]
        return f"{i} ({name})" if name is not None else str(i)

    def shown(self) -> str:
        """The point as a report shows it: ``x = 0.5, y = -1.25``."""
        shown = [
            f"{name if name is not None else f'inputs[{i}]'} = {data!r}"
            for i, (name, data) in enumerate(zip(self.names, self.data, strict=True))
        ]
        return ", ".join(shown[:8]) + (f", ... ({len(shown)} inputs)" if len(shown) > 8 else "")

    def call(self, f: Callable[..., object]) -> object:
        """`f` applied to the leaves, by keyword if the inputs were a mapping."""
        if self.keywords is not None:
            return f(**dict(zip(self.keywords, self.leaves, strict=True)))
        return f(*self.leaves)

    def outputs(self, f: Callable[..., object]) -> tuple[Value, ...]:
        """`f`'s outputs at the point."""
        return as_outputs(self.call(f))

    def values_at(self, f: Callable[..., object], shift: Sequence[float], count: int) -> list[float]:
        """The outputs' numbers with every input moved by `shift` from the point."""
        for leaf, data, step in zip(self.leaves, self.data, shift, strict=True):
            leaf.data = data + step
        try:
            # read before the finally: an output may be one of the leaves
            numbers = [out.data for out in self.outputs(f)]
        except (ArithmeticError, ValueError) as error:
            moved = ", ".join(f"{self.label(i)} by {step:+g}" for i, step in enumerate(shift) if step)
            raise ValueError(
                f"f is undefined near the point (moving input {moved} raised {type(error).__name__}: "
                f"{error}); central differences need f defined within eps of the point: move the "
                "point away from the edge of the domain, or lower eps"
            ) from error
        finally:
            # the user's own Values get their numbers back, even when f raised
            for leaf, data in zip(self.leaves, self.data, strict=True):
                leaf.data = data
        if len(numbers) != count:
            raise ValueError(f"f returned {len(numbers)} outputs near the point but {count} at it")
        return numbers


def _positional_parameters(f: Callable[..., object] | None) -> list[str]:
    """The names of `f`'s parameters that take positional arguments, in order (none for ``*args``)."""
    try:
        signature = inspect.signature(f) if f is not None else None
    except (TypeError, ValueError):  # some callables (builtins, C functions) have no signature
        return []
    if signature is None:
        return []
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in signature.parameters.values() if p.kind in positional]


def _leaf(x: object, key: str | None, index: int, where: str) -> Value:
    if key is not None and not isinstance(key, str):
        raise TypeError(f"{where} input names must be str, got {type(key).__name__} {key!r}")
    if isinstance(x, Value):
        if x.op is not None:
            raise ValueError(
                f"{where} input {index} is the result of {x.op.name}, not a leaf: pass leaf Values "
                "(or numbers), and compute the rest inside f"
            )
        leaf = x
    elif is_real(x):
        leaf = Value(float(x), name=key)
    else:
        raise TypeError(f"{where} input {index} must be a number or a Value, got {type(x).__name__} {x!r:.60}")
    if not math.isfinite(leaf.data):
        raise ValueError(f"{where} input {index} is {leaf.data!r}: gradients are checked at finite points")
    return leaf


def as_outputs(result: object) -> tuple[Value, ...]:
    """What `f` returned as a tuple of its outputs; `TypeError` unless a Value or a non-empty sequence of them."""
    outputs = (result,) if isinstance(result, Value) else result
    if isinstance(outputs, Sequence) and outputs and all(isinstance(out, Value) for out in outputs):
        return tuple(outputs)
    raise TypeError(
        f"f must return a Value or a non-empty sequence of Values, got {type(result).__name__} "
        f"{result!r:.60} (did f compute with .data or float() instead of the Values?)"
    )


def numerical_jacobian(f: Callable[..., object], point: Point, count: int, eps: float) -> list[list[float]]:
    """d(output k)/d(input i) by central differences, moving one input at a time by ±eps."""
    columns = []
    n = len(point.leaves)
    for i in range(n):
        shift = [0.0] * n
        shift[i] = eps
        above = point.values_at(f, shift, count)
        shift[i] = -eps
        below = point.values_at(f, shift, count)
        columns.append([(a - b) / (2 * eps) for a, b in zip(above, below, strict=True)])
    return [list(row) for row in zip(*columns, strict=True)]


def comparisons(
    analytical: Sequence[Sequence[float]], numerical: Sequence[Sequence[float]], point: Point
) -> list[Comparison]:
    """Each derivative d(output k)/d(input i) computed both ways, output by output."""
    return [
        Comparison(k, i, point.label(i), analytical[k][i], numerical[k][i])
        for k in range(len(analytical))
        for i in range(len(point.leaves))
    ]
