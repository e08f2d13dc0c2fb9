"""`gradgradcheck`: second derivatives against central differences of first derivatives.

The second derivatives come from differentiating `grad(..., create_graph=True)`, that is from
every op's derivative rule evaluated on the `Value` backend; the numbers they are checked against
are central differences of the gradient on floats. A rule that is right on floats but computes
with numbers on Values passes `gradcheck` and fails this check.

>>> from autodiff import gradgradcheck
>>> gradgradcheck(lambda x, y: (x * y).tanh(), [0.5, -1.25])
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from autodiff._diagnosis import diagnose
from autodiff._report import Comparison, mismatch_report
from autodiff.derivatives import grad
from autodiff.gradcheck import GradcheckError, Inputs, _check_step, _check_tolerance, _numerical_jacobian, _Point
from autodiff.value import Value

__all__ = ["gradgradcheck"]


def gradgradcheck(
    f: Callable[..., Value],
    inputs: Inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Whether the second derivatives of `f` at `inputs` match central differences of its gradient.

    `f` and `inputs` are as for `gradcheck` (one `Value` per input, by keyword when `inputs` is
    a mapping), except that `f` returns one `Value`. Every second derivative d/dx_i (df/dx_j),
    from differentiating ``grad(f, inputs, create_graph=True)``, is compared with
    ``(df/dx_j at x + eps·e_i − df/dx_j at x − eps·e_i) / 2·eps``, the gradient taken on floats;
    they match when ``|analytical − numerical| <= atol + rtol·|numerical|``, as in `gradcheck`
    and PyTorch's ``gradgradcheck``. At a kink (``relu`` at 0) they legitimately differ.

    Returns True, or raises `GradcheckError` with `gradcheck`'s table, one row per second
    derivative (output df/dx_j, input x_i), the first mismatch marked (returns False if
    `raise_exception` is False). Raises `ValueError` if f is undefined within `eps` of the
    point. Every ``.data`` and ``.grad`` is left as it was found.
    """
    _check_step(eps)
    _check_tolerance("atol", atol)
    _check_tolerance("rtol", rtol)
    point = _Point.of(inputs, "gradgradcheck()")
    leaves = point.leaves

    def gradient(create_graph: bool) -> Callable[..., list[Value]]:
        def of(*args: Value, **kwargs: Value) -> list[Value]:
            output = f(*args, **kwargs)
            if not isinstance(output, Value):
                raise TypeError(
                    f"gradgradcheck() needs f to return one Value, got {type(output).__name__} "
                    f"{output!r:.60}; for several outputs, check each one (did f compute with .data?)"
                )
            return grad(output, leaves, create_graph=create_graph)

        return of

    first = cast(list[Value], point.call(gradient(create_graph=True)))
    analytical = [[d.data for d in grad(component, leaves)] for component in first]
    numerical = _numerical_jacobian(gradient(create_graph=False), point, len(leaves), eps)
    comparisons = [
        Comparison(j, i, point.label(i), analytical[j][i], numerical[j][i])
        for j in range(len(leaves))
        for i in range(len(leaves))
    ]
    mismatches = [c for c in comparisons if not c.close(atol, rtol)]
    if not mismatches:
        return True
    if not raise_exception:
        return False
    outputs = [f"df/d{name}" if name is not None else f"df/d(input {j})" for j, name in enumerate(point.names)]
    wrong = mismatches[0]
    where = f"input {wrong.label} and {outputs[wrong.output]}"
    notes = [
        "second derivatives are read from the graph of f's gradient (grad(create_graph=True)): they go "
        "wrong where an op's derivative rule computes with numbers on the Value backend (float(), "
        ".data, math.* instead of the backend m), or where f uses .data or detach()",
        *diagnose(first[wrong.output], leaves[wrong.input], where, eps=eps, atol=atol, rtol=rtol),
    ]
    title = (
        f"gradgradcheck: {len(mismatches)} of {len(comparisons)} second derivatives disagree with "
        "central differences of first derivatives (a row is d(output)/d(input), the output a "
        "component of f's gradient)"
    )
    raise GradcheckError(
        mismatch_report(
            title,
            comparisons,
            point=point.shown(),
            atol=atol,
            rtol=rtol,
            eps=eps,
            output_labels=outputs,
            notes=notes,
        )
    )
