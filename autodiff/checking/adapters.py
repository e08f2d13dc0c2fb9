"""How the engine checker drives someone else's autodiff engine: an `Adapter`.

An adapter says how to make a leaf from a float, how to apply each op of `autodiff.OPS` it
supports, how to run ``backward()`` and how to read a node's value and gradient, and, in a
`Spelling`, how each of these is written in Python, so that a failing program is printed as code
the engine's author can paste and run.

An op's callable takes the op's operands, then its constant argument when the program step has
one: ``ops["tanh"](x)``, ``ops["mul"](x, y)``, ``ops["add_const"](x, 2.0)`` for ``x + 2.0``,
``ops["sum"]([x, y, z], 0.5)`` for a variadic op (a list of operands). Ops left out are reported
as unsupported.

>>> import math
>>> from autodiff.testing import Adapter
>>> class Scalar:  # an engine with other conventions: .val, .dval, a function for tanh
...     def __init__(self, val, parents=()):
...         self.val, self.dval, self.parents = val, 0.0, parents
>>> engine = Adapter(
...     name="scalar",
...     leaf=Scalar,
...     ops={"tanh": lambda x: Scalar(math.tanh(x.val), (x,))},
...     backward=lambda out: None,  # the engine's own backward pass goes here
...     value=lambda node: node.val,
...     grad=lambda node: node.dval,
... )
>>> sorted(engine.ops)
['tanh']
"""

from __future__ import annotations

import importlib
import inspect
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autodiff.core.ops import OPS, VARIADIC, Op
from autodiff.extras import needs_extra

__all__ = [
    "Adapter",
    "EngineLoadError",
    "OpSpelling",
    "Spelling",
    "load_engine",
    "micrograd_style",
    "one_line",
    "spell",
    "torch_scalars",
]


OpSpelling = str | Callable[[Sequence[str], Any], str]
"""How one op is written: a template, or a function of the operands' names and the constant argument."""


def spell(spelling: OpSpelling, names: Sequence[str], arg: Any) -> str:
    """The code of one op applied to the variables `names` (and the constant `arg`)."""
    if isinstance(spelling, str):
        return spelling.format(*names, operands=", ".join(names), arg=repr(arg))
    return spelling(names, arg)


@dataclass(frozen=True)
class Spelling:
    """How a program is written in Python for one engine, so a counterexample can be pasted and run.

    Each field is a `str.format` template. `leaf` gets ``{x}``, the number; an op's template in
    `ops` gets ``{0}``, ``{1}``, ... (its operands' variable names), ``{operands}`` (all of them,
    comma-separated) and ``{arg}`` (the constant argument), or is a function of the list of names
    and the argument that returns the code; `backward`, `value`, `grad` and `zero_grad` get ``{0}``,
    one node's name. `imports` is the first line of the code.
    """

    imports: str
    leaf: str
    ops: Mapping[str, OpSpelling]
    backward: str = "{0}.backward()"
    value: str = "{0}.data"
    grad: str = "{0}.grad"
    zero_grad: str = "{0}.grad = 0.0"


def _backward(node: Any) -> None:
    node.backward()


def _data(node: Any) -> float:
    return float(node.data)


def _grad(node: Any) -> float:
    return float(node.grad)


def _zero_grad(node: Any) -> None:
    node.grad = 0.0


