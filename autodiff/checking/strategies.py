"""The implementation of `autodiff.testing`: strategies, the assertion, kink detection and program printing."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload

from autodiff.checking.comparison import shown_number
from autodiff.checking.diagnosis import _replay
from autodiff.checking.gradcheck import Inputs, Outputs, _Point, gradcheck
from autodiff.core._op_calls import apply_to_values, forward_on_floats
from autodiff.core.graph import topological_order
from autodiff.core.ops import OPS, VARIADIC, Interval, Op
from autodiff.core.value import Value
from autodiff.extras import needs_extra

with needs_extra("testing", "autodiff.testing"):
    from hypothesis import assume, currently_in_test_context
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument
    from hypothesis.strategies import SearchStrategy

__all__ = [
    "OpCall",
    "Program",
    "Step",
    "assert_gradients_close",
    "finite_floats",
    "op_inputs",
    "programs",
    "values",
]


# ---------------------------------------------------------------------------------------------
# numbers and leaves


def finite_floats(*, min_value: float = -10.0, max_value: float = 10.0) -> SearchStrategy[float]:
    """Floats from `min_value` to `max_value`, never NaN or infinite.

    The default range is one where float64 central differences of everyday functions are
    accurate to far better than `gradcheck`'s tolerances; widen it for functions that stay tame.
    """
    _check_range(min_value, max_value, "finite_floats")
    return st.floats(min_value=min_value, max_value=max_value, allow_nan=False, allow_infinity=False)


def values(
    *, min_value: float = -10.0, max_value: float = 10.0, name: str | None = None
) -> SearchStrategy[Value]:
    """Leaf `Value`s whose data is drawn from `finite_floats`, each named `name`."""
    if name is not None and not isinstance(name, str):
        raise InvalidArgument(f"values() name must be a str or None, got {type(name).__name__}")
    return finite_floats(min_value=min_value, max_value=max_value).map(lambda x: Value(x, name=name))


# ---------------------------------------------------------------------------------------------
# one op of the table

_NUDGE = 1e-4
"""How far each input is moved, both ways, to see that a step stays smooth around the point."""
_VALUE_BOUND = 1e3
"""The largest magnitude of any result, so rounding stays far below gradcheck's tolerances."""
_SLOPE_BOUND = 1e3
"""The largest derivative of any result with respect to any input."""


@dataclass(frozen=True)
class OpCall:
    """One op of the table with its drawn `inputs` and constant `arg`.

    Calling it applies the op: ``call(*values)`` to Values gives the engine's node,
    ``call(*floats)`` the forward rule's number, so ``gradcheck(call, call.inputs)`` checks the
    op's derivative at the drawn point.
    """

    op: Op
    inputs: tuple[float, ...]
    arg: Any = None

    @overload
    def __call__(self, *operands: Value) -> Value: ...
    @overload
    def __call__(self, *operands: float) -> float: ...
    def __call__(self, *operands: Any) -> Any:
        """The op applied to `operands`: a new node for Values, the forward rule's number for numbers."""
        if len(operands) != len(self.inputs):
            raise TypeError(f"{self!r} takes {len(self.inputs)} operands, got {len(operands)}")
        return _apply(self.op, operands, self.arg)

    def __repr__(self) -> str:
        return f"OpCall({_render(self.op, [repr(x) for x in self.inputs], self.arg)})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis prints drawn values with this hook; without it, every field of the Op
        printer.text(repr(self))


