"""Arithmetic expressions as text, such as ``tanh(x*w + b)``, parsed into a graph of Values.

The text is parsed with `ast` and only a whitelist is accepted: numbers, names bound to numbers,
``+ - * / **``, unary ``-`` and ``+``, and calls of the engine's functions (`FUNCTIONS`, read
from the op table: each op written as a call (`Op.syntax`), by the `Value` method or `autodiff`
function of its `Op.method`, except ``dot`` and ``linear``, which take lists). Python never
evaluates the text. Anything else raises `ExpressionError`, which knows the offending part of the
text, so that a caret can point at it.
"""

from __future__ import annotations

import ast
import inspect
import math
import operator
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import autodiff.core.value as value_module
from autodiff.core.ops import OPS, VARIADIC
from autodiff.core.reals import is_real
from autodiff.core.value import Value

__all__ = [
    "FUNCTIONS", "MAX_LENGTH", "Expression", "ExpressionError", "Function", "character_span", "parse", "parse_binding"
]

MAX_LENGTH = 100_000
"""The longest expression `parse` reads, in characters: Python's parser takes about a second for that."""

_Operand = Value | float


class ExpressionError(ValueError):
    """A bad expression or binding: the message, the text, and the span of the text at fault."""

    def __init__(self, message: str, text: str = "", start: int = 0, end: int = 0) -> None:
        super().__init__(message)
        self.message, self.text, self.start, self.end = message, text, start, max(end, start + 1)

    def pointer(self) -> str:
        """The line of the text at fault, and carets under the part at fault."""
        line_start = self.text.rfind("\n", 0, self.start) + 1
        line_end = self.text.find("\n", self.start)
        line = self.text[line_start : len(self.text) if line_end < 0 else line_end]
        column = self.start - line_start
        width = min(self.end, line_start + len(line)) - self.start
        return f"{line}\n{' ' * column}{'^' * max(1, width)}"


@dataclass(frozen=True)
class Function:
    """A function an expression may call: its name, how to apply it, its constant parameters.

    `constants` are the parameters after the Value that take plain numbers (``leaky_relu``'s
    ``slope``); a `variadic` function takes one or more Values.
    """

    name: str
    apply: Callable[..., Value]
    constants: tuple[inspect.Parameter, ...] = ()
    variadic: bool = False

    @property
    def signature(self) -> str:
        """How to call it, e.g. ``leaky_relu(x, slope=0.01)`` or ``max(x, y, ...)``."""
        if self.variadic:
            return f"{self.name}(x, y, ...)"
        constants = "".join(f", {p.name}={p.default!r}" for p in self.constants)
        return f"{self.name}(x{constants})"


def _functions() -> dict[str, Function]:
    functions: dict[str, Function] = {}
    for name, op in OPS.items():
        constant = op.constant
        # dot and linear take two lists (Values, then Values or numbers): lists have no syntax here
        if op.syntax != "call" or op.method is None or op.paired or (constant is not None and constant.per_input):
            continue
        if op.arity == 1:
            constants = () if constant is None else (
                inspect.Parameter(constant.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=constant.default),
            )
            functions[name] = Function(name, getattr(Value, op.method), constants)
        elif op.arity == VARIADIC:
            collect = getattr(value_module, op.method)
            functions[name] = Function(name, lambda *xs, collect=collect: collect(xs), variadic=True)
    return dict(sorted(functions.items()))


