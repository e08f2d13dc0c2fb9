"""`gradgradcheck`: second derivatives against central differences of first derivatives.

The second derivatives come from differentiating `grad(..., create_graph=True)`, that is from
every op's derivative rule evaluated on the `Value` backend; the numbers they are checked
against come from first derivatives only. A rule that is right on floats but drops the graph on
Values (or a function that computes through ``.data``) passes `backward()`'s checks and fails
this one.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from autodiff.derivatives import Function, _evaluate, grad
from autodiff.value import Number, Value

__all__ = ["GradgradcheckError", "gradgradcheck"]


class GradgradcheckError(AssertionError):
    """Second derivatives disagree with central differences of first derivatives.

    The message is a table of every second derivative checked (analytical, numerical, absolute
    and relative error) with the first mismatch marked. It subclasses `AssertionError`, so
    pytest shows it as a failed assertion.
    """


def gradgradcheck(
    f: Function,
    inputs: Iterable[Number | Value],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Whether the second derivatives of ``f(*inputs)`` match central differences of its gradient.

    `f` takes one `Value` per input and returns one `Value`; `inputs` is the point (numbers, or
    Values standing for their data and naming the rows of the report; unnamed inputs are x0, x1...). For every pair of
    inputs, ``d/dx_i (df/dx_j)`` by differentiating the gradient's graph is compared with
    ``(df/dx_j at x + eps·e_i − df/dx_j at x − eps·e_i) / 2·eps``; they match when
    ``|analytical − numerical| <= atol + rtol·|numerical|`` (PyTorch's defaults). Near a kink
    (``relu`` at 0) they legitimately differ: check away from kinks.

    Returns True, or raises `GradgradcheckError` (returns False if `raise_exception` is False).
    Raises `ValueError` if f is undefined within `eps` of the point.
    """
    _check_number("eps", eps, positive=True)
    _check_number("atol", atol, positive=False)
    _check_number("rtol", rtol, positive=False)
    leaves, output = _evaluate(f, inputs, "gradgradcheck()")
    names = [leaf.name if leaf.name is not None else f"x{i}" for i, leaf in enumerate(leaves)]
    gradient = grad(output, leaves, create_graph=True)
    analytical = [[d.data for d in grad(component, leaves)] for component in gradient]
    point = [leaf.data for leaf in leaves]
    numerical_columns = []
    for i in range(len(point)):
        above = _gradient_at(f, point, i, eps, names)
        below = _gradient_at(f, point, i, -eps, names)
        numerical_columns.append([(a - b) / (2 * eps) for a, b in zip(above, below, strict=True)])
    comparisons = [
        _Comparison(f"d/d{names[i]} (df/d{names[j]})", analytical[j][i], numerical_columns[i][j])
        for j in range(len(point))
        for i in range(len(point))
    ]
    bad = [not c.close(atol, rtol) for c in comparisons]
    if not any(bad):
        return True
    if not raise_exception:
        return False
    shown_point = ", ".join(f"{name} = {x!r}" for name, x in zip(names, point, strict=True))
    raise GradgradcheckError(_report(comparisons, bad, shown_point, eps=eps, atol=atol, rtol=rtol))


def _check_number(name: str, x: object, *, positive: bool) -> None:
    number = float(x) if isinstance(x, numbers.Real) and not isinstance(x, bool) else math.nan
    if not (math.isfinite(number) and (number > 0 if positive else number >= 0)):
        raise ValueError(f"gradgradcheck() {name} must be a finite number {'>' if positive else '>='} 0, got {x!r}")


def _gradient_at(
    f: Callable[..., Value], point: Sequence[float], index: int, step: float, names: list[str]
) -> list[float]:
    """The gradient of f (float path) with input `index` moved by `step`."""
    moved = [x + step if k == index else x for k, x in enumerate(point)]
    try:
        leaves, output = _evaluate(f, moved, "gradgradcheck()")
        return [d.data for d in grad(output, leaves)]
    except (ArithmeticError, ValueError) as error:
        raise ValueError(
            f"f is undefined near the point (moving {names[index]} by {step:+g} raised "
            f"{type(error).__name__}: {error}); central differences need f and its gradient defined "
            "within eps of the point: move the point away from the edge of the domain, or lower eps"
        ) from error


_MAX_ROWS = 12
"""Above this many second derivatives the report shows the mismatches only."""

# The report below is a small formatter of its own, in the layout of `gradcheck`'s table; it is
# meant to give way to gradcheck's shared report code once both live on the same branch.


@dataclass(frozen=True)
class _Comparison:
    label: str
    analytical: float
    numerical: float

    @property
    def abs_error(self) -> float:
        return abs(self.analytical - self.numerical)

    @property
    def rel_error(self) -> float:
        if self.abs_error == 0:
            return 0.0
        return self.abs_error / abs(self.numerical) if self.numerical else math.inf

    def close(self, atol: float, rtol: float) -> bool:
        # equal infinities are close; NaN on either side never is
        return self.analytical == self.numerical or self.abs_error <= atol + rtol * abs(self.numerical)


def _report(comparisons: Sequence[_Comparison], bad: Sequence[bool], point: str, *, eps: float, atol: float,
            rtol: float) -> str:
    header = ["second derivative", "analytical", "numerical", "abs error", "rel error"]
    rows = [
        [c.label, f"{c.analytical:.10g}", f"{c.numerical:.10g}", f"{c.abs_error:.1e}", f"{c.rel_error:.1e}"]
        for c in comparisons
    ]
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str], mark: str, note: str = "") -> str:
        text = "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return f"  {mark} {text}  {note}".rstrip()

    shown = list(zip(rows, bad, strict=True))
    hidden = 0
    if len(shown) > _MAX_ROWS:
        # a whole network's Hessian: the mismatches only
        mismatches = [row for row in shown if row[1]][:_MAX_ROWS]
        hidden, shown = len(shown) - len(mismatches), mismatches
    first = [is_bad for _, is_bad in shown].index(True)
    lines = [
        f"gradgradcheck: second derivatives disagree with central differences of first derivatives "
        f"for {sum(bad)} of {len(bad)} entries",
        "",
        f"  point: {point}",
        f"  a mismatch is |analytical − numerical| > atol + rtol·|numerical|  (atol={atol:g}, rtol={rtol:g}, "
        f"eps={eps:g})",
        "",
        line(header, " "),
    ]
    lines += [
        line(cells, "✗" if is_bad else " ", "← first mismatch" if k == first else "")
        for k, (cells, is_bad) in enumerate(shown)
    ]
    if hidden:
        lines.append(f"    ... and {hidden} more rows, not shown")
    return "\n".join(lines)
