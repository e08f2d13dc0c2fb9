"""Argument checks of `nn` and the pieces of their messages.

`is_real` and `is_int` are `autodiff`'s own (a bool is never a number); the rest words an error
about a value that may come from a file, so it never prints all of it.
"""

from __future__ import annotations

import math

from autodiff.core.reals import is_int, is_real

__all__ = ["clipped", "finite_float", "is_int", "is_real", "listed", "short"]


def finite_float(value: object) -> float:
    """`value` as a float if it is a finite real number; else an error whose message follows its name.

    What `load_state_dict` and `nn.load` accept for a parameter: the message reads "parameter w.0 <message>".
    """
    if not is_real(value):
        raise TypeError(f"is {short(value)}, not a number")
    try:
        number = float(value)
    except OverflowError:
        # log10, not str: str() refuses ints of over 4300 digits
        size = f"an integer near 1e{int(math.log10(abs(value)))}" if isinstance(value, int) else "a number"
        raise ValueError(f"is {size}, too large for a float (the largest is about 1.8e308)") from None
    if not math.isfinite(number):
        raise ValueError(f"is {number!r}, not a finite number")
    return number


def short(value: object, width: int = 60) -> str:
    """`value`'s repr, clipped to `width` characters: a value read from a file may be huge."""
    return clipped(repr(value), width)


def clipped(text: str, width: int) -> str:
    """`text`, cut to `width` characters with an ellipsis if longer."""
    return text if len(text) <= width else text[: width - 1] + "…"


def listed(names: list[str], shown: int = 5) -> str:
    """The first `shown` names, quoted, and how many more."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(map(repr, names[:shown])) + more