@dataclass(frozen=True)
class Adapter:
    """How to drive an autodiff engine: make leaves, apply ops, run backward, read values and gradients.

    The defaults are micrograd's conventions: ``node.backward()``, ``node.data``, ``node.grad``, and
    ``node.grad = 0.0`` to zero a gradient. `ops` maps names of `autodiff.OPS` to callables (see
    the module's docstring for how they are called). Without a `spelling`, counterexamples are
    printed as calls of the adapter itself (``engine.ops["tanh"](v0)``).
    """

    name: str
    leaf: Callable[[float], Any]
    ops: Mapping[str, Callable[..., Any]]
    backward: Callable[[Any], object] = _backward
    value: Callable[[Any], float] = _data
    grad: Callable[[Any], float] = _grad
    zero_grad: Callable[[Any], object] = _zero_grad
    spelling: Spelling | None = None

    def __post_init__(self) -> None:
        unknown = [name for name in self.ops if name not in OPS]
        if unknown:
            raise ValueError(
                f"Adapter {self.name!r}: ops {', '.join(map(repr, unknown))} are not in autodiff.OPS "
                f"({', '.join(OPS)})"
            )
        for name, function in (("leaf", self.leaf), *self.ops.items()):
            if not callable(function):
                raise TypeError(f"Adapter {self.name!r}: {name} must be callable, got {type(function).__name__}")

    @property
    def code(self) -> Spelling:
        """How the engine's code is written: its `spelling`, or else calls of this adapter's functions."""
        return self.spelling if self.spelling is not None else _adapter_calls(self.name, self.ops)


def _adapter_calls(name: str, ops: Mapping[str, object]) -> Spelling:
    """The spelling of an adapter without one: calls of the adapter's own functions."""
    return Spelling(
        imports=f"engine = ...  # your Adapter {name!r}",
        leaf="engine.leaf({x})",
        ops={op: _adapter_call(op) for op in ops},
        backward="engine.backward({0})",
        value="engine.value({0})",
        grad="engine.grad({0})",
        zero_grad="engine.zero_grad({0})",
    )


def _adapter_call(op: str) -> Callable[[Sequence[str], Any], str]:
    def call(names: Sequence[str], arg: Any) -> str:
        operands = ", ".join(names) if OPS[op].arity != VARIADIC else f"[{', '.join(names)}]"
        return f'engine.ops["{op}"]({operands}{"" if arg is None else f", {arg!r}"})'

    return call


# ---------------------------------------------------------------------------------------------
# micrograd's conventions, by duck typing


_OPERATORS: dict[str, tuple[Callable[..., Any], str]] = {
    "add": (operator.add, "+"),
    "sub": (operator.sub, "-"),
    "mul": (operator.mul, "*"),
    "truediv": (operator.truediv, "/"),
    "pow": (operator.pow, "**"),
    "neg": (operator.neg, "-"),
    "abs": (abs, "abs"),
}
"""Python's operators by the name of their special method, with how they are written."""


def _python_syntax(op: Op) -> tuple[Callable[..., Any], str] | None:
    """How a micrograd-style ``Value`` writes `op`: the call the checker makes, and its spelling.

    Read from the op's `Op.method`, `Op.constant` and `Op.syntax`. None for an op of many inputs
    (``sum`` is a function of `autodiff`, not a method) or a special method with no operator here.
    """
    if op.arity == VARIADIC or op.method is None:
        return None
    constant = op.constant
    if not op.method.startswith("__"):
        method = op.method
        if constant is None:
            return operator.methodcaller(method), f"{{0}}.{method}()"
        return (lambda x, c: getattr(x, method)(c)), f"{{0}}.{method}({{arg}})"
    name = op.method.strip("_")
    leading = constant is not None and constant.leading
    # a reflected method (__rsub__) is the operator with the constant first: c - x
    found = _OPERATORS.get(name.removeprefix("r") if leading else name)
    if found is None:
        return None
    function, symbol = found
    if op.arity == 2:
        return function, f"{{0}} {symbol} {{1}}"
    if constant is None:
        return function, f"{symbol}{{0}}" if op.syntax == "prefix" else f"{symbol}({{0}})"
    if leading:
        return (lambda x, c: function(c, x)), f"{{arg}} {symbol} {{0}}"
    return function, f"{{0}} {symbol} {{arg}}"


_MICROGRAD = {op.name: syntax for op in OPS.values() if (syntax := _python_syntax(op)) is not None}
"""How a micrograd-style ``Value`` spells each op of the table it may have: operators, and methods."""


