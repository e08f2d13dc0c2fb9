"""`gradcheck`: the gradients of `backward()` against central finite differences, with a readable report.

>>> from autodiff import gradcheck, numerical_gradient
>>> gradcheck(lambda x, y: (x * y).tanh(), [0.5, -1.25])
True
>>> [round(g, 6) for g in numerical_gradient(lambda x, y: x * y + y, [2.0, 3.0])]
[3.0, 3.0]
"""

from __future__ import annotations

import inspect
import math
import numbers
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from autodiff.checking.comparison import Comparison, format_table, mismatch_report, shown_number
from autodiff.checking.diagnosis import diagnose
from autodiff.core.graph import topological_order
from autodiff.core.value import Number, Value

__all__ = ["GradcheckError", "Inputs", "gradcheck", "numerical_gradient"]

Inputs = Iterable[Number | Value] | Mapping[str, Number | Value]
"""What `gradcheck` differentiates at: a sequence of numbers or leaf Values, or a mapping name -> one."""

Outputs = Value | Sequence[Value]
"""What the checked function returns: one Value or a sequence of Values."""


class GradcheckError(AssertionError):
    """A gradient from `backward()` disagrees with central differences (or with a second `backward()`).

    The message is a table of every derivative checked (output, input, analytical, numerical,
    absolute and relative error) with the first mismatch marked, then notes on the ops involved.
    It subclasses `AssertionError`, so pytest shows it as a failed assertion.
    """


def gradcheck(
    f: Callable[..., Outputs],
    inputs: Inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    fast_mode: bool = False,
    directions: int = 3,
    seed: int = 0,
) -> bool:
    """Whether the gradients `backward()` gives for `f` at `inputs` match central differences.

    `f` takes one `Value` per input (positionally; by keyword when `inputs` is a mapping) and
    returns a `Value` or a sequence of them. Each output's gradient with respect to each input is
    compared with ``(f(x + eps) − f(x − eps)) / 2·eps``; they match when
    ``|analytical − numerical| <= atol + rtol·|numerical|``. Like PyTorch's ``gradcheck``, it
    also checks that a second `backward()` through the same graph gives the same gradients.

    Inputs may be numbers (fresh leaves are made for them) or leaf `Value`s, which are used
    themselves (so `f` may also reach them through a closure, e.g. a model's parameters); their
    names label the report. Every ``.data`` and ``.grad`` is left as it was found.

    With ``fast_mode=True`` the numerical side costs two calls of `f` per random direction
    instead of two per input (`directions` of them, drawn from `seed`), as PyTorch's
    ``fast_mode`` and JAX's ``check_grads`` do; on a mismatch it falls back to the full check,
    whose verdict it returns, to name the input at fault.

    Returns True, or raises `GradcheckError` (returns False if `raise_exception` is False). A
    gradient that is not finite (``sqrt`` at 0 gives inf) is a mismatch like any other, shown in
    the table; an `ArithmeticError` raised by `backward()` itself (a local derivative that cannot
    be computed, e.g. an op of your own) is a failed check too, where PyTorch's ``gradcheck`` lets
    it through: it is a fault of the gradients, which is what the check is about. Errors of `f`
    itself propagate: `f` must run at the point, and `ValueError` is raised if `f` is undefined
    within `eps` of it.
    """
    _check_step(eps)
    _check_tolerance("atol", atol)
    _check_tolerance("rtol", rtol)
    if not isinstance(directions, int) or isinstance(directions, bool) or directions < 1:
        raise ValueError(f"gradcheck() directions must be an int >= 1, got {directions!r}")
    __tracebackhide__ = True  # pytest shows the caller's line and the report, not this function's source
    point = _Point.of(inputs, "gradcheck()", f)
    outputs = point.outputs(f)
    try:
        jacobian = _analytical_jacobian(outputs, point)
        if fast_mode and _directions_agree(f, point, jacobian, eps, atol, rtol, directions, seed):
            return True
        numerical = _numerical_jacobian(f, point, len(outputs), eps)
        comparisons = [
            Comparison(k, i, point.label(i), jacobian[k][i], numerical[k][i])
            for k in range(len(outputs))
            for i in range(len(point.leaves))
        ]
        mismatches = [c for c in comparisons if not c.close(atol, rtol)]
        if mismatches:
            first = mismatches[0]
            where = f"input {first.label} and output {first.output}"
            notes = diagnose(
                outputs[first.output], point.leaves[first.input], where, eps=eps, atol=atol, rtol=rtol
            )
            title = (
                f"gradcheck: backward() disagrees with central differences for {len(mismatches)} "
                f"of {len(comparisons)} partial derivatives"
            )
            raise GradcheckError(
                mismatch_report(title, comparisons, point=point.shown(), atol=atol, rtol=rtol, eps=eps,
                                notes=notes)
            )
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def numerical_gradient(f: Callable[..., Value], inputs: Inputs, *, eps: float = 1e-6) -> list[float]:
    """The gradient of `f` at `inputs` by central differences: ``(f(x + eps) − f(x − eps)) / 2·eps``.

    `f` takes one `Value` per input, as for `gradcheck`, and returns one `Value`. The result has
    one entry per input, in order. Raises `ValueError` if `f` is undefined within `eps` of the point.
    """
    _check_step(eps)
    point = _Point.of(inputs, "numerical_gradient()", f)
    result = point.call(f)
    if not isinstance(result, Value):
        raise TypeError(
            "numerical_gradient() needs f to return one Value, got "
            f"{type(result).__name__}; for several outputs, call it once per output"
        )
    return _numerical_jacobian(f, point, 1, eps)[0]