def op_inputs(
    op: Op | str,
    *,
    min_value: float = -10.0,
    max_value: float = 10.0,
    margin: float = 1e-3,
    args: SearchStrategy[Any] | None = None,
) -> SearchStrategy[OpCall]:
    """`op` (an `Op` or its name in `autodiff.OPS`) with inputs drawn inside its domain.

    Each input lies in ``[min_value, max_value]`` and inside the op's `Interval` for the drawn
    constant argument, at least `margin` away from the interval's finite ends, its poles and the
    op's kinks; the inputs of a variadic op also stay `margin` apart and away from a numeric
    constant argument, so `max` and `min` never tie. As in `programs`, the result stays within
    ±1e3 and its slope in each input below 1e3 (measured by moving the input ±1e-4), so
    ``gradcheck(call, call.inputs)`` is accurate over a wide range too (``0.001 ** -76`` is never
    drawn). The constant argument (an exponent, a slope, coefficients) is drawn too; pass `args`
    to draw it yourself, e.g. for an op of your own.
    """
    op = _resolve_op(op, "op_inputs")
    _check_range(min_value, max_value, "op_inputs")
    _check_margin(margin, "op_inputs")
    if args is None:
        signature = _signature(op, "op_inputs")
    elif isinstance(args, SearchStrategy):
        counts = _SIGNATURES.get(op.name, _NO_ARG).counts
        signature = _Signature(arg=lambda count: args, counts=counts)
    else:
        raise InvalidArgument(f"op_inputs() args must be a SearchStrategy, got {type(args).__name__}")
    return _op_calls(op, signature, min_value, max_value, margin)


@st.composite
def _op_calls(
    draw: st.DrawFn, op: Op, signature: _Signature, min_value: float, max_value: float, margin: float
) -> OpCall:
    count = op.arity if op.arity != VARIADIC else draw(signature.counts)
    arg = draw(signature.arg(count))
    # a numeric constant of a variadic op (max's bound) is kept apart from the inputs like they are
    taken = [arg] if op.arity == VARIADIC and isinstance(arg, float) else []
    inputs: list[float] = []
    for j in range(count):
        interval = op.input_domain(arg, j)
        low, high = max(min_value, interval.low + margin), min(max_value, interval.high - margin)
        if not low <= high:
            raise InvalidArgument(
                f"op_inputs({op.name!r}) has no input {j} within [{min_value}, {max_value}] at margin "
                f"{margin}: {op.name} needs {interval.describe()}"
            )
        avoid = (*interval.poles, *op.kinks, *taken)
        x = draw(st.floats(low, high).filter(_fit_for(interval, avoid, margin)))
        inputs.append(x)
        if op.arity == VARIADIC:
            taken.append(x)
    assume(_moderate(op, inputs, arg))
    return OpCall(op, tuple(inputs), arg)


def _moderate(op: Op, inputs: list[float], arg: Any) -> bool:
    """Whether `op`'s result at `inputs` and with each input moved by ±_NUDGE stays moderate.

    An absolute margin alone lets huge results and slopes through (``0.001 ** -76``), where central
    differences lose every digit: the same bounds as `programs` keep them out.
    """
    try:
        out = forward_on_floats(op, inputs, arg)
        if not abs(out) <= _VALUE_BOUND:
            return False
        for i, x in enumerate(inputs):
            above = forward_on_floats(op, [*inputs[:i], x + _NUDGE, *inputs[i + 1 :]], arg)
            below = forward_on_floats(op, [*inputs[:i], x - _NUDGE, *inputs[i + 1 :]], arg)
            if not abs(above - below) / (2 * _NUDGE) <= _SLOPE_BOUND:
                return False
    except (ArithmeticError, ValueError):
        return False
    return True


# ---------------------------------------------------------------------------------------------
# random programs


@dataclass(frozen=True)
class Step:
    """One line of a `Program`: `op` applied to earlier results (indices into inputs, then steps)."""

    op: Op
    operands: tuple[int, ...]
    arg: Any = None


