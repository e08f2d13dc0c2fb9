"""Programs over the op table, as `autodiff.testing` draws them: one op call, or straight-line steps.

`OpCall` and `Program` run on Values (building a graph) or on floats (the forward rules), and print
themselves as the lines of a program (``v3 = v0 × v1``), which is how Hypothesis shows a failing
example.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from autodiff.core.ops import Op
from autodiff.core.value import Value, apply

__all__ = ["OpCall", "Program", "Step", "apply_to", "program_line"]


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
        return apply_to(self.op, operands, self.arg)

    def __repr__(self) -> str:
        return f"OpCall({program_line(self.op, [repr(x) for x in self.inputs], self.arg)})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis prints drawn values with this hook; without it, every field of the Op
        printer.text(repr(self))


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
            results.append(apply_to(step.op, [results[i] for i in step.operands], step.arg))
        return tuple(results[i] for i in self.outputs)

    def __repr__(self) -> str:
        shown_inputs = ", ".join(f"v{i}={x!r}" for i, x in enumerate(self.inputs))
        first = len(self.inputs)
        lines = [
            f"v{first + k} = {program_line(step.op, [f'v{i}' for i in step.operands], step.arg)}"
            for k, step in enumerate(self.steps)
        ]
        returned = ", ".join(f"v{i}" for i in self.outputs)
        return f"program({shown_inputs}): {'; '.join(lines)}; return {returned}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis prints drawn values with this hook; the one-line repr reads best
        printer.text(repr(self))


def apply_to(op: Op, operands: Sequence[Any], arg: Any) -> Any:
    """`op` on Values (a new node) or on numbers (the forward rule), never a mix."""
    if all(isinstance(x, Value) for x in operands):
        return apply(op, *operands, arg=arg)
    if not any(isinstance(x, Value) for x in operands):
        return op.on_floats([float(x) for x in operands], arg)
    raise TypeError(f"{op.name} needs all its operands to be Values or all numbers, not a mix")


def program_line(op: Op, operands: Sequence[str], arg: Any) -> str:
    """One op as a line of a program: ``v0 × v1``, ``v0 ** 3.0``, ``tanh(v0)``, ``max(v0, v1)``."""
    if op.syntax == "infix" and op.arity == 2:
        return f"{operands[0]} {op.template} {operands[1]}"
    if op.syntax == "infix":
        # the template with the constant in place: ``** 3.0``, or ``2.0 −`` for a leading one
        written = op.template.format(arg=repr(arg))
        leading = op.constant is not None and op.constant.leading
        return f"{written} {operands[0]}" if leading else f"{operands[0]} {written}"
    if op.syntax == "prefix":
        return f"{op.template}{operands[0]}"
    shown = list(operands)
    if arg is not None:
        shown.append(repr(arg) if op.arity == 1 else f"arg={arg!r}")
    return f"{op.name}({', '.join(shown)})"
