"""The op table: every operation of the engine, defined once.

Each `Op` holds an operation's forward rule and its local partial derivatives, written against
a *backend* ``m`` (a namespace of elementary functions: `autodiff.core.backends.FLOAT` for floats,
`autodiff.core.backends.NUMPY` for arrays, the `Value` backend for derivatives of derivatives), so
one entry serves the first-order engine, higher-order derivatives and batched replay.

Signatures, by arity:

- unary: ``forward(m, x, arg)`` and ``derivative(m, x, out, arg) -> dx``
- binary: ``forward(m, x, y, arg)`` and ``derivative(m, x, y, out, arg) -> (dx, dy)``
- variadic: ``forward(m, xs, arg)`` and ``derivative(m, xs, out, arg) -> (dx_0, dx_1, ...)``

``arg`` is the op's constant argument (the ``2`` of ``x * 2``, a leaky-ReLU slope), or None.

On floats and numpy arrays, a derivative rule never raises where its forward rule succeeded: where the slope is infinite
(``sqrt`` at 0, ``x ** 0.5`` at 0) or too large for a float, it is ±inf, as in PyTorch, by way of
the backend's IEEE `divide` and `power` instead of Python's ``/`` and ``**``, which raise. Plain
``/`` is kept where the op's domain already excludes a zero divisor. On Values (``create_graph=True``, Hessians)
the derivative's own graph divides a Value by 0 there, which raises a clear ZeroDivisionError.
The chain rule lives in the engine (`autodiff.core.graph`); this module knows nothing of `Value`.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from autodiff.core.backends import FLOAT

__all__ = ["OPS", "REALS", "VARIADIC", "Constant", "Interval", "Op", "Syntax"]

VARIADIC = -1
"""The arity of an op that takes any number of inputs (`sum`, `dot`, `max`, ...)."""

Syntax = Literal["infix", "prefix", "call"]
"""How an op is written in an expression or a printed program: ``x + y``, ``−x``, ``tanh(x)``."""


@dataclass(frozen=True)
class Interval:
    """The real numbers an op's input may take: from `low` to `high`, minus its `poles`.

    NaN is always accepted (it propagates like any float). Infinite bounds are inclusive, so
    ``log(inf)`` is ``inf``. A pole is a point where the op divides by zero: it raises
    `ZeroDivisionError`, any other point outside raises `ValueError`.
    """

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    poles: tuple[float, ...] = ()

    def __contains__(self, x: float) -> bool:
        """Whether `x` lies in the interval (NaN does)."""
        if x != x:
            return True
        above = x > self.low if self.low_open else x >= self.low
        below = x < self.high if self.high_open else x <= self.high
        return above and below and x not in self.poles

    def describe(self, name: str = "x") -> str:
        """The interval in words, e.g. ``x > 0`` or ``x != 0``."""
        parts = []
        if self.low > -math.inf:
            parts.append(f"{name} {'>' if self.low_open else '>='} {self.low:g}")
        if self.high < math.inf:
            parts.append(f"{name} {'<' if self.high_open else '<='} {self.high:g}")
        parts += [f"{name} != {pole:g}" for pole in self.poles]
        return " and ".join(parts) or "any real number"


REALS = Interval()
"""Every real number: the domain of most ops."""

POSITIVE = Interval(low=0.0, low_open=True)
NONZERO = Interval(poles=(0.0,))


@dataclass(frozen=True)
class Constant:
    """What an op's constant argument is, for tools that make one (test strategies, expressions).

    `name` is what it is called (``c``, ``slope``, ``bound``); `values` the numbers it may be;
    `default` what it is when a caller gives none (``leaky_relu``'s slope; None if it must be
    given). An `optional` constant may be None (``max`` without a bound); a `per_input` one is a
    tuple of one number per input (``linear``'s coefficients); a `leading` one is written before
    the input (``c − x``).
    """

    name: str
    values: Interval = REALS
    default: float | None = None
    optional: bool = False
    per_input: bool = False
    leading: bool = False


def _everywhere(arg: Any) -> tuple[Interval, ...]:
    return (REALS,)


@dataclass(frozen=True, slots=True)
class Op:
    """One operation of the engine: its forward rule, local derivatives, drawing label and domain.

    `domain(arg)` gives one `Interval` per input (a single one applies to every input); `check`
    tests inputs against it, and the engine calls it before `forward` when `checks_domain` is set.
    `kinks` are the points where the op is continuous but not differentiable: gradient checks
    and test strategies keep a margin from them. `template` renders the op for graph pictures,
    with ``{arg}`` standing for the constant argument.

    The other facts tools read: `constant` (what the constant argument is, None if the op takes
    none), `selects` (the gradient goes to one chosen input, as for ``max``: a tie of inputs is a
    kink), `paired` (the inputs are two halves, ``w`` then ``x``, as for ``dot``), `syntax` (how
    an expression writes it) and `method` (the `Value` method that makes it, or for an op of
    many inputs the function of `autodiff`; None if only an operator does). `formula` writes the
    forward rule out for a reader (the explorer page), with ``{x}``, ``{y}``, ``{xs}`` (all
    inputs) and ``{arg}`` to fill in; `partial_formulas` write out each input's local derivative
    in terms of ``x``, ``y``, ``out`` (the result) and ``c`` (the constant): one per input, one
    for all inputs of a variadic op.

    `forward_of` and `partials_of` run the rules with the inputs as one sequence, whatever the
    arity: ``forward_of(m, inputs, arg)`` and ``partials_of(m, inputs, out, arg) -> (d_0, ...)``.
    """

    name: str
    arity: int
    forward: Callable[..., Any]
    derivative: Callable[..., Any]
    template: str
    doc: str
    domain: Callable[[Any], tuple[Interval, ...]] = _everywhere
    kinks: tuple[float, ...] = ()
    constant: Constant | None = None
    selects: bool = False
    paired: bool = False
    syntax: Syntax = "call"
    method: str | None = None
    formula: str = ""
    partial_formulas: tuple[str, ...] = ()
    checks_domain: bool = field(init=False)
    forward_of: Callable[[Any, Sequence[Any], Any], Any] = field(init=False, repr=False, compare=False)
    partials_of: Callable[[Any, Sequence[Any], Any, Any], Sequence[Any]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # frozen: the dataclass way to set derived fields
        object.__setattr__(self, "checks_domain", self.domain is not _everywhere)
        # the one place that knows how each arity takes its inputs; the rules are read at each
        # call, not captured, so an entry's rule swapped on the object (as tests do) is the one run
        if self.arity == 1:
            forward_of = lambda m, xs, arg: self.forward(m, xs[0], arg)
            partials_of = lambda m, xs, out, arg: (self.derivative(m, xs[0], out, arg),)
        elif self.arity == 2:
            forward_of = lambda m, xs, arg: self.forward(m, xs[0], xs[1], arg)
            partials_of = lambda m, xs, out, arg: self.derivative(m, xs[0], xs[1], out, arg)
        else:
            forward_of = lambda m, xs, arg: self.forward(m, list(xs), arg)
            partials_of = lambda m, xs, out, arg: self.derivative(m, list(xs), out, arg)
        object.__setattr__(self, "forward_of", forward_of)
        object.__setattr__(self, "partials_of", partials_of)

    def label(self, arg: Any = None) -> str:
        """The op as shown in a picture of the graph, e.g. ``× 2``, ``** 3``, ``tanh``, ``− 0.5``."""
        # x − 0.5 is stored as x + (−0.5): shown as written, not as "+ -0.5"
        return self.template.format(arg=_short(arg)).replace("+ -", "− ")

    def input_domain(self, arg: Any, index: int) -> Interval:
        """The interval the `index`-th input must lie in."""
        intervals = self.domain(arg)
        return intervals[index] if index < len(intervals) else intervals[-1]

    def check(self, inputs: Sequence[float], arg: Any = None) -> None:
        """Raise `ValueError` (`ZeroDivisionError` at a pole) naming the op if `inputs` are outside its domain."""
        names = ("x", "y") if self.arity == 2 else ("x",) * len(inputs)
        for index, (name, x) in enumerate(zip(names, inputs, strict=True)):
            interval = self.input_domain(arg, index)
            if x in interval:
                continue
            error = ZeroDivisionError if x in interval.poles else ValueError
            raise error(
                f"{self.call_text(inputs, arg)} is undefined: {self.name} needs "
                f"{interval.describe(name)}, got {name} = {x!r} ({self.name}: {self.doc})"
            )

    def on_floats(self, inputs: Sequence[float], arg: Any = None) -> float:
        """The forward rule on floats, as the engine computes a node's data; raises as `check` does."""
        if self.checks_domain:
            self.check(inputs, arg)
        return self.forward_of(FLOAT, inputs, arg)  # type: ignore[no-any-return]

    def call_text(self, inputs: Sequence[float], arg: Any = None) -> str:
        """The op applied to `inputs` as error messages show it, e.g. ``log(-1.0)``."""
        shown = ", ".join(repr(x) for x in inputs)
        return f"{self.name}({shown})" if arg is None else f"{self.name}({shown}; {self.label(arg)})"

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


def _short(arg: Any) -> str:
    if isinstance(arg, tuple):
        shown = ", ".join(f"{a:.4g}" for a in arg[:4])
        return f"[{shown}{', ...' if len(arg) > 4 else ''}]"
    return f"{arg:.6g}" if isinstance(arg, float) else str(arg)


def _power_domain(exponent: float) -> tuple[Interval, ...]:
    if float(exponent).is_integer():
        return (REALS,) if exponent >= 0 else (NONZERO,)
    # a negative base with a non-integer exponent has no real power
    return (Interval(low=0.0),) if exponent > 0 else (Interval(low=0.0, low_open=True, poles=(0.0,)),)


def _power_derivative(m: Any, x: Any, out: Any, exponent: float) -> Any:
    # d/dx x**0 is 0 everywhere, including x = 0 where the general rule would divide by zero
    return exponent * m.power(x, exponent - 1) if exponent else 0.0


def _split_dot(m: Any, xs: Any, arg: Any) -> Any:
    half = len(xs) // 2
    return sum(map(operator.mul, xs[:half], xs[half:]))


def _dot_derivative(m: Any, xs: Any, out: Any, arg: Any) -> Any:
    half = len(xs) // 2
    return (*xs[half:], *xs[:half])


# the constant of arithmetic: x + c, c − x, ...
_C = Constant("c")
_LEADING_C = Constant("c", leading=True)

_TABLE = [
    # binary ops: both operands are Values
    Op("add", 2, lambda m, x, y, a: x + y, lambda m, x, y, out, a: (1.0, 1.0), "+",
       "x + y.", syntax="infix", method="__add__",
       formula="{x} + {y}", partial_formulas=("1", "1")),
    Op("sub", 2, lambda m, x, y, a: x - y, lambda m, x, y, out, a: (1.0, -1.0), "−",
       "x − y.", syntax="infix", method="__sub__",
       formula="{x} − {y}", partial_formulas=("1", "−1")),
    Op("mul", 2, lambda m, x, y, a: x * y, lambda m, x, y, out, a: (y, x), "×",
       "x · y.", syntax="infix", method="__mul__",
       formula="{x} × {y}", partial_formulas=("y", "x")),
    Op("div", 2, lambda m, x, y, a: x / y, lambda m, x, y, out, a: (1.0 / y, -out / y), "/",
       "x / y; y must not be 0.", domain=lambda a: (REALS, NONZERO), syntax="infix", method="__truediv__",
       formula="{x} / {y}", partial_formulas=("1 / y", "−out / y")),
    Op("pow", 2, lambda m, x, y, a: x**y, lambda m, x, y, out, a: (m.weighted(y, m.power(x, y - 1)), out * m.log(x)),
       "**", "x ** y with both a Value; the base x must be > 0 (the gradient to y needs log x); at y = 0 the "
       "gradient to x is 0, as for x ** 0 with a constant 0.",
       domain=lambda a: (POSITIVE, REALS), syntax="infix", method="__pow__",
       formula="{x} ** {y}", partial_formulas=("y · x ** (y − 1)", "out · log x")),
    # one Value and a constant, kept as the node's argument
    Op("add_const", 1, lambda m, x, a: x + a, lambda m, x, out, a: 1.0, "+ {arg}",
       "x + c for a constant c.", constant=_C, syntax="infix", method="__add__",
       formula="{x} + {arg}", partial_formulas=("1",)),
    Op("rsub_const", 1, lambda m, x, a: a - x, lambda m, x, out, a: -1.0, "{arg} −",
       "c − x for a constant c.", constant=_LEADING_C, syntax="infix", method="__rsub__",
       formula="{arg} − {x}", partial_formulas=("−1",)),
    Op("mul_const", 1, lambda m, x, a: x * a, lambda m, x, out, a: a, "× {arg}",
       "x · c for a constant c.", constant=_C, syntax="infix", method="__mul__",
       formula="{x} × {arg}", partial_formulas=("c",)),
    Op("div_const", 1, lambda m, x, a: x / a, lambda m, x, out, a: 1.0 / a, "/ {arg}",
       "x / c for a constant c != 0.", constant=Constant("c", values=NONZERO), syntax="infix",
       method="__truediv__",
       formula="{x} / {arg}", partial_formulas=("1 / c",)),
    Op("rdiv_const", 1, lambda m, x, a: a / x, lambda m, x, out, a: -out / x, "{arg} /",
       "c / x for a constant c; x must not be 0.", domain=lambda a: (NONZERO,), constant=_LEADING_C,
       syntax="infix", method="__rtruediv__",
       formula="{arg} / {x}", partial_formulas=("−out / x",)),
    Op("pow_const", 1, lambda m, x, a: x**a, _power_derivative, "** {arg}",
       "x ** c for a constant c; a negative x needs an integer c (at 0 its gradient is inf for 0 < c < 1).",
       domain=_power_domain, constant=Constant("exponent"), syntax="infix", method="__pow__",
       formula="{x} ** {arg}", partial_formulas=("c · x ** (c − 1)",)),
    Op("rpow_const", 1, lambda m, x, a: a**x, lambda m, x, out, a: out * math.log(a), "{arg} **",
       "c ** x for a constant c > 0.", constant=Constant("base", values=POSITIVE, leading=True),
       syntax="infix", method="__rpow__",
       formula="{arg} ** {x}", partial_formulas=("out · log c",)),
    # functions of one Value
    Op("neg", 1, lambda m, x, a: -x, lambda m, x, out, a: -1.0, "−", "−x.", syntax="prefix", method="__neg__",
       formula="−{x}", partial_formulas=("−1",)),
    Op("abs", 1, lambda m, x, a: abs(x), lambda m, x, out, a: m.sign(x), "abs",
       "|x|; its gradient at 0 is 0, at NaN NaN.", kinks=(0.0,), method="__abs__",
       formula="abs({x})", partial_formulas=("sign x",)),
    Op("exp", 1, lambda m, x, a: m.exp(x), lambda m, x, out, a: out, "exp",
       "e ** x; overflows (OverflowError) above about 709.78.", method="exp",
       formula="exp({x})", partial_formulas=("out",)),
    Op("log", 1, lambda m, x, a: m.log(x), lambda m, x, out, a: 1.0 / x, "log",
       "The natural logarithm; x must be > 0.", domain=lambda a: (POSITIVE,), method="log",
       formula="log({x})", partial_formulas=("1 / x",)),
    Op("sqrt", 1, lambda m, x, a: m.sqrt(x), lambda m, x, out, a: m.divide(0.5, out), "sqrt",
       "The square root; x must be >= 0 (at 0 its gradient is inf, as in PyTorch).",
       domain=lambda a: (Interval(low=0.0),), method="sqrt",
       formula="sqrt({x})", partial_formulas=("0.5 / out",)),
    Op("tanh", 1, lambda m, x, a: m.tanh(x), lambda m, x, out, a: 1.0 - out * out, "tanh",
       "The hyperbolic tangent.", method="tanh",
       formula="tanh({x})", partial_formulas=("1 − out²",)),
    Op("sigmoid", 1, lambda m, x, a: m.sigmoid(x), lambda m, x, out, a: out * (1.0 - out), "σ",
       "The logistic function 1 / (1 + e ** −x), computed without overflow.", method="sigmoid",
       formula="σ({x})", partial_formulas=("out · (1 − out)",)),
    Op("relu", 1, lambda m, x, a: m.maximum(x, 0.0), lambda m, x, out, a: m.step(x), "relu",
       "max(x, 0); its gradient at 0 is 0, at NaN NaN.", kinks=(0.0,), method="relu",
       formula="relu({x})", partial_formulas=("1 if x > 0 else 0",)),
    Op("leaky_relu", 1, lambda m, x, a: m.maximum(x, 0.0) + a * m.minimum(x, 0.0),
       lambda m, x, out, a: a + (1.0 - a) * m.step(x), "leaky_relu {arg}",
       "x for x > 0, slope · x otherwise; its gradient at 0 is the slope, at NaN NaN.", kinks=(0.0,),
       constant=Constant("slope", default=0.01), method="leaky_relu",
       formula="leaky_relu({x}, {arg})", partial_formulas=("1 if x > 0 else c",)),
    Op("sin", 1, lambda m, x, a: m.sin(x), lambda m, x, out, a: m.cos(x), "sin", "The sine.", method="sin",
       formula="sin({x})", partial_formulas=("cos x",)),
    Op("cos", 1, lambda m, x, a: m.cos(x), lambda m, x, out, a: -m.sin(x), "cos", "The cosine.", method="cos",
       formula="cos({x})", partial_formulas=("−sin x",)),
    Op("atan", 1, lambda m, x, a: m.atan(x), lambda m, x, out, a: 1.0 / (1.0 + x * x), "atan",
       "The arctangent, in radians from −π/2 to π/2.", method="atan",
       formula="atan({x})", partial_formulas=("1 / (1 + x²)",)),
    Op("softplus", 1, lambda m, x, a: m.maximum(x, 0.0) + m.log1p(m.exp(-abs(x))),
       lambda m, x, out, a: m.sigmoid(x), "softplus",
       "log(1 + e ** x), computed without overflow.", method="softplus",
       formula="softplus({x})", partial_formulas=("σ(x)",)),
    # any number of Values, one node
    Op("sum", VARIADIC, lambda m, xs, a: sum(xs, a), lambda m, xs, out, a: (1.0,) * len(xs),
       "Σ", "The sum of the inputs plus the constant argument.", constant=Constant("offset", default=0.0),
       method="sum",
       formula="Σ({xs}) + {arg}", partial_formulas=("1",)),
    Op("dot", VARIADIC, _split_dot, _dot_derivative, "dot",
       "Σ w_i · x_i; the inputs are w_0..w_n−1 then x_0..x_n−1.", paired=True, method="dot",
       formula="Σ w_i · x_i over w, x = ({xs})", partial_formulas=("x_i for w_i, w_i for x_i",)),
    Op("linear", VARIADIC, lambda m, xs, a: sum(map(operator.mul, a, xs)),
       lambda m, xs, out, a: a, "dot {arg}", "Σ c_i · x_i for constant coefficients c_i.",
       constant=Constant("coefficients", per_input=True), method="dot",
       formula="Σ c_i · x_i over x = ({xs}), c = {arg}", partial_formulas=("c_i",)),
    Op("max", VARIADIC, lambda m, xs, a: m.max_of(xs) if a is None else m.maximum(m.max_of(xs), a),
       lambda m, xs, out, a: m.first_match(xs, out), "max",
       "The largest input (and constant bound), NaN if any is NaN; the gradient goes to the first "
       "maximal input (the first NaN one).", constant=Constant("bound", optional=True), selects=True,
       method="max",
       formula="max({xs})", partial_formulas=("1 for the first largest input, 0 for the others",)),
    Op("min", VARIADIC, lambda m, xs, a: m.min_of(xs) if a is None else m.minimum(m.min_of(xs), a),
       lambda m, xs, out, a: m.first_match(xs, out), "min",
       "The smallest input (and constant bound), NaN if any is NaN; the gradient goes to the first "
       "minimal input (the first NaN one).", constant=Constant("bound", optional=True), selects=True,
       method="min",
       formula="min({xs})", partial_formulas=("1 for the first smallest input, 0 for the others",)),
]

OPS: dict[str, Op] = {op.name: op for op in _TABLE}
"""Every op of the engine, by name. Tests, gradient checks and pictures read this table."""