@dataclass(frozen=True)
class Program:
    """A straight-line program over the op table, with the inputs it was drawn for.

    Results are numbered inputs first (``v0 .. v{n-1}``), then one per step; a step may use any
    earlier result, several times. ``program(*values)`` runs it on Values (building a graph) or on
    floats, and returns its outputs: the results of the steps no later step uses. Every step is
    inside its op's domain and away from kinks at `inputs` (not necessarily elsewhere).
    """

    inputs: tuple[float, ...]
    steps: tuple[Step, ...]
    outputs: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        used = {i for step in self.steps for i in step.operands}
        first = len(self.inputs)
        outputs = tuple(i for i in range(first, first + len(self.steps)) if i not in used)
        # frozen: the dataclass way to set a derived field
        object.__setattr__(self, "outputs", outputs)

    @overload
    def __call__(self, *inputs: Value) -> tuple[Value, ...]: ...
    @overload
    def __call__(self, *inputs: float) -> tuple[float, ...]: ...
    def __call__(self, *inputs: Any) -> tuple[Any, ...]:
        """The program's outputs for `inputs`: all Values (building a graph) or all numbers."""
        if len(inputs) != len(self.inputs):
            raise TypeError(f"this program takes {len(self.inputs)} inputs, got {len(inputs)}")
        results = list(inputs)
        for step in self.steps:
            results.append(_apply(step.op, [results[i] for i in step.operands], step.arg))
        return tuple(results[i] for i in self.outputs)

    def __repr__(self) -> str:
        shown_inputs = ", ".join(f"v{i}={x!r}" for i, x in enumerate(self.inputs))
        first = len(self.inputs)
        lines = [
            f"v{first + k} = {_render(step.op, [f'v{i}' for i in step.operands], step.arg)}"
            for k, step in enumerate(self.steps)
        ]
        returned = ", ".join(f"v{i}" for i in self.outputs)
        return f"program({shown_inputs}): {'; '.join(lines)}; return {returned}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis prints drawn values with this hook; the one-line repr reads best
        printer.text(repr(self))


_ATTEMPTS = 8
"""Steps tried before a program stops growing."""


def programs(
    *,
    n_inputs: int | SearchStrategy[int] = 3,
    max_ops: int = 8,
    ops: Iterable[Op | str] | None = None,
    min_value: float = -3.0,
    max_value: float = 3.0,
    margin: float = 1e-2,
) -> SearchStrategy[Program]:
    """Random straight-line `Program`s of 1 to `max_ops` steps over `ops` (all of `autodiff.OPS`).

    The inputs are drawn first, in ``[min_value, max_value]``; then each step draws an op, its
    constant argument and its operands among the earlier results, keeping only steps that are
    inside the op's domain at least `margin` from its poles, domain ends and kinks (and, for an op
    of many inputs, from ties), that stay on the same side of each when any input moves a little,
    and whose results and slopes stay moderate. So central differences (with `gradcheck`'s
    default ``eps``, or any below 1e-4) are accurate on every drawn program, and a gradient
    mismatch means a wrong gradient.
    """
    if isinstance(n_inputs, SearchStrategy):
        inputs_count = n_inputs
    elif isinstance(n_inputs, int) and not isinstance(n_inputs, bool) and n_inputs >= 1:
        inputs_count = st.just(n_inputs)
    else:
        raise InvalidArgument(f"programs() n_inputs must be an int >= 1 or a strategy, got {n_inputs!r}")
    if not isinstance(max_ops, int) or isinstance(max_ops, bool) or max_ops < 1:
        raise InvalidArgument(f"programs() max_ops must be an int >= 1, got {max_ops!r}")
    if isinstance(ops, str):
        raise InvalidArgument(f"programs() ops must be a list of op names such as [{ops!r}], not the string {ops!r}")
    chosen = [_resolve_op(op, "programs") for op in (OPS.values() if ops is None else ops)]
    if not chosen:
        raise InvalidArgument("programs() ops must name at least one op")
    # pairs, not a dict: an Op hashes by its fields, and a test may swap its derivative
    choices = tuple((op, _signature(op, "programs")) for op in chosen)
    _check_range(min_value, max_value, "programs")
    _check_margin(margin, "programs")
    if not any(_runs_in(op, signature, min_value, max_value, margin) for op, signature in choices):
        names = ", ".join(dict.fromkeys(op.name for op in chosen))
        raise InvalidArgument(
            f"programs() can never make a first step: no input in [{min_value}, {max_value}] (at margin "
            f"{margin}) is inside the domain of any of the ops {names}; widen the range or add ops"
        )
    return _programs(inputs_count, max_ops, choices, min_value, max_value, margin)


