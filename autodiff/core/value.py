"""`Value`: a scalar that records the operation that made it, and the n-ary ops over Values."""

from __future__ import annotations

import builtins
import contextlib
import contextvars
import functools
import inspect
import math
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from typing import Any, TypeVar, Union, cast

from autodiff.core.backends import FLOAT, Backend
from autodiff.core.graph import backpropagate, topological_order
from autodiff.core.ops import OPS, VARIADIC, Op
from autodiff.core.reals import is_real

__all__ = ["Number", "Operand", "Value", "apply", "dot", "max", "min", "no_grad", "sum", "variadic_node"]

Number = int | float
"""A plain number: Python `int`/`float` or a numpy real scalar."""
Operand = Union["Value", int, float]  # noqa: UP007 - a forward reference
"""What an arithmetic operator accepts on either side of a `Value`."""

# Per thread (and per asyncio task), as PyTorch's grad mode is per thread: a no_grad() in one
# thread leaves the graphs other threads build whole. A new thread starts recording.
_recording = contextvars.ContextVar("autodiff_recording", default=True)
_is_recording = _recording.get


class Value:
    """A scalar in a computation graph: its `data`, its `grad`, and the `op` and `parents` that made it.

    A leaf (made by the user) has ``op is None`` and ``parents == ()``. Ops record their inputs in
    argument order (``x * x`` has ``x`` twice) and their constant operand, if any, in `arg`.
    Values hash by identity and are never equal to anything but themselves.
    """

    # The inputs live in slots of their own rather than in a tuple: one object per node instead
    # of two halves both the memory and the work of Python's cyclic garbage collector.
    # A dict of slots gives each attribute its docstring: help(Value.grad) shows it.
    __slots__ = {
        "data": "The number this node holds (a float): the input's value, or the op's result on its inputs.",
        "grad": "d(output)/d(this node) after backward(), a float; leaves accumulate it across calls.",
        "name": "An optional label (str or None) shown by draw() and in gradcheck reports; nn sets parameter names.",
        "op": "The `Op` of `autodiff.OPS` that made this node, or None for a leaf.",
        "arg": "The op's constant argument (the 3 of x ** 3, the 2.0 of x * 2, a leaky_relu slope), or None.",
        "first_parent": (
            "The input of a unary op, or the first input of a binary one; unset otherwise. The graph walks "
            "of autodiff.core read it for speed; other code reads `parents`."
        ),
        "second_parent": "The second input of a binary op; unset otherwise (`parents` holds it for any node).",
        "variadic_parents": (
            "The inputs of a variadic op (sum, dot, linear, max, min), as a tuple; unset otherwise "
            "(`parents` holds them for any node)."
        ),
    }
    # numpy scalars on the left defer to Value's reflected operators instead of broadcasting
    __array_ufunc__ = None

    data: float
    grad: float
    name: str | None
    op: Op | None
    arg: Any
    first_parent: Value
    second_parent: Value
    variadic_parents: tuple[Value, ...]

    def __init__(self, data: Number, *, name: str | None = None) -> None:
        self.data = data if type(data) is float else _to_float(data, "Value()")
        self.grad = 0.0
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Value name must be a str or None, got {type(name).__name__}")
        self.name = name
        self.op = None
        self.arg = None

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the op that made this node, in argument order; ``()`` for a leaf."""
        op = self.op
        if op is None:
            return ()
        if op.arity == 1:
            return (self.first_parent,)
        if op.arity == 2:
            return (self.first_parent, self.second_parent)
        return self.variadic_parents

    def __repr__(self) -> str:
        named = f", name={self.name!r}" if self.name is not None else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{named})"

    def __float__(self) -> float:
        """self.data, so float(x) and math functions read the number (without a graph)."""
        return self.data

    # arithmetic: a Value on each side is a binary op, a number on one side a constant argument
    def __add__(self, other: Operand) -> Value:
        """self + other: a `Value` on both sides is an `add` node, a number one `add_const` node with it as `arg`."""
        return _binary(_ADD, self, other) if type(other) is Value else _constant(_ADD_CONST, self, other)

    def __radd__(self, other: Number) -> Value:
        """number + self: an `add_const` node."""
        return _constant(_ADD_CONST, self, other)

    def __sub__(self, other: Operand) -> Value:
        """self − other: a `sub` node, or for a number an `add_const` node with −number as `arg`."""
        if type(other) is Value:
            return _binary(_SUB, self, other)
        constant = _to_constant(other)
        return NotImplemented if constant is None else _apply(_ADD_CONST, self, -constant)

    def __rsub__(self, other: Number) -> Value:
        """number − self: an `rsub_const` node."""
        return _constant(_RSUB_CONST, self, other)

    def __mul__(self, other: Operand) -> Value:
        """self · other: a `mul` node, or for a number a `mul_const` node with it as `arg`."""
        return _binary(_MUL, self, other) if type(other) is Value else _constant(_MUL_CONST, self, other)

    def __rmul__(self, other: Number) -> Value:
        """number · self: a `mul_const` node."""
        return _constant(_MUL_CONST, self, other)

    def __truediv__(self, other: Operand) -> Value:
        """self / other: a `div` node, or for a number a `div_const` node. Raises `ZeroDivisionError` for 0."""
        return _binary(_DIV, self, other) if type(other) is Value else _constant(_DIV_CONST, self, other)

    def __rtruediv__(self, other: Number) -> Value:
        """number / self: an `rdiv_const` node. Raises `ZeroDivisionError` if self is 0."""
        return _constant(_RDIV_CONST, self, other)

    def __pow__(self, other: Operand) -> Value:
        """self ** other: a `pow` node, or for a number a `pow_const` node with the exponent as `arg`."""
        return _binary(_POW, self, other) if type(other) is Value else _constant(_POW_CONST, self, other)

    def __rpow__(self, other: Number) -> Value:
        """number ** self: an `rpow_const` node. Raises `ValueError` unless the base is > 0."""
        base = _to_constant(other)
        if base is not None and not base > 0:
            raise ValueError(f"c ** x needs a base c > 0 (the gradient needs log c), got c = {base!r}")
        return _constant(_RPOW_CONST, self, other)

    def __neg__(self) -> Value:
        """−self: a `neg` node."""
        return _apply(_NEG, self)

    def __pos__(self) -> Value:
        """+self: self itself, no new node."""
        return self

    def __abs__(self) -> Value:
        """abs(self): an `abs` node (subgradient 0 at 0)."""
        return _apply(_ABS, self)

    # functions of one Value: one line each, the rule lives in the op table
    def exp(self) -> Value:
        """e ** self. Raises `OverflowError` above about 709.78."""
        return _apply(_EXP, self)

    def log(self) -> Value:
        """The natural logarithm. Raises `ValueError` unless self > 0."""
        return _apply(_LOG, self)

    def sqrt(self) -> Value:
        """The square root. Raises `ValueError` if self < 0."""
        return _apply(_SQRT, self)

    def tanh(self) -> Value:
        """The hyperbolic tangent."""
        return _apply(_TANH, self)

    def sigmoid(self) -> Value:
        """The logistic function 1 / (1 + e ** -self), without overflow."""
        return _apply(_SIGMOID, self)

    def relu(self) -> Value:
        """max(self, 0). Its gradient at 0 is 0, as in PyTorch."""
        return _apply(_RELU, self)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """self if self > 0 else slope * self. Its gradient at 0 is the slope, as in PyTorch."""
        return _apply(_LEAKY_RELU, self, _float_arg(slope, "leaky_relu() slope"))

    def sin(self) -> Value:
        """The sine."""
        return _apply(_SIN, self)

    def cos(self) -> Value:
        """The cosine."""
        return _apply(_COS, self)

    def atan(self) -> Value:
        """The arctangent, in radians from -π/2 to π/2."""
        return _apply(_ATAN, self)

    def softplus(self) -> Value:
        """log(1 + e ** self), without overflow."""
        return _apply(_SOFTPLUS, self)

    # the graph
    def backward(self, grad: Number = 1.0) -> None:
        """Backpropagate from this node: every node it depends on gets d(self)/d(node) · `grad`.

        Leaves accumulate (``+=``) across calls, as in PyTorch: call `zero_grad` (or an
        optimizer's) between steps. Interior nodes hold the gradients of the latest call.
        """
        backpropagate(self, _float_arg(grad, "backward() grad"))

    def zero_grad(self) -> None:
        """Set the grad of every node of this node's graph, leaves included, to 0."""
        for node in topological_order(self):
            node.grad = 0.0

    def detach(self) -> Value:
        """A new leaf with the same data: no gradient flows through it to this node's graph."""
        return Value(self.data)


def _to_float(x: object, where: str) -> float:
    if is_real(x):
        return float(x)
    raise TypeError(
        f"{where} accepts an int, a float or a numpy real scalar, got {type(x).__name__} {x!r:.60}"
    )


def _float_arg(x: object, where: str) -> float:
    return x if type(x) is float else _to_float(x, where)


def _to_constant(x: object) -> float | None:
    if type(x) is float:
        return x
    if type(x) is int:
        return float(x)
    if is_real(x):
        return float(x)
    return None


def _binary(op: Op, x: Value, y: Value, arg: Any = None) -> Value:
    if op.checks_domain:
        op.check((x.data, y.data), arg)
    try:
        out = op.forward(FLOAT, x.data, y.data, arg)
    except ArithmeticError as error:
        raise _domain_error(op, (x.data, y.data), arg, error) from error
    node: Value = _new(Value)
    node.data, node.grad, node.name = out, 0.0, None
    if _is_recording():
        node.op, node.arg, node.first_parent, node.second_parent = op, arg, x, y
    else:
        node.op = node.arg = None
    return node


def _constant(op: Op, x: Value, other: object) -> Value:
    constant = _to_constant(other)
    if constant is None:
        # lets Python try the other operand, then raise its own TypeError naming both types
        return NotImplemented  # type: ignore[no-any-return]
    return _apply(op, x, constant)


def _apply(op: Op, x: Value, arg: Any = None) -> Value:
    if op.checks_domain:
        op.check((x.data,), arg)
    try:
        out = op.forward(FLOAT, x.data, arg)
    except ArithmeticError as error:
        raise _domain_error(op, (x.data,), arg, error) from error
    node: Value = _new(Value)
    node.data, node.grad, node.name = out, 0.0, None
    if _is_recording():
        node.op, node.arg, node.first_parent = op, arg, x
    else:
        node.op = node.arg = None
    return node


_new = object.__new__


def _domain_error(op: Op, inputs: Sequence[float], arg: Any, error: ArithmeticError) -> ArithmeticError:
    if isinstance(error, OverflowError):
        return OverflowError(f"{op.call_text(inputs, arg)} overflows: the result is too large for a float")
    return type(error)(f"{op.call_text(inputs, arg)} failed: {error}")


_ADD, _SUB, _MUL, _DIV, _POW = OPS["add"], OPS["sub"], OPS["mul"], OPS["div"], OPS["pow"]
_ADD_CONST, _RSUB_CONST, _MUL_CONST = OPS["add_const"], OPS["rsub_const"], OPS["mul_const"]
_DIV_CONST, _RDIV_CONST = OPS["div_const"], OPS["rdiv_const"]
_POW_CONST, _RPOW_CONST = OPS["pow_const"], OPS["rpow_const"]
_NEG, _ABS, _EXP, _LOG, _SQRT = OPS["neg"], OPS["abs"], OPS["exp"], OPS["log"], OPS["sqrt"]
_TANH, _SIGMOID, _RELU, _LEAKY_RELU = OPS["tanh"], OPS["sigmoid"], OPS["relu"], OPS["leaky_relu"]
_SIN, _COS, _ATAN, _SOFTPLUS = OPS["sin"], OPS["cos"], OPS["atan"], OPS["softplus"]
_SUM, _DOT, _LINEAR, _MAX, _MIN = OPS["sum"], OPS["dot"], OPS["linear"], OPS["max"], OPS["min"]


def variadic_node(op: Op, parents: Sequence[Value], arg: Any) -> Value:
    """One node of the n-ary `op` (``sum``, ``dot``, ``linear``, ``max``, ``min``) over `parents`.

    For library code that checked its inputs once for many nodes, as `nn`'s layers do: unlike
    `autodiff.dot` and friends, it checks no types, so every parent must be a `Value` and `arg`
    what the op's table entry expects (e.g. ``linear``'s tuple of coefficients).
    """
    parents = tuple(parents)
    try:
        out = op.forward(FLOAT, [p.data for p in parents], arg)
    except ArithmeticError as error:
        raise _domain_error(op, [p.data for p in parents], arg, error) from error
    node: Value = _new(Value)
    node.data, node.grad, node.name = out, 0.0, None
    if _is_recording():
        node.op, node.arg, node.variadic_parents = op, arg, parents
    else:
        node.op = node.arg = None
    return node


def apply(op: Op, *inputs: Value, arg: Any = None) -> Value:
    """A new node: `op` applied to `inputs` and its constant argument `arg`, as the engine records it.

    `op` is one of `autodiff.OPS` or an `Op` of your own: that is how an op is added without
    editing the package, and `backward()`, `grad`, gradient checks and pictures read its entry
    like any other. `inputs` are Values, as many as the op's arity (one or more for an op of many
    inputs). Raises as the op's `Op.check` does outside its domain.

    >>> from autodiff import OPS, Value, apply
    >>> apply(OPS["mul_const"], Value(3.0), arg=2.0).data
    6.0
    """
    if not isinstance(op, Op):
        raise TypeError(f"apply() needs an Op (e.g. autodiff.OPS['tanh']), got {type(op).__name__} {op!r:.60}")
    for index, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(
                f"apply({op.name}) inputs must be Values, got {type(x).__name__} {x!r:.60} at index {index}; "
                "wrap a number in Value(), or pass a constant as arg="
            )
    if op.arity == VARIADIC and not inputs:
        raise TypeError(f"apply({op.name}) needs at least one input")
    if op.arity != VARIADIC and len(inputs) != op.arity:
        raise TypeError(f"apply({op.name}) takes {op.arity} input(s), got {len(inputs)}")
    if op.arity == 1:
        return _apply(op, inputs[0], arg)
    if op.arity == 2:
        return _binary(op, inputs[0], inputs[1], arg)
    if op.checks_domain:
        op.check([x.data for x in inputs], arg)
    return variadic_node(op, inputs, arg)


def _number(x: object, where: str) -> float:
    constant = _to_constant(x)
    if constant is None:
        raise TypeError(f"{where} takes Values and numbers, got {type(x).__name__} {x!r:.60}")
    return constant


def _split(values: Iterable[Value | Number], where: str) -> tuple[list[Value], list[float]]:
    nodes: list[Value] = []
    constants: list[float] = []
    for v in values:
        if isinstance(v, Value):
            nodes.append(v)
        else:
            constants.append(_number(v, where))
    return nodes, constants


def sum(values: Iterable[Value | Number]) -> Value:  # noqa: A001 - the name users expect
    """The sum of `values` (Values and numbers) as **one** node, however many there are.

    Numbers are added into the node's constant argument. ``sum([])`` is ``Value(0.0)``.
    """
    nodes, constants = _split(values, "autodiff.sum()")
    offset = builtins.sum(constants, 0.0)
    return variadic_node(_SUM, nodes, offset) if nodes else Value(offset)


_JUST_VALUES = {Value}
_PLAIN_NUMBERS = {float, int}


def dot(ws: Iterable[Value | Number], xs: Iterable[Value | Number]) -> Value:
    """Σ w_i · x_i as **one** node; either side may hold numbers.

    Value-by-Value pairs make a `dot` node; Value-by-number pairs a `linear` node that keeps the
    numbers as its constant coefficients. A mix of both makes the two nodes and their sum.
    """
    ws, xs = list(ws), list(xs)
    if len(ws) != len(xs):
        raise ValueError(f"dot() needs sequences of equal length, got {len(ws)} and {len(xs)}")
    # fast paths for what a neural network makes: Values by Values, Values by plain floats
    if set(map(type, ws)) == _JUST_VALUES:
        x_types = set(map(type, xs))
        if x_types == _JUST_VALUES:
            return variadic_node(_DOT, ws + xs, None)  # type: ignore[arg-type]
        if x_types <= _PLAIN_NUMBERS:
            return variadic_node(_LINEAR, ws, tuple(map(float, xs)))  # type: ignore[arg-type]
    left: list[Value] = []
    right: list[Value] = []
    terms: list[Value] = []
    coefficients: list[float] = []
    offset = 0.0
    for w, x in zip(ws, xs, strict=True):
        if isinstance(w, Value) and isinstance(x, Value):
            left.append(w)
            right.append(x)
        elif isinstance(w, Value):
            terms.append(w)
            coefficients.append(_number(x, "dot()"))
        elif isinstance(x, Value):
            terms.append(x)
            coefficients.append(_number(w, "dot()"))
        else:
            offset += _number(w, "dot()") * _number(x, "dot()")
    parts = []
    if left:
        parts.append(variadic_node(_DOT, left + right, None))
    if terms:
        parts.append(variadic_node(_LINEAR, terms, tuple(coefficients)))
    if not parts:
        return Value(offset)
    total = parts[0] if len(parts) == 1 else parts[0] + parts[1]
    return total + offset if offset else total


def _extremum(op: Op, values: Iterable[Value | Number]) -> Value:
    nodes, constants = _split(values, f"autodiff.{op.name}()")
    if not nodes and not constants:
        raise ValueError(f"autodiff.{op.name}() of an empty sequence: there is no {op.name} of nothing")
    # the backend's max/min, not the builtins: a NaN must win wherever it sits
    extremum = FLOAT.max_of if op is _MAX else FLOAT.min_of
    if not nodes:
        return Value(extremum(constants))
    # numbers join as one constant bound, kept as the node's argument; they get no gradient
    return variadic_node(op, nodes, extremum(constants) if constants else None)


def max(values: Iterable[Value | Number]) -> Value:  # noqa: A001 - the name users expect
    """The largest of `values` as one node; the gradient goes to the first maximal Value.

    NaN propagates wherever it sits, as with numpy: if any of `values` is NaN the result is NaN,
    and its gradient goes to the first NaN Value (to none if only a number is NaN).
    """
    return _extremum(_MAX, values)


def min(values: Iterable[Value | Number]) -> Value:  # noqa: A001 - the name users expect
    """The smallest of `values` as one node; the gradient goes to the first minimal Value.

    NaN propagates as in `max`.
    """
    return _extremum(_MIN, values)


class no_grad:  # lower case, as PyTorch's torch.no_grad: it is called like a function
    """Inside ``with no_grad():``, ops record no parents: their results are leaves.

    Use it for targets that must stay constant, such as Q-learning's r + α·max Q(x', ·). It
    applies to the current thread only (and the current asyncio task), as PyTorch's ``no_grad``:
    other threads keep building graphs.

    As a decorator, ``@no_grad()`` covers the whole body of a function, of a coroutine function
    (``async def``: every step until it returns) and of a generator function (every resumption,
    and not the caller's code between two of its yields). It refuses an async generator function
    with `TypeError`. A ``with no_grad():`` block written directly in a generator or an async
    generator raises `TypeError` when entered: at a ``yield`` inside it the caller would carry on
    without recording; decorate the generator instead.
    """

    def __init__(self) -> None:
        self._tokens: list[contextvars.Token[bool]] = []

    def __enter__(self) -> None:
        frame = inspect.currentframe()
        caller = frame.f_back.f_code if frame is not None and frame.f_back is not None else None
        if caller is not None and caller.co_flags & (inspect.CO_GENERATOR | inspect.CO_ASYNC_GENERATOR):
            raise TypeError(
                f"'with no_grad():' in the generator {caller.co_name}() would turn recording off for its caller "
                f"at each yield inside the block: decorate the generator function with @no_grad() instead, "
                f"which covers each of its steps and nothing else"
            )
        self._tokens.append(_recording.set(False))

    def __exit__(self, *exception: object) -> None:
        _recording.reset(self._tokens.pop())

    def __call__(self, function: _Function) -> _Function:
        """`function` run under ``no_grad`` each time it runs (each step of a generator or coroutine)."""
        if inspect.isasyncgenfunction(function):
            raise TypeError(
                f"@no_grad() cannot decorate the async generator function {function.__name__}(): use "
                f"'with no_grad():' around the code that must not record, outside the async generator"
            )
        if inspect.isgeneratorfunction(function):
            return cast(_Function, functools.wraps(function)(_steps_without_recording(function)))
        if inspect.iscoroutinefunction(function):

            async def coroutine(*args: Any, **kwargs: Any) -> Any:
                with recording(False):
                    return await function(*args, **kwargs)

            return cast(_Function, functools.wraps(function)(coroutine))

        def plain(*args: Any, **kwargs: Any) -> Any:
            with recording(False):
                return function(*args, **kwargs)

        return cast(_Function, functools.wraps(function)(plain))


_Function = TypeVar("_Function", bound=Callable[..., Any])


_Steps = Generator[Any, Any, Any]


def _steps_without_recording(function: Callable[..., _Steps]) -> Callable[..., _Steps]:
    """A generator function like `function` whose every step (first, send, throw, close) runs without recording."""

    def generator(*args: Any, **kwargs: Any) -> _Steps:
        steps = function(*args, **kwargs)
        try:
            with recording(False):
                response = steps.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with recording(False):
                        steps.close()
                    raise
                except BaseException as error:
                    with recording(False):
                        response = steps.throw(error)
                else:
                    with recording(False):
                        response = steps.send(request)
        except StopIteration as stop:
            return stop.value

    return generator


@contextlib.contextmanager
def recording(enabled: bool) -> Iterator[None]:
    """Inside this context, ops of the current thread record their parents if `enabled`, and make leaves if not.

    `no_grad` is ``recording(False)``; higher-order derivatives use ``recording(True)`` so that
    a graph of the derivative is built even inside `no_grad`.
    """
    token = _recording.set(enabled)
    try:
        yield
    finally:
        _recording.reset(token)


def _value_backend() -> Backend:
    """The backend of Values: derivative rules evaluated on it build a graph of the derivative."""
    from types import SimpleNamespace

    def first_match(xs: Sequence[Value], out: Value) -> tuple[float, ...]:
        return FLOAT.first_match(xs, out)

    def weighted(weight: Value, factor: Value) -> Value | float:
        # a zero weight wins over an infinite or NaN factor (as FLOAT's); elsewhere the product
        # keeps its graph, so a second derivative through the weight stays exact
        if weight.data == 0 and not math.isfinite(factor.data):
            return 0.0
        return weight * factor

    unary: Callable[[str], Callable[[Value], Value]] = lambda name: lambda v: _apply(OPS[name], v)
    backend = SimpleNamespace(
        exp=unary("exp"), log=unary("log"), sqrt=unary("sqrt"), tanh=unary("tanh"),
        sin=unary("sin"), cos=unary("cos"), atan=unary("atan"), sigmoid=unary("sigmoid"),
        # no op of the table is log1p: 1 + v then log, exact enough away from v = 0
        log1p=lambda v: (v + 1.0).log(),
        maximum=lambda x, y: max([x, y]), minimum=lambda x, y: min([x, y]),
        max_of=max, min_of=min,
        sign=lambda v: FLOAT.sign(v.data), step=lambda v: FLOAT.step(v.data),
        first_match=first_match, divide=lambda x, y: x / y, power=lambda x, y: x**y, weighted=weighted,
    )
    return cast(Backend, backend)


VALUE = _value_backend()
"""The backend of Values, for differentiating derivatives (see `autodiff.grad`)."""
