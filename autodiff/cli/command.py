"""The command line: ``python3 -m autodiff grad|draw|explore EXPRESSION NAME=VALUE...``, and ``check-engine``.

``check-engine`` lives in `autodiff.cli.check_engine`.

Bad input (an unsupported expression, a bad or unused binding, a domain error) prints a
one-line message and the text at fault with a caret under it, and exits with status 2.
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from autodiff.cli import check_engine
from autodiff.cli.expression import FUNCTIONS, ExpressionError, parse, parse_binding
from autodiff.core.value import Value
from autodiff.pictures.drawing import DEFAULT_MAX_NODES, RANKDIRS, SAVE_FORMATS, draw
from autodiff.pictures.explore import PAGE_SUFFIXES, explore
from autodiff.pictures.render import DEFAULT_TIMEOUT, MAX_TIMEOUT, RenderError, check_timeout

__all__ = ["main"]

BAD_INPUT = 2
RENDER_FAILED = 1
INTERRUPTED = 130
"""The exit status after Ctrl-C, as a shell gives it (128 + SIGINT)."""

def _function_list(width: int = 72) -> str:
    lines = [""]
    for signature in (function.signature for function in FUNCTIONS.values()):
        if lines[-1] and len(lines[-1]) + len(signature) + 2 > width:
            lines[-1] += ","
            lines.append("")
        lines[-1] += f", {signature}" if lines[-1] else signature
    return "\n               ".join(lines)


GRAMMAR = f"""\
the expression (parsed, never run by Python):
  numbers      2   -3.5   1e-3
  names        x   w1   any identifier, bound on the command line as NAME=VALUE
  operators    + - * / **  and unary - +, with Python's precedence; ( ) to group
  functions    {_function_list()}
  A constant argument such as leaky_relu's slope is a number, not a name.
  Nothing else: no attributes, subscripts, strings, lambdas, comparisons, other functions.
  An expression that starts with '-' goes after '--':  python3 -m autodiff grad -- -x x=2

examples:
  python3 -m autodiff grad "x*x + 3*x" x=2
  python3 -m autodiff draw "tanh(x*w + b)" x=2 w=-3 b=6.8813735870195432 -o neuron.svg
  python3 -m autodiff explore "tanh(x*w + b)" x=2 w=-3 b=6.8813735870195432 -o neuron.html
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python3 -m autodiff",
        description="The value and gradients of an expression, and a picture of its computation graph.",
        epilog=GRAMMAR,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{grad,draw,explore,check-engine}")
    for name, summary in (
        ("grad", "print the value of EXPRESSION and its gradient with respect to every name"),
        ("draw", "the same, and save a picture of the computation graph after backward()"),
        ("explore", "the same, and save a page that steps through the forward and backward pass"),
    ):
        command = commands.add_parser(
            name, help=summary, description=summary + ".", epilog=GRAMMAR,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_argument("expression", metavar="EXPRESSION", help='e.g. "tanh(x*w + b)"')
        command.add_argument("bindings", metavar="NAME=VALUE", nargs="*", help="a name's value, e.g. x=2")
        if name == "draw":
            formats = ", ".join(SAVE_FORMATS)
            command.add_argument(
                "-o", "--output", required=True, type=_picture_path, metavar="PATH",
                help=f"where to save the picture; its extension chooses the format: {formats}",
            )
        if name == "explore":
            command.add_argument(
                "-o", "--output", required=True, type=_page_path, metavar="PATH",
                help="where to save the page, an .html file (one file, opens offline)",
            )
        if name != "grad":
            command.add_argument("--rankdir", choices=RANKDIRS, default="LR", help="direction (default LR)")
            command.add_argument("--color-by-grad", action="store_true", help="darker for larger |grad|")
            command.add_argument(
                "--max-nodes", type=_positive(int), default=DEFAULT_MAX_NODES, metavar="N",
                help=f"refuse to draw more nodes than this (default {DEFAULT_MAX_NODES}): bigger pictures are "
                     "unreadable and slow to lay out",
            )
            command.add_argument(
                "--timeout", type=_timeout, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                help=f"give up laying out the picture after this long (default {DEFAULT_TIMEOUT:g})",
            )
    check_engine.add_command(commands)
    return parser


def _positive(kind: type[int] | type[float]) -> Callable[[str], float]:
    def convert(text: str) -> float:
        try:
            number = kind(text)
        except ValueError:
            number = 0
        if not 0 < number < math.inf:  # also refuses NaN
            raise argparse.ArgumentTypeError(f"{text!r} is not a positive, finite {kind.__name__}")
        return number

    return convert


def _timeout(text: str) -> float:
    """A --timeout: bounded by the renderer's own check, so every value accepted here renders."""
    try:
        seconds = float(text)
        check_timeout(seconds)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a positive, finite float of at most {MAX_TIMEOUT:g} seconds"
        ) from None
    return seconds