@st.composite
def _programs(
    draw: st.DrawFn,
    inputs_count: SearchStrategy[int],
    max_ops: int,
    choices: tuple[tuple[Op, _Signature], ...],
    min_value: float,
    max_value: float,
    margin: float,
) -> Program:
    n = draw(inputs_count)
    if n < 1:
        raise InvalidArgument(f"programs() n_inputs drew {n}: a program needs at least one input")
    inputs = tuple(draw(finite_floats(min_value=min_value, max_value=max_value)) for _ in range(n))
    # every result is kept at the point and at the point with one input moved by ±_NUDGE
    moves = [(i, sign * _NUDGE) for i in range(n) for sign in (1, -1)]
    results = [[x] + [x + step if i == j else x for i, step in moves] for j, x in enumerate(inputs)]
    steps: list[Step] = []
    for _ in range(draw(st.integers(1, max_ops))):
        for _attempt in range(_ATTEMPTS):
            op, signature = draw(st.sampled_from(choices))
            drawn = _draw_step(draw, op, signature, results, margin)
            if drawn is not None:
                steps.append(drawn[0])
                results.append(drawn[1])
                break
        else:
            break
    assume(steps)
    return Program(inputs, tuple(steps))


def _draw_step(
    draw: st.DrawFn, op: Op, signature: _Signature, results: list[list[float]], margin: float
) -> tuple[Step, list[float]] | None:
    """A step of `op` over `results` and its result at every copy of the point, or None if unfit."""
    count = op.arity if op.arity != VARIADIC else draw(signature.counts)
    arg = draw(signature.arg(count))
    operands = []
    for j in range(count):
        interval = op.input_domain(arg, j)
        fit = [i for i, result in enumerate(results) if _inside(result[0], interval, op.kinks, margin)]
        if not fit:
            return None
        # half the time the latest fit result, so that programs grow deep as well as wide
        operands.append(fit[-1] if draw(st.booleans()) else draw(st.sampled_from(fit)))
    columns = [results[i] for i in operands]
    outs = []
    for copy in zip(*columns, strict=True):
        try:
            out = forward_on_floats(op, copy, arg)
        except (ArithmeticError, ValueError):
            return None
        if not abs(out) <= _VALUE_BOUND:
            return None
        outs.append(out)
    slopes = (abs(outs[k] - outs[k + 1]) / (2 * _NUDGE) for k in range(1, len(outs), 2))
    if any(slope > _SLOPE_BOUND for slope in slopes):
        return None
    apart: list[tuple[list[float], list[float] | float]] = [(column, kink) for column in columns for kink in op.kinks]
    if op.arity == VARIADIC:
        # a tie of max/min between different results, or with its constant bound
        distinct = dict(zip(operands, columns, strict=True))
        apart += [(a, b) for k, a in enumerate(distinct.values()) for b in list(distinct.values())[k + 1 :]]
        if isinstance(arg, float):
            apart += [(column, arg) for column in columns]
    if not all(_separated(a, b, margin) for a, b in apart):
        return None
    return Step(op, tuple(operands), arg), outs


def _runs_in(op: Op, signature: _Signature, min_value: float, max_value: float, margin: float) -> bool:
    """Whether `op` (at its widest constant argument) takes inputs from ``[min_value, max_value]``."""
    for j in range(max(op.arity, 1)):
        interval = op.input_domain(signature.widest, j)
        ends = [end for end in (interval.low, interval.high) if math.isfinite(end)]
        # where the allowed points start and stop: the range's ends, or a margin from a point to avoid
        candidates = [min_value, max_value] + [
            point + side * margin for point in (*ends, *interval.poles, *op.kinks) for side in (1, -1)
        ]
        if not any(
            min_value <= x <= max_value and _inside(x, interval, op.kinks, margin * (1 - 1e-9)) for x in candidates
        ):
            return False
    return True


def _fit_for(interval: Interval, avoid: Sequence[float], margin: float) -> Callable[[float], bool]:
    """Whether a number is in `interval` and at least `margin` from each of `avoid`."""
    return lambda x: x in interval and all(abs(x - a) >= margin for a in avoid)


def _inside(x: float, interval: Interval, kinks: Sequence[float], margin: float) -> bool:
    """Whether `x` is in `interval`, at least `margin` from its finite ends, poles and `kinks`."""
    ends = [end for end in (interval.low, interval.high) if math.isfinite(end)]
    return x in interval and all(abs(x - point) >= margin for point in (*ends, *interval.poles, *kinks))


