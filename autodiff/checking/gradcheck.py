"""`gradcheck`: the gradients of `backward()` against central finite differences, with a readable report.

>>> from autodiff import gradcheck, numerical_gradient
>>> gradcheck(lambda x, y: (x * y).tanh(), [0.5, -1.25])
True
>>> [round(g, 6) for g in numerical_gradient(lambda x, y: x * y + y, [2.0, 3.0])]
[3.0, 3.0]
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

from autodiff.checking.comparison import Comparison, format_table, mismatch_report, shown_number
from autodiff.checking.diagnosis import diagnose
from autodiff.checking.point import Inputs, Outputs, Point, check_settings, comparisons, numerical_jacobian
from autodiff.core.graph import topological_order
from autodiff.core.reals import is_int
from autodiff.core.value import Value

__all__ = ["GradcheckError", "Inputs", "gradcheck", "numerical_gradient"]

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
    check_settings(eps, atol, rtol)
    if not is_int(directions) or directions < 1:
        raise ValueError(f"gradcheck() directions must be an int >= 1, got {directions!r}")
    __tracebackhide__ = True  # pytest shows the caller's line and the report, not this function's source
    point = Point.of(inputs, "gradcheck()", f)
    outputs = point.outputs(f)
    try:
        jacobian = _analytical_jacobian(outputs, point)
        if fast_mode and _directions_agree(f, point, jacobian, eps, atol, rtol, directions, seed):
            return True
        numerical = numerical_jacobian(f, point, len(outputs), eps)
        compared = comparisons(jacobian, numerical, point)
        mismatches = [c for c in compared if not c.close(atol, rtol)]
        if mismatches:
            first = mismatches[0]
            where = f"input {first.label} and output {first.output}"
            notes = diagnose(
                outputs[first.output], point.leaves[first.input], where, eps=eps, atol=atol, rtol=rtol
            )
            title = (
                f"gradcheck: backward() disagrees with central differences for {len(mismatches)} "
                f"of {len(compared)} partial derivatives"
            )
            raise GradcheckError(
                mismatch_report(title, compared, point=point.shown(), atol=atol, rtol=rtol, eps=eps,
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
    check_settings(eps)
    point = Point.of(inputs, "numerical_gradient()", f)
    result = point.call(f)
    if not isinstance(result, Value):
        raise TypeError(
            "numerical_gradient() needs f to return one Value, got "
            f"{type(result).__name__}; for several outputs, call it once per output"
        )
    return numerical_jacobian(f, point, 1, eps)[0]


def _analytical_jacobian(outputs: Sequence[Value], point: Point) -> list[list[float]]:
    """d(output k)/d(input i) by backward(), twice per output: both calls must agree exactly."""
    __tracebackhide__ = True
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


def _reentrancy_report(output: int, point: Point, first: list[float], second: list[float]) -> str:
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


def _directions_agree(
    f: Callable[..., object],
    point: Point,
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