def micrograd_style(cls: type) -> Adapter:
    """An `Adapter` for a micrograd-compatible class, by duck typing.

    The class makes a leaf from a float (``Value(0.5)``), has ``.data``, ``.grad`` and
    ``.backward()``, Python's operators (``x + y``, ``x * 2.0``, ``2.0 - x``, ``x ** 3``, ``-x``) and
    whichever methods it has of those the table names (`Op.method`: ``x.tanh()``, ``x.exp()``,
    ``x.leaky_relu(0.01)``, ...). Ops it lacks are reported as unsupported by the checker, not
    failed. Raises `TypeError` naming what is missing when ``cls(0.5)`` is not such a node.
    """
    if not isinstance(cls, type):
        raise TypeError(f"micrograd_style() takes a class such as micrograd.engine.Value, got {cls!r}")
    name = f"{cls.__module__}:{cls.__qualname__}"
    try:
        node = cls(0.5)
    except Exception as error:
        raise TypeError(
            f"{name} cannot make a leaf from a float: {cls.__qualname__}(0.5) raised {one_line(error)}"
        ) from None
    missing = [attribute for attribute in ("data", "grad", "backward") if not hasattr(node, attribute)]
    if missing:
        raise TypeError(
            f"{name} is not a micrograd-style value: {cls.__qualname__}(0.5) has no "
            f"{', '.join('.' + attribute for attribute in missing)} (an Adapter takes other conventions)"
        )
    return Adapter(
        name=name,
        leaf=cls,
        ops={op: function for op, (function, _) in _MICROGRAD.items()},
        spelling=Spelling(
            imports=f"from {cls.__module__} import {cls.__qualname__.partition('.')[0]}",
            leaf=f"{cls.__qualname__}({{x}})",
            ops={op: template for op, (_, template) in _MICROGRAD.items()},
        ),
    )


def one_line(error: BaseException) -> str:
    """An exception as one line: ``ZeroDivisionError: float division by zero``."""
    message = str(error).strip().splitlines()
    return f"{type(error).__name__}: {message[0]}" if message else type(error).__name__


# ---------------------------------------------------------------------------------------------
# PyTorch scalar tensors


def torch_scalars() -> Adapter:
    """An `Adapter` for PyTorch: float64 scalar tensors with ``requires_grad``, every op of the table.

    A reference that must pass the checker, and an example of an adapter for other conventions:
    ``.item()`` for the value, ``.grad`` (None before any backward) for the gradient, and
    ``backward(retain_graph=True)`` so that a graph can be backpropagated twice. Needs the
    ``torch`` extra (``pip install "scalar-autodiff[torch]"``); without it raises
    `autodiff.extras.MissingExtraError` (an `ImportError`) saying so.
    """
    with needs_extra("torch", "autodiff.testing.torch_scalars()"):
        import torch
        import torch.nn.functional as functional

    def leaf(x: float) -> Any:
        return torch.tensor(x, dtype=torch.float64, requires_grad=True)

    def stacked(xs: Sequence[Any]) -> Any:
        return torch.stack(list(xs))

    def dot(xs: Sequence[Any]) -> Any:
        half = len(xs) // 2
        return torch.dot(stacked(xs[:half]), stacked(xs[half:]))

    def bounded(reduce: Callable[[Any], Any], clip: Callable[[Any, Any], Any]) -> Callable[..., Any]:
        def extremum(xs: Sequence[Any], bound: float | None = None) -> Any:
            result = reduce(stacked(xs))
            return result if bound is None else clip(result, torch.tensor(bound, dtype=torch.float64))

        return extremum

    def zero_grad(node: Any) -> None:
        if node.is_leaf:
            node.grad = None

    def spell_dot(names: Sequence[str], arg: Any) -> str:
        half = len(names) // 2
        return f"torch.dot(torch.stack([{', '.join(names[:half])}]), torch.stack([{', '.join(names[half:])}]))"

    def spell_bounded(reduce: str, clip: str) -> Callable[[Sequence[str], Any], str]:
        def extremum(names: Sequence[str], bound: float | None) -> str:
            result = f"torch.stack([{', '.join(names)}]).{reduce}()"
            return result if bound is None else f"torch.{clip}({result}, torch.tensor({bound!r}, dtype=torch.float64))"

        return extremum

    # the methods tensors have under the table's names, and functions for the rest
    ops: dict[str, Callable[..., Any]] = {
        **{op: function for op, (function, _) in _MICROGRAD.items()},
        "leaky_relu": functional.leaky_relu,
        "softplus": functional.softplus,
        "sum": lambda xs, c: stacked(xs).sum() + c,
        "dot": dot,
        "linear": lambda xs, cs: torch.dot(torch.tensor(cs, dtype=torch.float64), stacked(xs)),
        "max": bounded(torch.max, torch.maximum),
        "min": bounded(torch.min, torch.minimum),
    }
    spelled: dict[str, OpSpelling] = {
        **{op: template for op, (_, template) in _MICROGRAD.items()},
        "leaky_relu": "torch.nn.functional.leaky_relu({0}, {arg})",
        "softplus": "torch.nn.functional.softplus({0})",
        "sum": "torch.stack([{operands}]).sum() + {arg}",
        "dot": spell_dot,
        "linear": "torch.dot(torch.tensor({arg}, dtype=torch.float64), torch.stack([{operands}]))",
        "max": spell_bounded("max", "maximum"),
        "min": spell_bounded("min", "minimum"),
    }
    return Adapter(
        name="torch (float64 scalar tensors)",
        leaf=leaf,
        ops=ops,
        backward=lambda out: out.backward(retain_graph=True),
        value=lambda node: float(node.item()),
        grad=lambda node: 0.0 if node.grad is None else float(node.grad.item()),
        zero_grad=zero_grad,
        spelling=Spelling(
            imports="import torch",
            leaf="torch.tensor({x}, dtype=torch.float64, requires_grad=True)",
            ops=spelled,
            backward="{0}.backward(retain_graph=True)",
            value="{0}.item()",
            grad="{0}.grad.item()",
            zero_grad="{0}.grad = None",
        ),
    )


