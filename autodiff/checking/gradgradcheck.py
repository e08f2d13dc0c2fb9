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

from autodiff.checking.comparison import mismatch_report
from autodiff.checking.diagnosis import diagnose
from autodiff.checking.gradcheck import GradcheckError
from autodiff.checking.point import Inputs, Outputs, Point, as_outputs, check_settings, comparisons, numerical_jacobian
from autodiff.core.derivatives import grad
from autodiff.core.value import Value

__all__ = ["gradgradcheck"]


def gradgradcheck(
    f: Callable[..., Outputs],
    inputs: Inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Whether the second derivatives of `f` at `inputs` match central differences of its gradient.

    `f` and `inputs` are as for `gradcheck`: `f` takes one `Value` per input (by keyword when
    `inputs` is a mapping) and returns a `Value` or a sequence of them, each one checked. Every
    second derivative d/dx_i (df/dx_j) of every output f, from differentiating
    ``grad(f, inputs, create_graph=True)``, is compared with
    ``(df/dx_j at x + eps·e_i − df/dx_j at x − eps·e_i) / 2·eps``, the gradient taken on floats;
    they match when ``|analytical − numerical| <= atol + rtol·|numerical|``, as in `gradcheck`
    and PyTorch's ``gradgradcheck``. At a kink (``relu`` at 0) they legitimately differ.

    Returns True, or raises `GradcheckError` with `gradcheck`'s table, one row per second
    derivative (output df/dx_j, written df[k]/dx_j for output k of a sequence; input x_i), the
    first mismatch marked (returns False if `raise_exception` is False). Raises `ValueError` if f
    is undefined within `eps` of the point. Every ``.data`` and ``.grad`` is left as it was found.
    """
    check_settings(eps, atol, rtol)
    __tracebackhide__ = True  # pytest shows the caller's line and the report, not this function's source
    point = Point.of(inputs, "gradgradcheck()", f)
    leaves = point.leaves
    returned = point.call(f)
    outputs = as_outputs(returned)

    def gradients(*args: Value, **kwargs: Value) -> list[Value]:
        # every output's gradient on floats, one after the other, as `first` below
        return [d for output in as_outputs(f(*args, **kwargs)) for d in grad(output, leaves)]

    # component k·n + j is d(output k)/dx_j
    n = len(leaves)
    first = [d for output in outputs for d in grad(output, leaves, create_graph=True)]
    analytical = [[d.data for d in grad(component, leaves)] for component in first]
    numerical = numerical_jacobian(gradients, point, len(first), eps)
    compared = comparisons(analytical, numerical, point)
    mismatches = [c for c in compared if not c.close(atol, rtol)]
    if not mismatches:
        return True
    if not raise_exception:
        return False
    functions = ["f"] if isinstance(returned, Value) else [f"f[{k}]" for k in range(len(outputs))]
    labels = [
        f"d{function}/d{name}" if name is not None else f"d{function}/d(input {j})"
        for function in functions
        for j, name in enumerate(point.names)
    ]
    wrong = mismatches[0]
    where = f"input {wrong.label} and {labels[wrong.output]}"
    notes = [
        "second derivatives are read from the graph of f's gradient (grad(create_graph=True)): they go "
        "wrong where an op's derivative rule computes with numbers on the Value backend (float(), "
        ".data, math.* instead of the backend m), or where f uses .data or detach()",
        *diagnose(first[wrong.output], leaves[wrong.input], where, eps=eps, atol=atol, rtol=rtol),
    ]
    title = (
        f"gradgradcheck: {len(mismatches)} of {len(compared)} second derivatives disagree with "
        "central differences of first derivatives (a row is d(output)/d(input), the output a "
        "component of f's gradient)"
    )
    if len(functions) > 1:
        wrong_outputs = sorted({c.output // n for c in mismatches})
        title += f", wrong in {', '.join(functions[k] for k in wrong_outputs)} of the {len(functions)} outputs"
    raise GradcheckError(
        mismatch_report(
            title,
            compared,
            point=point.shown(),
            atol=atol,
            rtol=rtol,
            eps=eps,
            output_labels=labels,
            notes=notes,
        )
    )

