"""What counts as a number in an argument: a real number or an int, never a bool.

``True`` is an `int` to Python (and a `numbers.Real`), but a bool passed as a number is almost
always a mistake, so every argument check of the package asks these two functions.
"""

from __future__ import annotations

import numbers
from typing import TypeGuard

__all__ = ["is_int", "is_real"]


def is_real(x: object) -> TypeGuard[float]:
    """Whether `x` is a real number (a Python int or float, a numpy real scalar), not a bool."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def is_int(x: object) -> TypeGuard[int]:
    """Whether `x` is a Python int, not a bool."""
    return isinstance(x, int) and not isinstance(x, bool)