FUNCTIONS: Mapping[str, Function] = _functions()
"""The functions an expression may call, by name."""

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_UNSUPPORTED = {
    ast.Attribute: "attributes", ast.Subscript: "subscripts", ast.Lambda: "lambdas",
    ast.ListComp: "comprehensions", ast.SetComp: "comprehensions", ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions", ast.Compare: "comparisons", ast.BoolOp: "'and' and 'or'",
    ast.IfExp: "conditional expressions", ast.NamedExpr: "assignments", ast.List: "lists",
    ast.Tuple: "tuples", ast.Dict: "dicts", ast.Set: "sets", ast.JoinedStr: "strings", ast.Await: "'await' expressions",
    ast.Yield: "'yield' expressions", ast.YieldFrom: "'yield from' expressions",
}


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its text, its whitelisted syntax tree, and its names in order of appearance."""

    text: str
    tree: ast.expr
    names: tuple[str, ...]

    def graph(self, bindings: Mapping[str, float]) -> tuple[Value, dict[str, Value]]:
        """The graph of the expression, each name a leaf Value named after it: its root and leaves.

        Raises `ExpressionError` for a name without a value or a domain error (``log(x)`` with
        x = -1), pointing at the part of the text at fault.
        """
        leaves: dict[str, Value] = {}
        for name in self.names:
            if name not in bindings:
                use = next(n for n in ast.walk(self.tree) if isinstance(n, ast.Name) and n.id == name)
                raise self._error(f"name {name!r} has no value: pass it as {name}=NUMBER", use)
            leaves[name] = Value(bindings[name], name=name)
        # post-order without recursion: a long sum is a deep tree
        results: list[_Operand] = []
        stack: list[tuple[ast.expr, bool]] = [(self.tree, False)]
        while stack:
            node, ready = stack.pop()
            children = _children(node)
            if children and not ready:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(children))
                continue
            arguments = results[len(results) - len(children) :]
            del results[len(results) - len(children) :]
            results.append(self._apply(node, arguments, leaves))
        root = results[0]
        return (root if isinstance(root, Value) else Value(root)), leaves

    def _apply(self, node: ast.expr, arguments: list[_Operand], leaves: Mapping[str, Value]) -> _Operand:
        if isinstance(node, ast.Constant):
            return float(cast(float, node.value))  # parse() let through real numbers only
        if isinstance(node, ast.Name):
            return leaves[node.id]
        try:
            if isinstance(node, ast.BinOp):
                result = _BINARY[type(node.op)](*arguments)
            elif isinstance(node, ast.UnaryOp):
                result = _UNARY[type(node.op)](*arguments)
            else:
                assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                result = self._call(node, FUNCTIONS[node.func.id], arguments)
        except ExpressionError:
            raise
        except ZeroDivisionError as error:  # the op table's message names internal ops such as rdiv_const
            raise self._error(f"division by zero in {self._source(node)}", node) from error
        except OverflowError as error:  # Python's message is "(34, 'Numerical result out of range')"
            raise self._error(f"{self._source(node)} overflows: the result is too large for a float", node) from error
        except (ArithmeticError, ValueError) as error:
            raise self._error(str(error), node) from error
        if isinstance(result, complex):
            raise self._error(f"{self._source(node)} is not a real number: {result}", node)
        return result  # type: ignore[no-any-return]

    def _call(self, node: ast.Call, function: Function, arguments: list[_Operand]) -> Value:
        inputs = arguments if function.variadic else arguments[:1]
        constants = arguments[len(inputs) :]
        for parameter, constant, argument in zip(function.constants, constants, node.args[1:], strict=False):
            if isinstance(constant, Value):
                message = f"{function.name}()'s {parameter.name} must be a number, not depend on a variable"
                raise self._error(message, argument)
        return function.apply(*(x if isinstance(x, Value) else Value(x) for x in inputs), *constants)

    def _error(self, message: str, node: ast.AST) -> ExpressionError:
        return ExpressionError(message, self.text, *character_span(self.text, node))

    def _source(self, node: ast.AST) -> str:
        start, end = character_span(self.text, node)
        return self.text[start:end]


def _children(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _offset(text: str, line: int, column: int) -> int:
    lines = text.splitlines(keepends=True)
    return sum(len(previous) for previous in lines[: line - 1]) + column


def character_span(text: str, node: ast.AST) -> tuple[int, int]:
    """The (start, end) character offsets of `node` in `text`, the source it was parsed from; at least one wide.

    `ast` locates a node by line and UTF-8 byte column; an error's caret needs characters.
    """
    lines = text.splitlines(keepends=True)

    def position(line: int, byte_column: int) -> int:
        characters = len(lines[line - 1].encode("utf-8")[:byte_column].decode("utf-8", "replace"))
        return _offset(text, line, characters)

    start = position(node.lineno, node.col_offset)  # type: ignore[attr-defined]
    end = position(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
    return start, max(end, start + 1)


def parse(text: str) -> Expression:
    """Parse `text` into an `Expression`, or raise `ExpressionError` at its first unsupported part.

    Whitespace around the text is dropped (and is not part of `Expression.text`). The time taken
    grows linearly with the length of the text, which may not exceed `MAX_LENGTH` characters.
    """
    text = text.strip()
    if not text:
        raise ExpressionError("the expression is empty", text)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is {len(text):,} characters long, more than the limit of {MAX_LENGTH:,}", text[:80]
        )
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError as error:
        start = _offset(text, error.lineno or 1, (error.offset or len(text) + 1) - 1)
        raise ExpressionError(f"syntax error: {error.msg}", text, start) from None
    except (RecursionError, MemoryError):  # Python's messages are empty or about its own internals
        raise ExpressionError(
            "cannot parse the expression: it is nested too deeply for Python's parser (a long chain such as "
            "x + y + z + ... nests too: write it as sum(x, y, z, ...))", text, 0, len(text)
        ) from None
    except ValueError as error:  # e.g. an integer of more than 4300 digits
        raise ExpressionError(f"cannot parse the expression: {error}", text, 0, len(text)) from None
    # where each name is first used, as ast's (line, column in bytes): ordered like the text, without
    # converting each column to characters, which costs the length of the text per name
    first_use: dict[str, tuple[int, int]] = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        _check(text, node)
        if isinstance(node, ast.Name):
            position = (node.lineno, node.col_offset)
            first_use[node.id] = min(position, first_use.get(node.id, position))
        stack.extend(_children(node))
    return Expression(text, tree, tuple(sorted(first_use, key=first_use.__getitem__)))


def _check(text: str, node: ast.expr) -> None:
    """Raise `ExpressionError` unless `node` itself (not its operands) is in the whitelist."""

    def fail(message: str, at: ast.AST = node) -> ExpressionError:
        return ExpressionError(message, text, *character_span(text, at))

    if isinstance(node, ast.Constant):
        value = node.value
        if not is_real(value):
            raise fail(f"{type(value).__name__} constants are not supported, only real numbers")
        try:
            finite = math.isfinite(float(value))
        except OverflowError:
            finite = False
        if not finite:
            raise fail("this number is too large for a float")
    elif isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise fail(f"{node.id} is a function: call it, as in {FUNCTIONS[node.id].signature}")
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            # point at the operator: the text between the operands
            gap_start, gap_end = character_span(text, node.left)[1], character_span(text, node.right)[0]
            gap = text[gap_start:gap_end]
            start = gap_start + len(gap) - len(gap.lstrip(" \t\n()"))
            end = gap_start + len(gap.rstrip(" \t\n()"))
            raise ExpressionError("unsupported operator: the operators are + - * / **", text, start, end)
    elif isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise fail("unsupported operator: the unary operators are - and +")
    elif isinstance(node, ast.Call):
        _check_call(node, fail)
    else:
        what = _UNSUPPORTED.get(type(node), f"{type(node).__name__} expressions")
        raise fail(f"{what} are not supported: only numbers, names, + - * / ** and the functions of --help")


def _check_call(node: ast.Call, fail: Callable[..., ExpressionError]) -> None:
    if not isinstance(node.func, ast.Name):
        raise fail("only the functions of --help can be called, by their name", node.func)
    function = FUNCTIONS.get(node.func.id)
    if function is None:
        raise fail(f"unknown function {node.func.id!r}: the functions are {', '.join(FUNCTIONS)}", node.func)
    if node.keywords:
        raise fail(f"keyword arguments are not supported: call {function.signature}", node.keywords[0])
    for argument in node.args:
        if isinstance(argument, ast.Starred):
            raise fail("starred arguments are not supported", argument)
    count = len(node.args)
    if function.variadic and count == 0:
        raise fail(f"{function.name}() needs at least one argument: {function.signature}")
    if not function.variadic and not 1 <= count <= 1 + len(function.constants):
        expected = f"1 to {1 + len(function.constants)} arguments" if function.constants else "1 argument"
        raise fail(f"{function.name}() takes {expected}, got {count}: {function.signature}")


def parse_binding(text: str) -> tuple[str, float]:
    """``"x=2"`` as ``("x", 2.0)``; raises `ExpressionError` pointing at a bad name or number.

    The name is normalised to NFKC, as Python's parser normalises the names of an expression
    (``"ｘ=2"`` binds ``x``).
    """
    written, equals, number = text.partition("=")
    # Python's parser reads names in NFKC form (ｘ is x), so bindings are normalised the same way
    name = unicodedata.normalize("NFKC", written)
    if not equals:
        raise ExpressionError(f"{text!r} is not a binding: write NAME=NUMBER, as in x=2", text, 0, len(text))
    if not name.isidentifier() or name in FUNCTIONS:
        reason = "is a function" if name in FUNCTIONS else "is not a name"
        raise ExpressionError(f"{written!r} {reason}: write NAME=NUMBER, as in x=2", text, 0, len(written))
    number_start = len(written) + 1
    try:
        value = float(number)
    except ValueError:
        raise ExpressionError(f"{number!r} is not a number", text, number_start, len(text)) from None
    if not math.isfinite(value):
        raise ExpressionError(f"{number.strip()} is not a finite number", text, number_start, len(text))
    return name, value
