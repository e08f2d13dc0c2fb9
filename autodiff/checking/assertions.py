"""`assert_gradients_close`: `autodiff.gradcheck` as an assertion for Hypothesis tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from autodiff.checking.arguments import check_margin
from autodiff.checking.gradcheck import gradcheck
from autodiff.checking.kinks import near_kink
from autodiff.checking.point import Inputs, Outputs, Point
from autodiff.extras import needs_extra

with needs_extra("testing", "autodiff.testing"):
    from hypothesis import assume, currently_in_test_context
    from hypothesis.errors import InvalidArgument

__all__ = ["assert_gradients_close"]


def assert_gradients_close(
    f: Callable[..., Outputs],
    inputs: Inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    fast_mode: bool = False,
    kinks: Literal["report", "skip"] = "report",
    kink_margin: float = 1e-4,
) -> None:
    """Assert that `f`'s gradients at `inputs` match central differences: `autodiff.gradcheck`.

    For a ``@given`` test: it raises `autodiff.GradcheckError` (an `AssertionError`) with the
    table of derivatives, so Hypothesis shrinks to a small failing point and shows the table.

    A function with kinks (``abs(x - y)``, ``max(x, y) * x``) has no derivative where one of its
    ops sits on a kink or a tie, and Hypothesis finds such points at once (``x = y``). By default
    (``kinks="report"``) they fail like any mismatch, with a note that says "at a kink or a tie".
    With ``kinks="skip"``, `f` is first run once on Values, and if any op of its graph has an
    input within ``kink_margin · max(1, |inputs|)`` of one of the op's declared kinks (`Op.kinks`),
    or two inputs of `max`/`min` that close to a tie, or an input that crosses one when any input
    moves by ±`eps`, the point is not checked: inside a Hypothesis test the example is discarded
    (``hypothesis.assume(False)``), outside one `ValueError` says which op is at which kink.
    """
    __tracebackhide__ = True  # pytest shows the caller's line and the report, not this function's source
    if kinks not in ("report", "skip"):
        raise InvalidArgument(f"assert_gradients_close() kinks must be 'report' or 'skip', got {kinks!r}")
    check_margin(kink_margin, "assert_gradients_close", "kink_margin")
    if kinks == "skip":
        point = Point.of(inputs, "assert_gradients_close()", f)
        near = near_kink(point.outputs(f), point.leaves, kink_margin * max(1.0, *map(abs, point.data)), eps)
        if near is not None:
            if currently_in_test_context():
                assume(False)
            raise ValueError(
                f"assert_gradients_close(kinks='skip'): {near}, so this point is not checked; inside a "
                "Hypothesis test the example is discarded, outside one pick a point away from it"
            )
    gradcheck(f, inputs, eps=eps, atol=atol, rtol=rtol, fast_mode=fast_mode)