def _separated(a: list[float], b: list[float] | float, margin: float) -> bool:
    """Whether `a` stays on one side of `b` at every copy of the point, `margin` apart at the point.

    Results that differ by the same amount at every copy (``x`` and ``x + 0``) are exempt: their
    derivatives agree, so which of them max picks does not change the gradient.
    """
    gaps = [x - y for x, y in zip(a, b, strict=True)] if isinstance(b, list) else [x - b for x in a]
    if all(gap == gaps[0] for gap in gaps) and isinstance(b, list):
        return True
    side = gaps[0] > 0
    return abs(gaps[0]) >= margin and all((gap > 0) == side and gap != 0 for gap in gaps)


# ---------------------------------------------------------------------------------------------
# the assertion


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
    _check_margin(kink_margin, "assert_gradients_close", "kink_margin")
    if kinks == "skip":
        point = _Point.of(inputs, "assert_gradients_close()", f)
        near = _near_kink(point.outputs(f), point.leaves, kink_margin * max(1.0, *map(abs, point.data)), eps)
        if near is not None:
            if currently_in_test_context():
                assume(False)
            raise ValueError(
                f"assert_gradients_close(kinks='skip'): {near}, so this point is not checked; inside a "
                "Hypothesis test the example is discarded, outside one pick a point away from it"
            )
    gradcheck(f, inputs, eps=eps, atol=atol, rtol=rtol, fast_mode=fast_mode)


def _gap(a: Value, b: Value | float, moved: Mapping[Value, float]) -> float:
    """a − b where `moved` gives the numbers of moved nodes (the others keep theirs)."""
    other = moved.get(b, b.data) if isinstance(b, Value) else b
    return moved.get(a, a.data) - other


_SELECTING = frozenset({"max", "min"})
"""Ops of the table that pass the gradient to one chosen input: a tie between inputs is a kink."""


def _near_kink(outputs: Sequence[Value], leaves: Sequence[Value], margin: float, eps: float) -> str | None:
    """Which op of the graph has an input within `margin` of a kink or a tie, or crosses one within `eps`."""
    order = list(dict.fromkeys(node for out in outputs for node in topological_order(out)))
    ops = [node for node in order if node.op is not None]
    # the graph replayed on floats with each input moved both ways, as the diagnosis does
    moves = [moved for leaf in leaves for step in (eps, -eps) if (moved := _replay(ops, leaf, step)) is not None]
    for node in ops:
        op = node.op
        assert op is not None
        call = f"{op.name}({', '.join(shown_number(p.data) for p in node.parents)})"
        distinct = list(dict.fromkeys(node.parents))
        # (what, a, b): a point of a kink or tie is where a − b changes sign
        pairs: list[tuple[str, Value, Value | float]] = [
            (f"at its kink {kink:g}", p, kink) for p in distinct for kink in op.kinks
        ]
        if op.name in _SELECTING:
            pairs += [("at a tie of its inputs", p, q) for k, p in enumerate(distinct) for q in distinct[k + 1 :]]
            if isinstance(node.arg, float):
                pairs += [(f"at a tie with its bound {node.arg:g}", p, node.arg) for p in distinct]
        for what, a, b in pairs:
            here = _gap(a, b, {})
            around = [_gap(a, b, moved) for moved in moves]
            if all(g == here for g in around):
                # the gap does not move with any input (x − x, a constant): no slope changes across it
                continue
            if abs(here) < margin or any((g > 0) != (here > 0) or g == 0 for g in around):
                return f"{call} is {what} (within {margin:.3g} of it, or crossing it within eps={eps:g})"
    return None


# ---------------------------------------------------------------------------------------------
# what each op takes besides its inputs


@dataclass(frozen=True)
class _Signature:
    """How to draw what an op takes besides its inputs: its constant argument, its input count."""

    arg: Callable[[int], SearchStrategy[Any]]
    counts: SearchStrategy[int] = st.integers(1, 4)
    widest: Any = None
    """A constant argument it draws at which the op's domain is widest (for `pow_const`, an integer)."""


# constants are multiples of 1/4: exact in binary, readable in a failing example
_CONSTANTS = st.integers(-20, 20).map(lambda k: k / 4)
_NO_ARG = _Signature(arg=lambda count: st.none())
_CONSTANT = _Signature(arg=lambda count: _CONSTANTS)
_BOUND = _Signature(arg=lambda count: st.none() | _CONSTANTS)

