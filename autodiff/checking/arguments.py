"""The checks of the arguments of `autodiff.testing`'s strategies: `InvalidArgument`, as Hypothesis raises."""

from __future__ import annotations

import math

from autodiff.core.reals import is_real
from autodiff.extras import needs_extra

with needs_extra("testing", "autodiff.testing"):
    from hypothesis.errors import InvalidArgument

__all__ = ["check_margin", "check_range"]


def check_range(min_value: float, max_value: float, where: str) -> None:
    """Raise `InvalidArgument` unless the bounds are finite numbers with min_value <= max_value."""
    for name, bound in (("min_value", min_value), ("max_value", max_value)):
        if not (is_real(bound) and math.isfinite(bound)):
            raise InvalidArgument(f"{where}() {name} must be a finite number, got {bound!r}")
    if min_value > max_value:
        raise InvalidArgument(f"{where}() needs min_value <= max_value, got {min_value!r} > {max_value!r}")


def check_margin(margin: float, where: str, name: str = "margin") -> None:
    """Raise `InvalidArgument` unless `margin` is a finite number >= 0."""
    if not (is_real(margin) and 0 <= margin < math.inf):
        raise InvalidArgument(f"{where}() {name} must be a finite number >= 0, got {margin!r}")
