"""Scripts: what the engine checker runs on two engines alike, and prints as code to paste.

A `Script` is a `Program` (from `autodiff.testing.programs`) and what is done with its nodes, in
order: make them, call ``backward()`` on one, zero some gradients, read values and gradients.
`run` carries it out on an engine through its `Adapter` and gives the numbers read; `render`
writes the very same lines as Python code in the engine's `Spelling`, one line per thing done,
so that a line of the code can point at where an engine raised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from autodiff.checking.adapters import Adapter, Spelling, one_line, spell
from autodiff.checking.comparison import format_table, shown_number
from autodiff.checking.programs import Program, Step
from autodiff.core.ops import VARIADIC

__all__ = [
    "ATOL",
    "RTOL",
    "Line",
    "Outcome",
    "Reading",
    "Script",
    "ancestry",
    "call_arguments",
    "close",
    "compare",
    "render",
    "restricted",
    "run",
    "side_by_side",
]

Action = Literal["make", "backward", "zero", "value", "grad"]


@dataclass(frozen=True)
class Line:
    """One thing a script does to node `node`.

    Make it (a leaf or a step), ``backward()`` from it, zero its gradient, read its value, or read
    its gradient (``grad``) after a backward from `of`.
    """

    action: Action
    node: int
    of: int = -1
    note: str = ""

    @property
    def label(self) -> str:
        """How a reading is named in a report: ``v1`` for a value, ``dv3/dv0`` for a gradient."""
        if self.action == "value":
            return f"v{self.node}"
        return f"dv{self.of}/dv{self.node}{self.note}"


@dataclass(frozen=True)
class Script:
    """A `Program` and the `Line`s done with it; numbers are read by the ``value`` and ``grad`` lines."""

    program: Program
    lines: tuple[Line, ...]


def ancestry(program: Program, node: int) -> list[int]:
    """`node` and every node it depends on, in the order they are made (inputs first)."""
    first = len(program.inputs)
    needed = {node}
    for k in range(node, first - 1, -1):
        if k in needed:
            needed.update(program.steps[k - first].operands)
    return sorted(needed)


def restricted(program: Program, node: int) -> Program:
    """`program` cut down to what `node` depends on, renumbered, so that `node` is its last step."""
    kept = ancestry(program, node)
    first = len(program.inputs)
    number = {old: new for new, old in enumerate(kept)}
    inputs = tuple(program.inputs[k] for k in kept if k < first)
    steps = []
    for k in (k for k in kept if k >= first):
        step = program.steps[k - first]
        steps.append(Step(step.op, tuple(number[i] for i in step.operands), step.arg))
    return Program(inputs, tuple(steps))


@dataclass(frozen=True)
class Reading:
    """One number a script read: its `label` (``v1``, ``dv1/dv0``) and the number."""

    label: str
    number: float


@dataclass(frozen=True)
class Outcome:
    """What running a script on one engine gave: the readings, and where and what it raised, if it did."""

    readings: tuple[Reading, ...]
    raised_at: int = -1
    """The index in `Script.lines` of the line that raised, or -1."""
    error: str = ""


def run(script: Script, engine: Adapter) -> Outcome:
    """Carry out `script` on `engine`; an exception of the engine stops it and is recorded, not raised."""
    nodes: dict[int, Any] = {}
    readings: list[Reading] = []
    for index, line in enumerate(script.lines):
        try:
            if line.action == "make":
                nodes[line.node] = _make(script, engine, nodes, line.node)
            elif line.action == "backward":
                engine.backward(nodes[line.node])
            elif line.action == "zero":
                engine.zero_grad(nodes[line.node])
            elif line.action == "value":
                readings.append(Reading(line.label, float(engine.value(nodes[line.node]))))
            else:
                readings.append(Reading(line.label, float(engine.grad(nodes[line.node]))))
        except Exception as error:  # the engine under test may raise anything: that is a finding
            return Outcome(tuple(readings), index, one_line(error))
    return Outcome(tuple(readings))


def _make(script: Script, engine: Adapter, nodes: dict[int, Any], node: int) -> Any:
    program = script.program
    first = len(program.inputs)
    if node < first:
        return engine.leaf(program.inputs[node])
    step = program.steps[node - first]
    return engine.ops[step.op.name](*call_arguments(step.op.arity, [nodes[i] for i in step.operands], step.arg))


def call_arguments(arity: int, operands: list[Any], arg: Any) -> list[Any]:
    """The arguments of an adapter's op: its operands (a list for a variadic op), then the constant if any."""
    arguments: list[Any] = [operands] if arity == VARIADIC else operands
    return arguments if arg is None else [*arguments, arg]


def render(script: Script, spelling: Spelling, expected: Outcome | None = None) -> list[str]:
    """The script as Python code for the engine of `spelling`, one line per `Line` after the imports.

    With `expected`, each line that reads a number ends with ``# expected ...``.
    """
    numbers = {reading.label: reading.number for reading in expected.readings} if expected else {}
    code = [spelling.imports]
    for line in script.lines:
        name = f"v{line.node}"
        if line.action == "make":
            code.append(f"{name} = {_spelled_node(script, spelling, line.node)}")
        elif line.action == "backward":
            code.append(spelling.backward.format(name))
        elif line.action == "zero":
            code.append(spelling.zero_grad.format(name))
        else:
            read = spelling.value if line.action == "value" else spelling.grad
            comment = f"  # expected {shown_number(numbers[line.label])}" if line.label in numbers else ""
            code.append(f'print("{line.label}", {read.format(name)}){comment}')
    return code


def _spelled_node(script: Script, spelling: Spelling, node: int) -> str:
    program = script.program
    first = len(program.inputs)
    if node < first:
        return spelling.leaf.format(x=repr(program.inputs[node]))
    step = program.steps[node - first]
    return spell(spelling.ops[step.op.name], [f"v{i}" for i in step.operands], step.arg)


RTOL = 1e-6
"""Relative tolerance between the two engines' numbers: rounding differs, wrong rules differ far more."""
ATOL = 1e-9
"""Absolute tolerance, for numbers near 0."""


def close(theirs: float, ours: float) -> bool:
    """Whether two engines agree on a number (equal infinities agree; NaN never does)."""
    return theirs == ours or abs(theirs - ours) <= ATOL + RTOL * abs(ours)


def compare(theirs: Outcome, ours: Outcome) -> int | None:
    """The index of the first reading where the engines disagree (or the engine under test raised), or None."""
    for index, (mine, reference) in enumerate(zip(theirs.readings, ours.readings, strict=False)):
        if not close(mine.number, reference.number):
            return index
    if theirs.error:
        return len(theirs.readings)
    return None


def side_by_side(theirs: Outcome, ours: Outcome, *, judged: bool = True) -> str:
    """The readings of both engines as a table; when `judged`, ours are "expected" and mismatches marked ``✗``."""
    rows: list[list[str]] = []
    marked: list[bool] = []
    for index, reference in enumerate(ours.readings):
        mine = theirs.readings[index].number if index < len(theirs.readings) else math.nan
        shown = shown_number(mine) if index < len(theirs.readings) else "(raised)"
        rows.append([reference.label, shown, shown_number(reference.number)])
        marked.append(judged and not close(mine, reference.number))
    return format_table(["", "yours", "expected" if judged else "autodiff"], rows, marked)
