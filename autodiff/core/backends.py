"""Backends: the elementary functions the op table is written against, for floats and arrays.

A backend provides every function of the `Backend` protocol. `FLOAT` runs the engine on Python
floats; `NUMPY` runs the same rules on arrays, one element per sample. (`Value`'s own backend,
used to differentiate derivatives, lives beside `Value`.)

Both follow IEEE 754 as numpy does, so the two agree: NaN propagates through `max_of`/`min_of`
wherever it sits, and `divide`/`power` give ±inf where Python's ``/`` and ``**`` would raise
(``0.5 / 0.0``, ``0.0 ** -0.5``, ``1e-200 ** -2``). Derivative rules use them where a local
derivative can be infinite at a point the forward rule accepts, so `backward()` never raises
(a derivative built as a graph of Values, with ``create_graph=True``, still raises there).
`weighted` is a product whose zero weight wins over an infinite or NaN factor: a term with a
zero coefficient is absent (``d/dx x ** y`` at y = 0 is 0 even where x ** −1 is inf).

At NaN, `sign` and `step` are NaN: the slope of abs, relu and leaky_relu at a NaN input is NaN,
so a gradient shows where a NaN came in (PyTorch gives 0, 1 and the slope).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any, Protocol, cast, runtime_checkable

import numpy as np

__all__ = ["FLOAT", "NUMPY", "Backend"]


@runtime_checkable
class Backend(Protocol):
    """Every function a rule of the op table may call on its backend ``m``.

    Each takes and returns the backend's numbers: floats, numpy arrays or Values. An op whose
    rule needs a new function adds it here and to each backend (tests check that all provide it).
    """

    def exp(self, x: Any) -> Any:
        """e ** x."""

    def log(self, x: Any) -> Any:
        """The natural logarithm."""

    def log1p(self, x: Any) -> Any:
        """log(1 + x), accurate near 0."""

    def sqrt(self, x: Any) -> Any:
        """The square root."""

    def tanh(self, x: Any) -> Any:
        """The hyperbolic tangent."""

    def sin(self, x: Any) -> Any:
        """The sine (NaN at ±inf)."""

    def cos(self, x: Any) -> Any:
        """The cosine (NaN at ±inf)."""

    def atan(self, x: Any) -> Any:
        """The arctangent."""

    def sigmoid(self, x: Any) -> Any:
        """1 / (1 + e ** −x), without overflow."""

    def maximum(self, x: Any, y: Any) -> Any:
        """The larger of x and y; NaN if either is."""

    def minimum(self, x: Any, y: Any) -> Any:
        """The smaller of x and y; NaN if either is."""

    def sign(self, x: Any) -> Any:
        """−1, 0 or 1 as a number (NaN for NaN)."""

    def step(self, x: Any) -> Any:
        """1 where x > 0, else 0 (NaN for NaN)."""

    def max_of(self, xs: Sequence[Any]) -> Any:
        """The largest of xs; NaN if any is."""

    def min_of(self, xs: Sequence[Any]) -> Any:
        """The smallest of xs; NaN if any is."""

    def first_match(self, xs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        """1 for the first of xs equal to out (or the first NaN if out is NaN), 0 for the others."""

    def divide(self, x: Any, y: Any) -> Any:
        """x / y with IEEE 754's ±inf and NaN instead of ZeroDivisionError."""

    def power(self, x: Any, y: Any) -> Any:
        """x ** y with IEEE 754's ±inf instead of ZeroDivisionError or OverflowError."""

    def weighted(self, weight: Any, factor: Any) -> Any:
        """weight · factor, but 0 where the weight is 0, even if the factor is ±inf or NaN."""


def _sigmoid(x: float) -> float:
    # the two branches keep exp's argument <= 0, so it never overflows
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _periodic(f: Any) -> Any:
    def wrapped(x: float) -> float:
        # math.sin(inf) raises; numpy and IEEE say NaN
        return f(x) if math.isfinite(x) else math.nan

    return wrapped


def _maximum(x: float, y: float) -> float:
    return x if x >= y or x != x else y


def _minimum(x: float, y: float) -> float:
    return x if x <= y or x != x else y


def _sign(x: float) -> float:
    # NaN in, NaN out, as numpy's sign
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0 if x == 0 else x