# ---------------------------------------------------------------------------------------------
# the engine a user names on the command line


class EngineLoadError(ValueError):
    """A ``package.module:Name`` that does not name an engine: the message says why."""


_SPEC = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def load_engine(spec: str) -> Adapter:
    """The engine named by ``package.module:Name``, imported because the user asked for it.

    `Name` may be a micrograd-style class (see `micrograd_style`), an `Adapter`, or a function of no
    arguments that returns one (``autodiff.testing:torch_scalars``). Raises `EngineLoadError` with a
    one-line reason for a malformed spec, a module that cannot be imported (or raises on import), a
    missing name or an object that is none of these.
    """
    if not isinstance(spec, str) or not _SPEC.match(spec):
        raise EngineLoadError(f"{spec!r} is not of the form package.module:Name (e.g. micrograd.engine:Value)")
    module_name, _, attributes = spec.partition(":")
    try:
        found: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise EngineLoadError(f"cannot import {module_name}: {one_line(error)}") from None
    except Exception as error:
        raise EngineLoadError(f"importing {module_name} raised {one_line(error)}") from None
    for attribute in attributes.split("."):
        try:
            found = getattr(found, attribute)
        except AttributeError:
            raise EngineLoadError(f"{module_name} has no {attributes}") from None
    if isinstance(found, Adapter):
        return found
    if isinstance(found, type):
        try:
            return micrograd_style(found)
        except TypeError as error:
            raise EngineLoadError(str(error)) from None
        except Exception as error:  # the class's own code (a property, __getattr__) failed while it was probed
            raise EngineLoadError(f"{spec}(0.5) could not be probed: {one_line(error)}") from None
    if inspect.isfunction(found):
        try:
            made = found()
        except Exception as error:
            raise EngineLoadError(f"{spec}() raised {one_line(error)}") from None
        if isinstance(made, Adapter):
            return made
        raise EngineLoadError(f"{spec}() returned {type(made).__name__}, not an autodiff.testing.Adapter")
    raise EngineLoadError(f"{spec} is a {type(found).__name__}: give a class, an Adapter or a function returning one")
