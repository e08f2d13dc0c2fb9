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
ENGINE_CHECKS = ("second backward()", "backward after backward", "deep chain")
"""What is checked of the engine as a whole (and ``programs``, when no single op explains a failure)."""
ENGINE = "engine"
"""The subject of the findings about the engine as a whole."""

_WIDTH = 100


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
        """Whether nothing failed (unsupported ops and notes do not count against the engine)."""
        return not self.failures

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
        subjects = list(dict.fromkeys(finding.subject for finding in self.findings if finding.subject != ENGINE))
        name_width = max([len("op"), len("backward after backward"), *map(len, subjects)])
        widths = [max(len(check), len("unsupported")) for check in OP_CHECKS]
        lines.append("  " + "  ".join(["op".ljust(name_width), *(c.ljust(w) for c, w in zip(OP_CHECKS, widths, strict=True))]).rstrip())
        for subject in subjects:
            row = [f for f in self.findings if f.subject == subject]
            if all(f.status == "unsupported" for f in row):
                lines += _wrapped(f"  {subject.ljust(name_width)}  unsupported: {row[0].summary}", name_width + 4)
                continue
            cells = [_cell(self._status(subject, check)) for check in OP_CHECKS]
            lines.append("  " + "  ".join([subject.ljust(name_width), *(c.ljust(w) for c, w in zip(cells, widths, strict=True))]).rstrip())
            lines += [text for f in row if f.status == "fail" for text in _details(f, f"{subject} · {f.check}")]
        lines += ["", f"  {'engine'.ljust(name_width)}"]
        for finding in (f for f in self.findings if f.subject == ENGINE):
            head = f"  {finding.check.ljust(name_width)}  {_cell(finding.status)}"
            if finding.status == "fail":
                lines.append(head)
                lines += _details(finding, finding.check)
            else:
                lines += _wrapped(f"{head}  {finding.summary}".rstrip(), name_width + 4)
        lines += ["", self._verdict()]
        return "\n".join(lines)

    def _status(self, subject: str, check: str) -> Status:
        try:
            return self.finding(subject, check).status
        except KeyError:
            return "not run"

    def _verdict(self) -> str:
        judged = sum(finding.status in ("pass", "fail") for finding in self.findings)
        unsupported = len({f.subject for f in self.findings if f.status == "unsupported"})
        tail = f"; {unsupported} ops unsupported" if unsupported else ""
        if self.passed:
            return f"All {judged} checks passed{tail}."
        return f"{len(self.failures)} of {judged} checks failed{tail}."


def _cell(status: Status) -> str:
    return {"fail": "FAIL", "not run": "—"}.get(status, status)


def _wrapped(text: str, indent: int) -> list[str]:
    return textwrap.wrap(text, width=_WIDTH, subsequent_indent=" " * indent, break_on_hyphens=False) or [text]


def _details(finding: Finding, title: str) -> list[str]:
    """A failure under its row: what is wrong in one line, then the counterexample, indented."""
    lines = _wrapped(f"      {finding.summary}", 8)
    lines += [f"        {line}".rstrip() for line in finding.example.splitlines()]
    return [*lines, ""]


class EngineCheckError(AssertionError):
    """An engine failed `assert_engine`: the message is the report's table, `report` the report itself."""

    def __init__(self, report: EngineReport) -> None:
        super().__init__(str(report))
        self.report = report
