"""The report of a failed gradient check: a small table of derivatives a student can read.

Private to the package: `gradcheck` uses it, and so can any other check that compares computed
derivatives with finite differences (second derivatives, directional derivatives).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Comparison", "format_table", "mismatch_report", "shown_number"]

_MAX_ROWS = 12
"""Above this many comparisons the table shows the mismatches only."""
_FIRST_MISMATCH = "← first mismatch"


@dataclass(frozen=True)
class Comparison:
    """One derivative computed two ways: `analytical` (by the engine) and `numerical` (by differences).

    `output` and `input` are indices; `label` names the input in the table (e.g. ``0 (x)``).
    """

    output: int
    input: int
    label: str
    analytical: float
    numerical: float

    @property
    def abs_error(self) -> float:
        """|analytical − numerical|."""
        return abs(self.analytical - self.numerical)

    @property
    def rel_error(self) -> float:
        """The absolute error relative to |numerical| (infinite when numerical is 0 and they differ)."""
        if self.abs_error == 0:
            return 0.0
        return self.abs_error / abs(self.numerical) if self.numerical else math.inf

    def close(self, atol: float, rtol: float) -> bool:
        """Whether |analytical − numerical| <= atol + rtol·|numerical| (NaN is never close)."""
        # equal infinities count as close; NaN on either side never does
        return self.analytical == self.numerical or self.abs_error <= atol + rtol * abs(self.numerical)


def shown_number(x: float) -> str:
    """A float with enough digits to see a difference, and no more (``0.5``, ``1.000000028``)."""
    return f"{x:.10g}"


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]], marked: Sequence[bool]) -> str:
    """Rows of text as aligned columns; marked rows start with ✗ and the first one says so."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str], mark: str, note: str = "") -> str:
        text = "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return f"  {mark} {text}  {note}".rstrip()

    lines = [line(header, " ")]
    first = True
    for cells, bad in zip(rows, marked, strict=True):
        lines.append(line(cells, "✗" if bad else " ", _FIRST_MISMATCH if bad and first else ""))
        first = first and not bad
    return "\n".join(lines)


def mismatch_report(
    title: str,
    comparisons: Sequence[Comparison],
    *,
    point: str,
    atol: float,
    rtol: float,
    eps: float,
    columns: tuple[str, str] = ("analytical", "numerical"),
    output_labels: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> str:
    """The whole failure message: title, point, tolerance rule, the table, then `notes`.

    Every comparison is a row while there are few; with many (a whole network's parameters) only
    the mismatches are shown, and the count of the others. Outputs are shown by their index, or
    by `output_labels` (one per output index) when given.
    """
    bad = [not c.close(atol, rtol) for c in comparisons]
    shown: list[tuple[Comparison, bool]] = list(zip(comparisons, bad, strict=True))
    hidden = 0
    if len(shown) > _MAX_ROWS:
        mismatches: list[tuple[Comparison, bool]] = [(c, b) for c, b in shown if b]
        hidden = len(shown) - min(len(mismatches), _MAX_ROWS)
        shown = mismatches[:_MAX_ROWS]
    header = ["output", "input", *columns, "abs error", "rel error"]
    rows = [
        [
            output_labels[c.output] if output_labels else str(c.output),
            c.label,
            shown_number(c.analytical),
            shown_number(c.numerical),
            f"{c.abs_error:.1e}",
            f"{c.rel_error:.1e}",
        ]
        for c, _ in shown
    ]
    parts = [
        title,
        "",
        f"  point: {point}",
        f"  a mismatch is |{columns[0]} − {columns[1]}| > atol + rtol·|{columns[1]}|"
        f"  (atol={atol:g}, rtol={rtol:g}, eps={eps:g})",
        "",
        format_table(header, rows, [b for _, b in shown]),
    ]
    if hidden:
        parts.append(f"    ... and {hidden} more rows, not shown")
    if notes:
        parts.append("")
        parts += [textwrap.fill(note, width=100, initial_indent="  ", subsequent_indent="    ") for note in notes]
    return "\n".join(parts)