def _picture_path(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() not in SAVE_FORMATS:
        raise argparse.ArgumentTypeError(f"{text!r} needs one of the extensions {', '.join(SAVE_FORMATS)}")
    return path


def _page_path(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() not in PAGE_SUFFIXES:
        raise argparse.ArgumentTypeError(f"{text!r} needs the extension .html")
    return path


def _report(error: ExpressionError) -> int:
    print(f"python3 -m autodiff: error: {error.message}", file=sys.stderr)
    if error.text:
        for line in error.pointer().splitlines():
            print(f"  {line}", file=sys.stderr)
    return BAD_INPUT


def _bind(expression_names: Sequence[str], arguments: Sequence[str]) -> dict[str, float]:
    bindings: dict[str, float] = {}
    for argument in arguments:
        name, value = parse_binding(argument)
        written = len(argument.partition("=")[0])  # the name as typed, before NFKC
        if name in bindings:
            raise ExpressionError(f"{name} is given twice", argument, 0, written)
        if name not in expression_names:
            raise ExpressionError(f"{name} is not used by the expression", argument, 0, written)
        bindings[name] = value
    return bindings


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv` (default ``sys.argv[1:]``); returns the exit status.

    Ctrl-C stops it with one line and status `INTERRUPTED`; a picture being saved is either
    written whole or not at all.
    """
    try:
        return _run(_parser().parse_args(argv))
    except KeyboardInterrupt:
        print("\npython3 -m autodiff: interrupted (Ctrl-C)", file=sys.stderr)
        return INTERRUPTED


def _run(arguments: argparse.Namespace) -> int:
    if arguments.command == check_engine.NAME:
        return check_engine.run_command(arguments)
    try:
        expression = parse(arguments.expression)
        bindings = _bind(expression.names, arguments.bindings)
        root, leaves = expression.graph(bindings)
    except ExpressionError as error:
        return _report(error)
    root.backward()  # never raises once the forward pass has run: an infinite slope gives inf
    print(f"{expression.text} = {root.data!r}")
    for name in bindings:
        print(f"d/d{name} = {leaves[name].grad!r}")
    return _save(root, arguments) if arguments.command != "grad" else 0


def _save(root: Value, arguments: argparse.Namespace) -> int:
    save: Callable[[Path], Path]
    try:
        if arguments.command == "draw":
            drawing = draw(root, rankdir=arguments.rankdir, color_by_grad=arguments.color_by_grad,
                           max_nodes=arguments.max_nodes)
            save = functools.partial(drawing.save, timeout=arguments.timeout)
        else:  # explore lays the page out now: its timeout applies here
            save = explore(root, rankdir=arguments.rankdir, color_by_grad=arguments.color_by_grad,
                           max_nodes=arguments.max_nodes, timeout=arguments.timeout).save
        path = save(arguments.output)
    except ValueError as error:  # too many nodes: a long expression would take Graphviz minutes
        message = str(error).replace("pass max_nodes=", "pass --max-nodes ")
        print(f"python3 -m autodiff: error: {message}", file=sys.stderr)
        return BAD_INPUT
    except (RenderError, OSError) as error:
        print(f"python3 -m autodiff: error: {error}", file=sys.stderr)
        return RENDER_FAILED
    print(f"wrote {path}")
    return 0
