"""The report of `check_engine`: one finding per op and property, printed as a table.

Each failure carries its smallest counterexample, found and shrunk by Hypothesis, as code to
paste and run against the engine, with the engine's numbers next to the expected ones.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Literal

__all__ = ["ENGINE", "ENGINE_CHECKS", "OP_CHECKS", "EngineCheckError", "EngineReport", "Finding", "Status"]

Status = Literal["pass", "fail", "unsupported", "note", "not run"]
"""``pass`` and ``fail`` are judgements; ``unsupported`` (the engine has no such op), ``note`` (a
fact reported, not judged) and ``not run`` (an earlier check failed) are not."""

OP_CHECKS = ("value", "gradient", "node used twice", "programs")
"""What is checked for each op: its value and gradient alone, with a node used twice, inside random programs."""
ENGINE_CHECKS = ("programs", "second backward()", "backward after backward", "deep chain")
"""What is checked of the engine as a whole; ``programs`` fails when a program fails with no op at fault."""
ENGINE = "engine"
"""The subject of the findings about the engine as a whole."""

_WIDTH = 110


@dataclass(frozen=True)
class Finding:
    """How the engine did on one `check` for one op (`subject` is its name) or for the whole ``engine``.

    `summary` is one line (why it failed, what was found, why it is unsupported); `example` is the
    smallest counterexample of a failure: code to paste, then the engine's numbers next to ours.
    """

    subject: str
    check: str
    status: Status
    summary: str = ""
    example: str = ""


@dataclass(frozen=True)
class EngineReport:
    """Everything `check_engine` found about one engine; ``str(report)`` is the table."""

    engine: str
    findings: tuple[Finding, ...]
    max_examples: int
    depth: int
    seed: int | None

    @property
    def passed(self) -> bool:
        """Whether some check ran and none failed (unsupported ops and notes do not count against the engine).

        An engine that supports none of the ops checked has passed nothing: that is not a pass.
        """
        return not self.failures and self.judged > 0

    @property
    def judged(self) -> int:
        """How many checks ran to a verdict (pass or fail)."""
        return sum(finding.status in ("pass", "fail") for finding in self.findings)

    @property
    def failures(self) -> tuple[Finding, ...]:
        """The findings that failed, in the table's order."""
        return tuple(finding for finding in self.findings if finding.status == "fail")

    def finding(self, subject: str, check: str) -> Finding:
        """The finding for an op's name (or ``"engine"``) and a check; `KeyError` if there is none."""
        for finding in self.findings:
            if (finding.subject, finding.check) == (subject, check):
                return finding
        raise KeyError(f"no finding for {subject!r} · {check!r} in this report")

    def __str__(self) -> str:
        seed = "a random seed" if self.seed is None else f"seed {self.seed}"
        lines = [
            f"Checked {self.engine} against autodiff ({self.max_examples} examples per check, {seed}, "
            f"chains up to {self.depth:,} deep)",
            "",
        ]
        subjects = list(dict.fromkeys(f.subject for f in self.findings if f.subject != ENGINE))
        width = max([len("op"), *map(len, subjects)])
        lines.append(_row(["op".ljust(width), *OP_CHECKS], [width, *map(len, OP_CHECKS)]))
        unsupported: dict[str, list[str]] = {}
        for subject in subjects:
            reason = self._unsupported(subject)
            if reason:
                unsupported.setdefault(reason, []).append(subject)
                continue
            cells = [_cell(self._status(subject, check)) for check in OP_CHECKS]
            lines.append(_row([subject, *cells], [width, *map(len, OP_CHECKS)]))
            for finding in (f for f in self.findings if f.subject == subject and f.status == "fail"):
                lines += _wrapped(f"      {finding.summary}", 8) + _example(finding)
        for reason, names in unsupported.items():
            lines += _wrapped(f"  {', '.join(names).ljust(width)}  unsupported: {reason}", width + 4)
        engine = [f for f in self.findings if f.subject == ENGINE]
        width = max(len(f.check) for f in engine) if engine else 0
        lines += ["", _row(["engine".ljust(width), "result"], [width, 6])]
        for finding in engine:
            head = f"  {finding.check.ljust(width)}  {_cell(finding.status).ljust(6)}"
            lines += _wrapped(f"{head}  {finding.summary}".rstrip(), width + 12) + _example(finding)
        lines += ["", self._verdict()]
        return "\n".join(lines)

    def _unsupported(self, subject: str) -> str:
        """Why the engine does not have op `subject`, or "" if it does."""
        row = [f for f in self.findings if f.subject == subject]
        return row[0].summary if all(f.status == "unsupported" for f in row) else ""

    def _status(self, subject: str, check: str) -> Status:
        try:
            return self.finding(subject, check).status
        except KeyError:
            return "not run"

    def _verdict(self) -> str:
        unsupported = len({f.subject for f in self.findings if f.status == "unsupported"})
        tail = f"; {unsupported} ops unsupported" if unsupported else ""
        if self.judged == 0:
            return f"No check ran{tail}: the engine supports none of the ops checked, so it has passed nothing."
        if self.passed:
            return f"All {self.judged} checks passed{tail}."
        return f"{len(self.failures)} of {self.judged} checks failed{tail}."


def _cell(status: Status) -> str:
    return {"fail": "FAIL", "not run": "—"}.get(status, status)


def _example(finding: Finding) -> list[str]:
    """A finding's counterexample (or the program of a note), indented under its row."""
    if not finding.example:
        return []
    return [f"        {line}".rstrip() for line in finding.example.splitlines()] + [""]


def _row(cells: list[str], widths: list[int]) -> str:
    return ("  " + "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))).rstrip()


def _wrapped(text: str, indent: int) -> list[str]:
    return textwrap.wrap(text, width=_WIDTH, subsequent_indent=" " * indent, break_on_hyphens=False) or [text]


class EngineCheckError(AssertionError):
    """An engine failed `assert_engine`: the message is the report's table, `report` the report itself."""

    def __init__(self, report: EngineReport) -> None:
        super().__init__(str(report))
        self.report = report