def _step(x: float) -> float:
    # NaN in, NaN out, as _sign
    return 1.0 if x > 0 else 0.0 if x <= 0 else x


def _weighted(weight: float, factor: float) -> float:
    return 0.0 if weight == 0 else weight * factor


def _max_of(xs: Sequence[float]) -> float:
    # builtin max keeps a NaN only when it comes first; numpy's maximum.reduce keeps it anywhere.
    # The sum is NaN when an input is (or when +inf meets -inf): one C-speed test for the usual case
    total = sum(xs)
    return max(xs) if total == total else _first_nan(xs, max)


def _min_of(xs: Sequence[float]) -> float:
    total = sum(xs)
    return min(xs) if total == total else _first_nan(xs, min)


def _first_nan(xs: Sequence[float], extremum: Callable[[Sequence[float]], float]) -> float:
    for x in xs:
        if x != x:
            return x
    return extremum(xs)  # no NaN after all: the sum met +inf and -inf


def _divide(x: float, y: float) -> float:
    try:
        return x / y
    except ZeroDivisionError:
        # IEEE 754: a nonzero number over ±0 is an infinity signed by both, 0/0 and NaN/0 are NaN
        if x != x or x == 0:
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)


def _power(x: float, y: float) -> float:
    try:
        power: float = x**y  # typeshed: float ** float may be complex; not for bases the domain allows
        return power
    except ArithmeticError:
        # 0 ** negative (ZeroDivisionError) and overflow (OverflowError): IEEE 754 gives an
        # infinity, negative only for a negative base (or -0.0) and an odd integer exponent
        return math.copysign(math.inf, x) if y % 2 == 1 else math.inf


def _first_match(xs: Sequence[Any], out: Any) -> tuple[float, ...]:
    # the first input equal to the result gets the whole gradient: when the result is NaN, the
    # first NaN input (none if the NaN came from the constant bound)
    target = out.data if hasattr(out, "data") else out
    mask = [0.0] * len(xs)
    for i, x in enumerate(xs):
        x = x.data if hasattr(x, "data") else x
        if x == target or (x != x and target != target):
            mask[i] = 1.0
            break
    return tuple(mask)


FLOAT: Backend = cast(Backend, SimpleNamespace(
    exp=math.exp,
    log=math.log,
    log1p=math.log1p,
    sqrt=math.sqrt,
    tanh=math.tanh,
    sin=_periodic(math.sin),
    cos=_periodic(math.cos),
    atan=math.atan,
    sigmoid=_sigmoid,
    maximum=_maximum,
    minimum=_minimum,
    sign=_sign,
    step=_step,
    max_of=_max_of,
    min_of=_min_of,
    first_match=_first_match,
    divide=_divide,
    power=_power,
    weighted=_weighted,
))
"""The backend of Python floats: the engine's first-order path."""


def _np_sigmoid(x: Any) -> Any:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _np_first_match(xs: Sequence[Any], out: Any) -> tuple[Any, ...]:
    taken = np.zeros(np.shape(out), dtype=bool)
    masks = []
    for x in xs:
        hit = ((x == out) | (np.isnan(x) & np.isnan(out))) & ~taken
        taken |= hit
        masks.append(hit.astype(float))
    return tuple(masks)


NUMPY: Backend = cast(Backend, SimpleNamespace(
    exp=np.exp,
    log=np.log,
    log1p=np.log1p,
    sqrt=np.sqrt,
    tanh=np.tanh,
    sin=np.sin,
    cos=np.cos,
    atan=np.arctan,
    sigmoid=_np_sigmoid,
    maximum=np.maximum,
    minimum=np.minimum,
    sign=lambda x: np.sign(x).astype(float),
    step=lambda x: np.where(np.isnan(x), np.nan, np.asarray(x) > 0),
    max_of=lambda xs: np.maximum.reduce(np.broadcast_arrays(*xs)),
    min_of=lambda xs: np.minimum.reduce(np.broadcast_arrays(*xs)),
    first_match=_np_first_match,
    divide=np.divide,
    power=np.power,
    weighted=lambda weight, factor: np.where(weight == 0, 0.0, weight * factor),
))
"""The backend of numpy arrays: every op elementwise over a batch of samples."""