_SIGNATURES: dict[str, _Signature] = {
    "add_const": _CONSTANT,
    "rsub_const": _CONSTANT,
    "mul_const": _CONSTANT,
    "div_const": _Signature(arg=lambda count: _CONSTANTS.filter(bool)),
    "rdiv_const": _CONSTANT,
    # integer and fractional exponents from -3 to 4; the domain depends on which
    "pow_const": _Signature(arg=lambda count: st.integers(-12, 16).map(lambda k: k / 4), widest=2.0),
    "rpow_const": _Signature(arg=lambda count: st.integers(1, 20).map(lambda k: k / 4)),
    "leaky_relu": _Signature(arg=lambda count: st.just(0.01) | st.integers(-4, 4).map(lambda k: k / 4)),
    "sum": _CONSTANT,
    # w_0..w_k−1 then x_0..x_k−1: an even count
    "dot": _Signature(arg=lambda count: st.none(), counts=st.integers(1, 2).map(lambda k: 2 * k)),
    "linear": _Signature(arg=lambda count: st.tuples(*[_CONSTANTS] * count)),
    "max": _BOUND,
    "min": _BOUND,
}
"""The constant argument and input count of each op of the table that needs more than none and 1-4."""


def _signature(op: Op, where: str) -> _Signature:
    signature = _SIGNATURES.get(op.name, _NO_ARG) if OPS.get(op.name) is op else _NO_ARG
    if signature is _NO_ARG and "{arg}" in op.template:
        raise InvalidArgument(
            f"{where}() does not know how to draw the constant argument of op {op.name!r}"
            + (": pass args=" if where == "op_inputs" else "")
        )
    return signature


# ---------------------------------------------------------------------------------------------
# helpers


def _apply(op: Op, operands: Sequence[Any], arg: Any) -> Any:
    """`op` on Values (a new node) or on numbers (the forward rule), never a mix."""
    if all(isinstance(x, Value) for x in operands):
        return apply_to_values(op, operands, arg)
    if not any(isinstance(x, Value) for x in operands):
        return forward_on_floats(op, [float(x) for x in operands], arg)
    raise TypeError(f"{op.name} needs all its operands to be Values or all numbers, not a mix")


def _render(op: Op, operands: Sequence[str], arg: Any) -> str:
    """One op as a line of a program: ``v0 × v1``, ``v0 ** 3.0``, ``tanh(v0)``, ``max(v0, v1)``."""
    template = op.template
    symbolic = not any(ch.isalpha() for ch in template.replace("{arg}", ""))
    if op.arity == 2 and symbolic:
        return f"{operands[0]} {template} {operands[1]}"
    if op.arity == 1 and symbolic and "{arg}" in template:
        symbol = template.replace("{arg}", "").strip()
        if template.startswith("{arg}"):
            return f"{arg!r} {symbol} {operands[0]}"
        return f"{operands[0]} {symbol} {arg!r}"
    if op.arity == 1 and symbolic:
        return f"{template}{operands[0]}"
    shown = list(operands)
    if arg is not None:
        shown.append(repr(arg) if op.arity == 1 else f"arg={arg!r}")
    return f"{op.name}({', '.join(shown)})"


def _resolve_op(op: object, where: str) -> Op:
    if isinstance(op, Op):
        return op
    if isinstance(op, str) and op in OPS:
        return OPS[op]
    raise InvalidArgument(
        f"{where}() takes an Op or the name of one in autodiff.OPS ({', '.join(OPS)}), got {op!r}"
    )


def _check_range(min_value: float, max_value: float, where: str) -> None:
    for name, bound in (("min_value", min_value), ("max_value", max_value)):
        if not (isinstance(bound, numbers.Real) and not isinstance(bound, bool) and math.isfinite(bound)):
            raise InvalidArgument(f"{where}() {name} must be a finite number, got {bound!r}")
    if min_value > max_value:
        raise InvalidArgument(f"{where}() needs min_value <= max_value, got {min_value!r} > {max_value!r}")


def _check_margin(margin: float, where: str, name: str = "margin") -> None:
    if not (isinstance(margin, numbers.Real) and not isinstance(margin, bool) and 0 <= margin < math.inf):
        raise InvalidArgument(f"{where}() {name} must be a finite number >= 0, got {margin!r}")
