"""The strategies of `autodiff.testing`: numbers, leaves, one op with its inputs, random programs."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from autodiff.checking.arguments import check_margin, check_range
from autodiff.checking.programs import OpCall, Program, Step
from autodiff.core.ops import OPS, VARIADIC, Interval, Op
from autodiff.core.reals import is_int
from autodiff.core.value import Value
from autodiff.extras import needs_extra

with needs_extra("testing", "autodiff.testing"):
    from hypothesis import assume
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument
    from hypothesis.strategies import SearchStrategy

__all__ = ["finite_floats", "op_inputs", "programs", "values"]


# ---------------------------------------------------------------------------------------------
# numbers and leaves


def finite_floats(*, min_value: float = -10.0, max_value: float = 10.0) -> SearchStrategy[float]:
    """Floats from `min_value` to `max_value`, never NaN or infinite.

    The default range is one where float64 central differences of everyday functions are
    accurate to far better than `gradcheck`'s tolerances; widen it for functions that stay tame.
    """
    check_range(min_value, max_value, "finite_floats")
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
    drawn). The constant argument is drawn too, as its `Op.constant` says (multiples of 1/4 from
    -5 to 5 that it may take; none for an op without one); pass `args` to draw it yourself.
    """
    op = _resolve_op(op, "op_inputs")
    check_range(min_value, max_value, "op_inputs")
    check_margin(margin, "op_inputs")
    if args is None:
        signature = _signature(op)
    elif isinstance(args, SearchStrategy):
        signature = _Signature(arg=lambda count: args, counts=_signature(op).counts)
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
        out = op.on_floats(inputs, arg)
        if not abs(out) <= _VALUE_BOUND:
            return False
        for i, x in enumerate(inputs):
            above = op.on_floats([*inputs[:i], x + _NUDGE, *inputs[i + 1 :]], arg)
            below = op.on_floats([*inputs[:i], x - _NUDGE, *inputs[i + 1 :]], arg)
            if not abs(above - below) / (2 * _NUDGE) <= _SLOPE_BOUND:
                return False
    except (ArithmeticError, ValueError):
        return False
    return True


# ---------------------------------------------------------------------------------------------
# random programs


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
    elif is_int(n_inputs) and n_inputs >= 1:
        inputs_count = st.just(n_inputs)
    else:
        raise InvalidArgument(f"programs() n_inputs must be an int >= 1 or a strategy, got {n_inputs!r}")
    if not is_int(max_ops) or max_ops < 1:
        raise InvalidArgument(f"programs() max_ops must be an int >= 1, got {max_ops!r}")
    if isinstance(ops, str):
        raise InvalidArgument(f"programs() ops must be a list of op names such as [{ops!r}], not the string {ops!r}")
    chosen = [_resolve_op(op, "programs") for op in (OPS.values() if ops is None else ops)]
    if not chosen:
        raise InvalidArgument("programs() ops must name at least one op")
    # pairs, not a dict: an Op hashes by its fields, and a test may swap its derivative
    choices = tuple((op, _signature(op)) for op in chosen)
    check_range(min_value, max_value, "programs")
    check_margin(margin, "programs")
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
            out = op.on_floats(copy, arg)
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
    """Whether `op` (at one of the constant arguments it draws) takes inputs from ``[min_value, max_value]``."""
    return any(_runs_with(op, arg, min_value, max_value, margin) for arg in signature.candidates)


def _runs_with(op: Op, arg: Any, min_value: float, max_value: float, margin: float) -> bool:
    for j in range(max(op.arity, 1)):
        interval = op.input_domain(arg, j)
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
# what each op takes besides its inputs


@dataclass(frozen=True)
class _Signature:
    """How to draw what an op takes besides its inputs: its constant argument, its input count."""

    arg: Callable[[int], SearchStrategy[Any]]
    counts: SearchStrategy[int] = st.integers(1, 4)
    candidates: tuple[Any, ...] = (None,)
    """Constant arguments it may draw, to find one at which the op takes inputs in a range."""


# constants are multiples of 1/4: exact in binary, readable in a failing example (shrinking to 0)
_GRID = tuple(k / 4 for k in range(-20, 21))
_GRID_DRAWS = st.integers(-20, 20).map(lambda k: k / 4)


def _signature(op: Op) -> _Signature:
    """What `op` takes besides its inputs, from its `Op.constant` and `Op.paired`."""
    # w_0..w_k−1 then x_0..x_k−1: an even count
    counts = st.integers(1, 2).map(lambda k: 2 * k) if op.paired else st.integers(1, 4)
    constant = op.constant
    if constant is None:
        return _Signature(arg=lambda count: st.none(), counts=counts)
    numbers = tuple(c for c in _GRID if c in constant.values)
    constants = _GRID_DRAWS.filter(lambda c: c in constant.values)
    if constant.per_input:
        return _Signature(arg=lambda count: st.tuples(*[constants] * count), counts=counts)
    if constant.optional:
        return _Signature(arg=lambda count: st.none() | constants, counts=counts, candidates=(None, *numbers))
    return _Signature(arg=lambda count: constants, counts=counts, candidates=numbers)


def _resolve_op(op: object, where: str) -> Op:
    if isinstance(op, Op):
        return op
    if isinstance(op, str) and op in OPS:
        return OPS[op]
    raise InvalidArgument(
        f"{where}() takes an Op or the name of one in autodiff.OPS ({', '.join(OPS)}), got {op!r}"
    )