def _finite(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)


def _check_step(eps: float) -> None:
    if not (_finite(eps) and eps > 0):
        raise ValueError(f"eps must be a finite number > 0, got {eps!r}")


def _check_tolerance(name: str, tolerance: float) -> None:
    if not (_finite(tolerance) and tolerance >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {tolerance!r}")


@dataclass
class _Point:
    """The leaves at which `f` is differentiated, their names, and how `f` takes them."""

    leaves: list[Value]
    names: list[str | None]
    keywords: list[str] | None
    data: list[float]

    @classmethod
    def of(cls, inputs: Inputs, where: str, f: Callable[..., object] | None = None) -> _Point:
        """The point of `inputs`; an input given positionally without a name is named after `f`'s parameter."""
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
        name = self.names[i]
        return f"{i} ({name})" if name is not None else str(i)

    def shown(self) -> str:
        shown = [
            f"{name if name is not None else f'inputs[{i}]'} = {data!r}"
            for i, (name, data) in enumerate(zip(self.names, self.data, strict=True))
        ]
        return ", ".join(shown[:8]) + (f", ... ({len(shown)} inputs)" if len(shown) > 8 else "")

    def call(self, f: Callable[..., object]) -> object:
        if self.keywords is not None:
            return f(**dict(zip(self.keywords, self.leaves, strict=True)))
        return f(*self.leaves)

    def outputs(self, f: Callable[..., object]) -> tuple[Value, ...]:
        return _as_outputs(self.call(f))

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
    elif isinstance(x, numbers.Real) and not isinstance(x, bool):
        leaf = Value(float(x), name=key)
    else:
        raise TypeError(f"{where} input {index} must be a number or a Value, got {type(x).__name__} {x!r:.60}")
    if not math.isfinite(leaf.data):
        raise ValueError(f"{where} input {index} is {leaf.data!r}: gradients are checked at finite points")
    return leaf


def _as_outputs(result: object) -> tuple[Value, ...]:
    outputs = (result,) if isinstance(result, Value) else result
    if isinstance(outputs, Sequence) and outputs and all(isinstance(out, Value) for out in outputs):
        return tuple(outputs)
    raise TypeError(
        f"f must return a Value or a non-empty sequence of Values, got {type(result).__name__} "
        f"{result!r:.60} (did f compute with .data or float() instead of the Values?)"
    )


def _analytical_jacobian(outputs: Sequence[Value], point: _Point) -> list[list[float]]:
    __tracebackhide__ = True
    """d(output k)/d(input i) by backward(), twice per output: both calls must agree exactly."""
    graph = {node: node.grad for out in outputs for node in topological_order(out)}
    graph.update((leaf, leaf.grad) for leaf in point.leaves)
    try:
        rows = []
        for k, out in enumerate(outputs):
            try:
                first, second = _backward_grads(out, point.leaves), _backward_grads(out, point.leaves)
            except ArithmeticError as error:
                raise GradcheckError(
                    f"gradcheck: backward() of output {k} raised {type(error).__name__}: {error}\n\n"
                    f"  point: {point.shown()}"
                ) from error
            if not all(map(_same, first, second)):
                raise GradcheckError(_reentrancy_report(k, point, first, second))
            rows.append(first)
        return rows
    finally:
        for node, grad in graph.items():
            node.grad = grad


def _backward_grads(output: Value, leaves: Sequence[Value]) -> list[float]:
    for leaf in leaves:
        leaf.grad = 0.0
    output.backward()
    return [leaf.grad for leaf in leaves]


def _same(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)


def _reentrancy_report(output: int, point: _Point, first: list[float], second: list[float]) -> str:
    rows = [
        [str(output), point.label(i), shown_number(a), shown_number(b)]
        for i, (a, b) in enumerate(zip(first, second, strict=True))
    ]
    marked = [not _same(a, b) for a, b in zip(first, second, strict=True)]
    table = format_table(["output", "input", "first backward()", "second backward()"], rows, marked)
    return (
        "gradcheck: backward() is not reentrant: a second call through the same graph gave other "
        f"gradients (leaf grads were zeroed between the calls)\n\n  point: {point.shown()}\n\n{table}"
    )


def _numerical_jacobian(f: Callable[..., object], point: _Point, count: int, eps: float) -> list[list[float]]:
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


def _directions_agree(
    f: Callable[..., object],
    point: _Point,
    jacobian: list[list[float]],
    eps: float,
    atol: float,
    rtol: float,
    directions: int,
    seed: int,
) -> bool:
    """Whether J·u matches central differences along `directions` random unit vectors u."""
    rng = random.Random(seed)
    n = len(point.leaves)
    for _ in range(directions):
        u = [rng.gauss(0.0, 1.0) for _ in range(n)]
        norm = math.sqrt(sum(x * x for x in u)) or 1.0
        u = [x / norm for x in u]
        above = point.values_at(f, [eps * x for x in u], len(jacobian))
        below = point.values_at(f, [-eps * x for x in u], len(jacobian))
        for row, a, b in zip(jacobian, above, below, strict=True):
            analytical = math.fsum(d * x for d, x in zip(row, u, strict=True))
            comparison = Comparison(0, 0, "", analytical, (a - b) / (2 * eps))
            if not comparison.close(atol, rtol):
                return False
    return True
