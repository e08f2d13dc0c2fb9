"""``python3 -m autodiff check-engine package.module:Value``: another engine checked against this one.

Prints the report of `autodiff.testing.check_engine` (a table: op × check, pass / FAIL /
unsupported, the smallest counterexample under each failure). Exits 0 when everything the engine
supports passes, 1 when something fails or nothing could be checked (it supports none of the ops
checked), 2 on bad arguments (a spec that names no engine, an unknown op), with a one-line message
and no traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from autodiff.checking.adapters import EngineLoadError, load_engine
from autodiff.core.ops import OPS
from autodiff.extras import MissingExtraError

__all__ = ["add_command", "run_command"]

NAME = "check-engine"
"""The subcommand's name."""
BAD_INPUT = 2
FAILED = 1

_EPILOG = """\
ENGINE names a class with micrograd's conventions (Value(0.5), .data, .grad, .backward(), Python's
operators and methods such as .tanh()), an autodiff.testing.Adapter, or a function returning one.
Its module is imported, so its code runs: check only engines you would run anyway. The current
folder is on the import path.

examples:
  python3 -m autodiff check-engine micrograd.engine:Value
  python3 -m autodiff check-engine my_engine:Value --ops tanh,exp --examples 200 --seed 1
  python3 -m autodiff check-engine autodiff.testing:torch_scalars
"""


def add_command(commands: Any) -> None:
    """Add the ``check-engine`` subcommand to `commands` (an argparse subparsers object)."""
    summary = "check another autodiff engine's values and gradients against this one"
    command = commands.add_parser(
        NAME,
        help=summary,
        description=summary + ".",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument("engine", metavar="ENGINE", help="package.module:Name, e.g. micrograd.engine:Value")
    command.add_argument("--ops", type=_op_names, metavar="NAMES", help="comma-separated ops to check (default all)")
    command.add_argument("--examples", type=_at_least(1), metavar="N", help="examples per check (default 100)")
    command.add_argument("--seed", type=_at_least(0), metavar="S", help="for the same report every run")
    command.add_argument("--depth", type=_at_least(1), metavar="D", help="longest chain tried (default 10,000)")


def _op_names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in OPS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"{', '.join(unknown) or repr(text)}: not an op; the ops are {', '.join(OPS)}"
        )
    return names


def _at_least(low: int) -> Any:
    def convert(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if number < low:
            raise argparse.ArgumentTypeError(f"{text!r} must be at least {low}")
        return number

    return convert


def run_command(arguments: argparse.Namespace) -> int:
    """Check the engine `arguments` name and print the report; returns the exit status."""
    try:
        engine = load_engine(arguments.engine)
    except EngineLoadError as error:
        print(f"python3 -m autodiff check-engine: error: {error}", file=sys.stderr)
        return BAD_INPUT
    try:
        from autodiff.checking.engine import DEFAULT_DEPTH, DEFAULT_EXAMPLES, MAX_DEPTH, check_engine
    except MissingExtraError as error:
        print(f"python3 -m autodiff check-engine: error: {error}", file=sys.stderr)
        return BAD_INPUT
    if arguments.depth is not None and arguments.depth > MAX_DEPTH:
        print(f"python3 -m autodiff check-engine: error: argument --depth: at most {MAX_DEPTH:,}", file=sys.stderr)
        return BAD_INPUT
    report = check_engine(
        engine,
        ops=arguments.ops,
        max_examples=arguments.examples or DEFAULT_EXAMPLES,
        depth=arguments.depth or DEFAULT_DEPTH,
        seed=arguments.seed,
    )
    print(report)
    return 0 if report.passed else FAILED
