"""`check_engine`: someone else's scalar autodiff engine checked against this one, op by op.

Random programs over the op table run on both engines; Hypothesis finds a program on which the
values or gradients differ and shrinks it to the smallest, and each op of that program is then
run alone to say whose rule is wrong ("`tanh`: your derivative at 1.0 is 0.238405844, expected
0.4199743416", for a tanh whose slope is written 1 − t instead of 1 − t²). For each op the engine has:

- ``value`` and ``gradient``: the op alone on fresh leaves, inside its domain;
- ``node used twice``: ``x * x`` for an op of several inputs; for an op of one, two uses of it on
  one node, added (the gradients of both uses must add up);
- ``programs``: the op inside random straight-line programs with reused results and constants.

And of the engine as a whole:

- ``second backward()``: what a second ``backward()`` on the same graph does to the gradients
  (adds them again, keeps them, or something else): a note, not a judgement;
- ``backward after backward``: ``backward()`` from a node built on a graph that an earlier
  ``backward()`` went through, after zeroing the gradients of the leaves and of that earlier
  output, must give fresh gradients (PyTorch does; an engine that leaves gradients on inner nodes
  passes them on again);
- ``deep chain``: the depth at which the engine fails on a chain of one op (micrograd's
  recursive topological sort raises `RecursionError` near Python's recursion limit): a note.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from autodiff.checking.adapters import Adapter, micrograd_style, one_line, spell
from autodiff.checking.comparison import shown_number
from autodiff.checking.deep_chain import ChainResult, probe_chain
from autodiff.checking.engine_report import ENGINE, ENGINE_CHECKS, OP_CHECKS, EngineCheckError, EngineReport, Finding
from autodiff.checking.programs import OpCall, Program, Step
from autodiff.checking.scripts import (
    Line,
    Outcome,
    Script,
    ancestry,
    call_arguments,
    compare,
    render,
    restricted,
    run,
    side_by_side,
)
from autodiff.checking.strategies import op_inputs, programs
from autodiff.core.ops import OPS, REALS, VARIADIC, Op
from autodiff.core.value import Value, apply
from autodiff.extras import needs_extra

with needs_extra("testing", "autodiff.testing"):
    from hypothesis import HealthCheck, Phase, Verbosity, assume, currently_in_test_context, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st
    from hypothesis.errors import FlakyFailure, NoSuchExample, Unsatisfiable
    from hypothesis.strategies import SearchStrategy

__all__ = [
    "DEFAULT_DEPTH", "DEFAULT_EXAMPLES", "MAX_DEPTH", "Engine", "assert_engine", "check_engine", "reference_engine",
]

DEFAULT_EXAMPLES = 100
"""Examples Hypothesis tries per check: a run over micrograd's ops takes seconds."""
DEFAULT_DEPTH = 10_000
"""The longest chain the deep-chain check builds."""
MAX_DEPTH = 10_000_000
"""The largest `depth` `check_engine` takes: a deeper chain would not fit the probe's time or memory budget,
and checking that its op stays finite along it would take minutes."""

Engine = Adapter | type
"""An engine to check: an `Adapter`, or a micrograd-style class (see `micrograd_style`)."""

T = TypeVar("T")


def check_engine(
    engine: Engine,
    *,
    ops: Iterable[str | Op] | None = None,
    max_examples: int = DEFAULT_EXAMPLES,
    depth: int = DEFAULT_DEPTH,
    seed: int | None = None,
) -> EngineReport:
    """Check `engine`'s values and gradients against this engine's; the report says what failed and why.

    `engine` is an `Adapter` or a micrograd-compatible class, recognised by duck typing. `ops`
    (names in `autodiff.OPS`, all by default) are the ops to check; the ones the engine lacks are
    reported as unsupported, not failed. Hypothesis tries `max_examples` examples per check and
    shrinks a failure to its smallest program; `depth` is the longest chain of the deep-chain
    check. With a `seed`, the same engine gives the same report.
    """
    adapter = _as_adapter(engine)
    chosen = _chosen_ops(ops)
    for name, number, low in (("max_examples", max_examples, 1), ("depth", depth, 1)):
        if not isinstance(number, int) or isinstance(number, bool) or number < low:
            raise ValueError(f"check_engine() {name} must be an int >= {low}, got {number!r}")
    if depth > MAX_DEPTH:
        raise ValueError(f"check_engine() depth must be at most {MAX_DEPTH:,}, got {depth:,}")
    if seed is not None and (not isinstance(seed, numbers.Integral) or isinstance(seed, bool)):
        raise ValueError(f"check_engine() seed must be an int or None, got {seed!r}")
    checker = _Checker(adapter, max_examples, seed)
    findings = checker.check_ops(chosen) + checker.check_engine(depth)
    return EngineReport(adapter.name, tuple(findings), max_examples, depth, seed)


def assert_engine(
    engine: Engine,
    *,
    ops: Iterable[str | Op] | None = None,
    max_examples: int = DEFAULT_EXAMPLES,
    depth: int = DEFAULT_DEPTH,
    seed: int | None = None,
) -> EngineReport:
    """`check_engine` as an assertion: raises `EngineCheckError` (an `AssertionError`) with the report unless it passed.

    A report passes when some check ran and none failed (see `EngineReport.passed`).
    """
    report = check_engine(engine, ops=ops, max_examples=max_examples, depth=depth, seed=seed)
    if not report.passed:
        raise EngineCheckError(report)
    return report


def _as_adapter(engine: Engine) -> Adapter:
    """`engine` as an `Adapter`: itself, or `micrograd_style` of a class."""
    if isinstance(engine, Adapter):
        return engine
    if isinstance(engine, type):
        return micrograd_style(engine)
    raise TypeError(f"check_engine() takes an Adapter or a micrograd-style class, got {engine!r}")


def _chosen_ops(ops: Iterable[str | Op] | None) -> list[Op]:
    if ops is None:
        return list(OPS.values())
    if isinstance(ops, str):
        raise ValueError(f"check_engine() ops must be a list of op names such as [{ops!r}], not the string {ops!r}")
    chosen: list[Op] = []
    for op in ops:
        name = op.name if isinstance(op, Op) else op
        if name not in OPS:
            raise ValueError(f"check_engine() ops: {name!r} is not an op of autodiff.OPS ({', '.join(OPS)})")
        chosen.append(OPS[name])
    if not chosen:
        raise ValueError("check_engine() ops must name at least one op")
    # in the table's order, so that the order given does not change the programs drawn
    return [op for op in OPS.values() if op in chosen]


# ---------------------------------------------------------------------------------------------
# our engine, driven like theirs


def reference_engine() -> Adapter:
    """Our engine as an `Adapter`: the reference every other engine is checked against."""

    def applied(op: Op) -> Callable[..., Value]:
        def call(*arguments: Any) -> Value:
            # the adapter's convention (see `call_arguments`) back to operands and constant
            count = 1 if op.arity == VARIADIC else op.arity
            operands = arguments[0] if op.arity == VARIADIC else arguments[:count]
            return apply(op, *operands, arg=arguments[count] if len(arguments) > count else None)

        return call

    return Adapter(name="autodiff", leaf=Value, ops={name: applied(op) for name, op in OPS.items()})


# ---------------------------------------------------------------------------------------------
# scripts: what is run on both engines


def _value_script(program: Program) -> Script:
    """Make every node, read every step's value."""
    nodes = range(len(program.inputs) + len(program.steps))
    steps = range(len(program.inputs), len(nodes))
    return Script(program, (*(Line("make", k) for k in nodes), *(Line("value", k) for k in steps)))


def _gradient_scripts(program: Program) -> list[Script]:
    """One script per output, on the program cut down to it: make it, backward, read the leaves' gradients."""
    return [_gradient_script(restricted(program, output)) for output in program.outputs]


def _gradient_script(program: Program) -> Script:
    """Make every node, backward from the last, read every leaf's gradient."""
    last = len(program.inputs) + len(program.steps) - 1
    lines = [*(Line("make", k) for k in range(last + 1)), Line("backward", last)]
    return Script(program, (*lines, *(Line("grad", leaf, of=last) for leaf in range(len(program.inputs)))))


def _single_step(step: Step, inputs: Sequence[float]) -> Program:
    return Program(tuple(inputs), (step,))


def _program_of(call: OpCall) -> Program:
    """The op of `call` on its inputs, one leaf each, as a program of one step."""
    return _single_step(Step(call.op, tuple(range(len(call.inputs))), call.arg), call.inputs)


@dataclass(frozen=True)
class _Failure:
    """A script on which the engines disagree: both outcomes and the first reading that differs."""

    script: Script
    theirs: Outcome
    ours: Outcome
    index: int

    @property
    def of_gradients(self) -> bool:
        """Whether the failing script is a gradient's (it calls backward), not one of values only."""
        return any(line.action == "backward" for line in self.script.lines)

    def reading(self) -> tuple[str, str, str]:
        """The label of the first mismatch, the engine's number (or what it raised) and ours."""
        expected = self.ours.readings[self.index]
        if self.index < len(self.theirs.readings):
            return expected.label, shown_number(self.theirs.readings[self.index].number), shown_number(expected.number)
        return expected.label, "", shown_number(expected.number)


# ---------------------------------------------------------------------------------------------
# the checker


class _Checker:
    def __init__(self, engine: Adapter, max_examples: int, seed: int | None) -> None:
        self.engine = engine
        self.reference = reference_engine()
        self.seed = seed
        self.settings = settings(
            max_examples=max_examples,
            database=None,  # the user's folder stays untouched
            deadline=None,
            derandomize=False,
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
            verbosity=Verbosity.quiet,
            phases=(Phase.generate, Phase.shrink),
        )

    # running and comparing

    def disagreement(self, script: Script) -> _Failure | None:
        """Where the engine under test disagrees with ours on `script`, or None."""
        ours = run(script, self.reference)
        if ours.error:
            # outside our own engine's domain: not a program to judge another engine by
            if currently_in_test_context():
                assume(False)
            return None
        theirs = run(script, self.engine)
        index = compare(theirs, ours)
        return None if index is None else _Failure(script, theirs, ours, index)

    def first_disagreement(self, program: Program) -> _Failure | None:
        """The first script of `program` (values, then each output's gradients) on which the engines disagree."""
        for script in (_value_script(program), *_gradient_scripts(program)):
            failure = self.disagreement(script)
            if failure is not None:
                return failure
        return None

    def search(self, strategy: SearchStrategy[T], falsify: Callable[[T], _Failure | None]) -> _Failure | None:
        """Hypothesis' smallest example on which `falsify` finds a failure, or None if it finds none."""
        found: list[_Failure] = []

        def test(example: T) -> None:
            failure = falsify(example)
            if failure is not None:
                found.append(failure)
                raise _Falsified

        search = self.settings(given(strategy)(test))
        if self.seed is not None:
            search = hypothesis_seed(self.seed)(search)
        try:
            search()
        except (_Falsified, FlakyFailure):
            return found[-1]
        except Unsatisfiable:
            raise _NoExamples from None
        return None

    def judge(
        self,
        subject: str,
        check: str,
        strategy: SearchStrategy[T],
        falsify: Callable[[T], _Failure | None],
        summary: Callable[[_Failure], str],
    ) -> Finding:
        """The finding of a search: pass, fail with the smallest counterexample, or not run without examples."""
        try:
            failure = self.search(strategy, falsify)
        except _NoExamples:
            return Finding(subject, check, "not run", _NO_EXAMPLES)
        return self.finding(subject, check, failure, summary)

    def finding(
        self, subject: str, check: str, failure: _Failure | None, summary: Callable[[_Failure], str]
    ) -> Finding:
        if failure is None:
            return Finding(subject, check, "pass")
        return Finding(subject, check, "fail", summary(failure), self.example(failure))

    def example(self, failure: _Failure) -> str:
        """The counterexample: code to paste (the line that raised marked), then both engines' numbers."""
        code = render(failure.script, self.engine.code, failure.ours)
        if failure.theirs.error:
            # the first code line is the imports
            code[failure.theirs.raised_at + 1] += f"  # raises {failure.theirs.error}"
        return "\n".join([*code, "", side_by_side(failure.theirs, failure.ours)])

    # the checks of each op

    def check_ops(self, chosen: list[Op]) -> list[Finding]:
        findings: dict[tuple[str, str], Finding] = {}

        def record(finding: Finding) -> None:
            findings[finding.subject, finding.check] = finding

        supported = []
        for op in chosen:
            reason = self.unsupported(op)
            if reason:
                for check in OP_CHECKS:
                    record(Finding(op.name, check, "unsupported", reason))
            else:
                supported.append(op)
        sound = []
        for op in supported:
            # one search for both: a failure says which; only a gradient failure needs the values searched alone
            try:
                failure = self.search(op_inputs(op), self.alone)
            except _NoExamples:
                record(Finding(op.name, "value", "not run", _NO_EXAMPLES))
                record(Finding(op.name, "gradient", "not run", _NO_EXAMPLES))
                continue
            if failure is None:
                record(Finding(op.name, "value", "pass"))
                record(Finding(op.name, "gradient", "pass"))
                sound.append(op)
            elif not failure.of_gradients:
                record(self.finding(op.name, "value", failure, self.blamed))
                record(Finding(op.name, "gradient", "not run", "its value fails"))
            else:
                record(self.judge(op.name, "value", op_inputs(op), self.value_alone, self.blamed))
                record(self.finding(op.name, "gradient", failure, self.blamed))
        # ops of several inputs first: one that passes joins the two uses of an op of one input
        joiners: list[Op] = []
        for op in sorted(sound, key=lambda op: op.arity == 1):
            record(self.used_twice(op, joiners))
            if findings[op.name, "node used twice"].status == "pass":
                joiners.append(op)
        for op in supported:
            if (op.name, "node used twice") not in findings:
                record(Finding(op.name, "node used twice", "not run", "its value or gradient fails"))
        sound = [op for op in sound if findings[op.name, "node used twice"].status != "fail"]
        for finding in self.in_programs(sound):
            record(finding)
        for op in supported:
            if (op.name, "programs") not in findings:
                record(Finding(op.name, "programs", "not run", "it fails on its own"))
        # the engine's checks use the ops right on their own and not found at fault in a program
        self.sound = [op for op in sound if findings[op.name, "programs"].status != "fail"]
        # the table's order: ops as in autodiff.OPS, then the engine
        order = {name: k for k, name in enumerate(OPS)}
        return sorted(findings.values(), key=lambda f: order.get(f.subject, len(order)))

    def unsupported(self, op: Op) -> str:
        """Why the engine does not have `op` (it lacks the method or operator, or refuses), or ""."""
        if op.name not in self.engine.ops:
            return "the adapter does not define it"
        try:
            call = _an_example(op_inputs(op))
        except NoSuchExample:
            return ""  # the value check reports that it drew no example
        names = [f"v{k}" for k in range(len(call.inputs))]
        code = spell(self.engine.code.ops[op.name], names, call.arg)
        try:
            leaves = [self.engine.leaf(x) for x in call.inputs]
            node = self.engine.ops[op.name](*call_arguments(op.arity, leaves, call.arg))
        except (AssertionError, NotImplementedError) as error:
            return f"`{code}` raises {one_line(error)}"
        except (AttributeError, TypeError) as error:
            return f"`{code}` raises {one_line(error)}" if _raised_by_python(error) else ""
        except Exception:
            return ""  # it has the op, and it fails: the value check reports how
        try:
            self.engine.value(node)
        except Exception as error:
            return f"`{code}` gives a {type(node).__name__}, whose value cannot be read ({one_line(error)})"
        return ""

    def alone(self, call: OpCall) -> _Failure | None:
        """Where the op of `call` alone on fresh leaves gives a wrong value, or else a wrong gradient."""
        return self.first_disagreement(_program_of(call))

    def value_alone(self, call: OpCall) -> _Failure | None:
        return self.disagreement(_value_script(_program_of(call)))

    def used_twice(self, op: Op, joiners: list[Op]) -> Finding:
        if op.arity != 1:
            strategy = programs(n_inputs=1, max_ops=1, ops=[op])
            return self.judge(op.name, "node used twice", strategy, self.first_disagreement, self.blamed)
        # an op of two inputs defined everywhere (x + y, x * y) adds the two uses up
        everywhere = [j for j in joiners if j.arity == 2 and _defined_everywhere(j)]
        if not everywhere:
            return Finding(op.name, "node used twice", "not run", "no op of two inputs passes to join two uses")
        joiner = everywhere[0]

        def twice(call: OpCall) -> Program:
            use = Step(op, (0,), call.arg)
            return Program(call.inputs, (use, use, Step(joiner, (1, 2))))

        return self.judge(
            op.name, "node used twice", op_inputs(op).map(twice), self.first_disagreement, self.blamed_or(_unadded_uses)
        )

    def in_programs(self, candidates: list[Op]) -> list[Finding]:
        """Random programs over `candidates`; an op found at fault is left out and the search goes on."""
        if not candidates:
            return [Finding(ENGINE, "programs", "not run", "no op passes the checks of each op")]
        findings = []
        remaining = list(candidates)
        while remaining:
            try:
                failure = self.search(programs(n_inputs=st.integers(1, 3), ops=remaining), self.first_disagreement)
            except _NoExamples:
                findings.append(Finding(ENGINE, "programs", "not run", _NO_EXAMPLES))
                return findings + [Finding(op.name, "programs", "not run", _NO_EXAMPLES) for op in remaining]
            if failure is None:
                break
            blame = self.blame(failure)
            if blame is None:
                findings.append(self.finding(ENGINE, "programs", failure, _no_op_at_fault))
                unknown = "a program failed with no op at fault"
                return findings + [Finding(op.name, "programs", "not run", unknown) for op in remaining]
            op, summary = blame
            findings.append(Finding(op.name, "programs", "fail", summary, self.example(failure)))
            remaining.remove(op)
        everywhere = "every failing program had an op at fault" if len(remaining) < len(candidates) else ""
        findings.append(Finding(ENGINE, "programs", "pass", everywhere))
        return findings + [Finding(op.name, "programs", "pass") for op in remaining]

    # who is to blame

    def blamed(self, failure: _Failure) -> str:
        return self.blamed_or(_no_op_at_fault)(failure)

    def blamed_or(self, otherwise: Callable[[_Failure], str]) -> Callable[[_Failure], str]:
        def summary(failure: _Failure) -> str:
            blame = self.blame(failure)
            return otherwise(failure) if blame is None else blame[1]

        return summary

    def blame(self, failure: _Failure) -> tuple[Op, str] | None:
        """The first op of the failing program that is wrong on its own, and what is wrong with it.

        Each op runs on fresh leaves, a node it uses twice kept twice. None if every op is right alone.
        """
        script = failure.script
        program = script.program
        made = [line.node for line in script.lines if line.action == "make"]
        values = {r.label: r.number for r in run(_value_script(program), self.reference).readings}
        values |= {f"v{k}": x for k, x in enumerate(program.inputs)}
        first = len(program.inputs)
        for node in (k for k in made if k >= first):
            step = program.steps[node - first]
            distinct = list(dict.fromkeys(step.operands))
            alone = _single_step(
                Step(step.op, tuple(distinct.index(i) for i in step.operands), step.arg),
                [values[f"v{i}"] for i in distinct],
            )
            for alone_script in (_value_script(alone), *_gradient_scripts(alone)):
                found = self.disagreement(alone_script)
                if found is not None:
                    return step.op, _rule_message(found)
        return None

    # the engine as a whole

    def check_engine(self, depth: int) -> list[Finding]:
        sound = self.sound
        if not sound:
            reason = "no op passes the checks of each op"
            return [Finding(ENGINE, check, "not run", reason) for check in ENGINE_CHECKS if check != "programs"]
        return [self.second_backward(sound), self.backward_after_backward(sound), self.deep_chain(sound, depth)]

    def second_backward(self, sound: list[Op]) -> Finding:
        """What a second backward() on the same graph does to the gradients.

        Shown on the smallest program where it neither adds them again nor keeps them, if one is
        found, else on a first program drawn.
        """
        strategy = _last_steps(programs(n_inputs=1, max_ops=4, ops=sound)).filter(self.moves_the_leaf)

        def outcomes(program: Program) -> tuple[Script, Outcome, Outcome]:
            output = len(program.inputs) + len(program.steps) - 1
            lines = [*(Line("make", k) for k in range(output + 1))]
            lines += [Line("backward", output), Line("grad", 0, of=output)]
            lines += [Line("backward", output), Line("grad", 0, of=output, note=" after a second backward()")]
            script = Script(program, tuple(lines))
            return script, run(script, self.engine), run(script, self.reference)

        def odd(program: Program) -> _Failure | None:
            script, theirs, ours = outcomes(program)
            if ours.error or _second_backward(theirs) not in ("odd", "raises"):
                return None
            return _Failure(script, theirs, ours, compare(theirs, ours) or 0)

        try:
            failure = self.search(strategy, odd)
        except _NoExamples:
            failure = None
        if failure is None:
            try:
                script, theirs, ours = outcomes(_an_example(strategy))
            except NoSuchExample:
                return Finding(ENGINE, "second backward()", "not run", "no program with an inner node was drawn")
        else:
            script, theirs, ours = failure.script, failure.theirs, failure.ours
        code = "\n".join([*render(script, self.engine.code), "", side_by_side(theirs, ours, judged=False)])
        return Finding(ENGINE, "second backward()", "note", _second_backward_note(theirs), code)

    def moves_the_leaf(self, program: Program) -> bool:
        """Whether the last step's gradient with respect to the first input is nonzero, by our engine."""
        outcome = run(_gradient_scripts(program)[-1], self.reference)
        return not outcome.error and outcome.readings[0].number != 0.0

    def backward_after_backward(self, sound: list[Op]) -> Finding:
        def falsify(program: Program) -> _Failure | None:
            for script in _after_backward_scripts(program):
                failure = self.disagreement(script)
                if failure is not None:
                    return failure
            return None

        strategy = _last_steps(programs(n_inputs=st.integers(1, 2), max_ops=6, ops=sound))
        return self.judge(ENGINE, "backward after backward", strategy, falsify, _stale_gradients)

    def deep_chain(self, sound: list[Op], depth: int) -> Finding:
        # ops of one input first: the plainest chains
        for op in sorted((op for op in sound if op.arity in (1, 2)), key=lambda op: op.arity):
            try:
                call = _an_example(op_inputs(op))
            except NoSuchExample:
                continue
            step = Step(op, (0,) * op.arity, call.arg)
            if _stays_finite(step, call.inputs[0], depth):
                result = probe_chain(self.engine, self.reference, step, call.inputs[0], depth)
                return _chain_finding(result, step, self.engine, depth)
        return Finding(ENGINE, "deep chain", "not run", "no op that passes stays finite along a chain")


class _Falsified(AssertionError):
    """Raised inside a Hypothesis search when an example fails, so that Hypothesis shrinks it."""


class _NoExamples(Exception):
    """A Hypothesis search found no example that fits (every one was discarded)."""


_NO_EXAMPLES = "Hypothesis drew no example that fits (each was discarded)"


def _an_example(strategy: SearchStrategy[T]) -> T:
    """The first example Hypothesis draws from `strategy` when derandomized: the same every time.

    (`hypothesis.find` would shrink it too, which takes seconds.)
    """
    drawn: list[T] = []

    @settings(
        max_examples=1,
        database=None,
        derandomize=True,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(example: T) -> None:
        drawn.append(example)

    try:
        draw()
    except Unsatisfiable:
        raise NoSuchExample(repr(strategy)) from None
    return drawn[0]


_CHECKING = Path(__file__).resolve().parent


def _raised_by_python(error: BaseException) -> bool:
    """Whether `error` came from Python itself, not from the engine's code: an operator or method it lacks."""
    traceback = error.__traceback__
    while traceback is not None:
        if not Path(traceback.tb_frame.f_code.co_filename).resolve().is_relative_to(_CHECKING):
            return False
        traceback = traceback.tb_next
    return True


def _defined_everywhere(op: Op) -> bool:
    return all(op.input_domain(None, k) == REALS for k in range(op.arity))


def _last_steps(drawn: SearchStrategy[Program]) -> SearchStrategy[Program]:
    """Programs cut down to what their last step depends on, with a node inside an inner node's graph."""
    return drawn.map(lambda program: restricted(program, len(program.inputs) + len(program.steps) - 1)).filter(
        _has_inner_node
    )


def _has_inner_node(program: Program) -> bool:
    """Whether some step uses a step that itself uses a step: a graph with a node inside an output's graph."""
    first = len(program.inputs)
    used_steps = {i for step in program.steps for i in step.operands if i >= first}
    return any(j >= first for i in used_steps for j in program.steps[i - first].operands)


def _after_backward_scripts(program: Program) -> list[Script]:
    """One script for each step `k` that a later step uses.

    Make `k`'s graph, backward from `k`, zero the gradients of its leaves and of `k`, make the rest
    of the last step's graph, backward from the last step, read the leaves' gradients.
    """
    first = len(program.inputs)
    last = first + len(program.steps) - 1
    scripts = []
    for k in sorted({i for step in program.steps for i in step.operands if i >= first}):
        before = ancestry(program, k)
        after = sorted(set(range(last + 1)) - set(before))
        lines = [*(Line("make", node) for node in before), Line("backward", k)]
        lines += [Line("zero", node) for node in before if node < first or node == k]
        lines += [*(Line("make", node) for node in after), Line("backward", last)]
        lines += [Line("grad", leaf, of=last) for leaf in range(first)]
        scripts.append(Script(program, tuple(lines)))
    return scripts


def _stays_finite(step: Step, start: float, depth: int) -> bool:
    """Whether the chain of `step` from `start` (see `chain`) stays in its op's domain, finite and moderate."""
    x = start
    others = [start] * (len(step.operands) - 1)
    try:
        for _ in range(depth):
            x = OpCall(step.op, (x, *others), step.arg)(x, *others)
            if not abs(x) <= 1e6:
                return False
    except (ArithmeticError, ValueError):
        return False
    return True


# ---------------------------------------------------------------------------------------------
# what the report says


def _rule_message(failure: _Failure) -> str:
    """What is wrong with one op alone: ``"`tanh`: your derivative at 1.0 is 0.53, expected 0.42"``."""
    program = failure.script.program
    step = program.steps[0]
    name = f"`{step.op.name}`"
    if step.arg is not None:
        name += f" with constant {step.arg!r}"
    if len(set(step.operands)) < len(step.operands):
        name += " of a node used twice"
    inputs = program.inputs
    point = repr(inputs[0]) if len(inputs) == 1 else ", ".join(f"v{k}={x!r}" for k, x in enumerate(inputs))
    label, theirs, ours = failure.reading()
    if not theirs:
        raised = failure.script.lines[failure.theirs.raised_at]
        where = "backward()" if raised.action == "backward" else "forward pass" if raised.action == "make" else "engine"
        return f"{name}: at {point} your {where} raises {failure.theirs.error} (expected {label} = {ours})"
    if label.startswith("d"):
        respect = "" if len(inputs) == 1 else f" with respect to {label.partition('/d')[2]}"
        return f"{name}: your derivative{respect} at {point} is {theirs}, expected {ours}"
    return f"{name}: your value at {point} is {theirs}, expected {ours}"


def _unadded_uses(failure: _Failure) -> str:
    program = failure.script.program
    op = program.steps[0].op
    label, theirs, ours = failure.reading()
    return (
        f"`{op.name}` used twice on one node (v1 and v2 both from v0): your {label} is {theirs or 'an exception'}, "
        f"expected {ours}; the gradients of the two uses are not added up (does its backward set the input's "
        "gradient, `=`, instead of adding to it, `+=`?)"
    )


def _no_op_at_fault(failure: _Failure) -> str:
    label, theirs, ours = failure.reading()
    return (
        f"every op of this program is right on its own, yet your {label} is {theirs or 'an exception'}, expected "
        f"{ours}: the error is in how gradients are combined across the graph (the order of the backward pass, "
        "or adding into a node used more than once)"
    )


def _stale_gradients(failure: _Failure) -> str:
    lines = failure.script.lines
    earlier = next(line.node for line in lines if line.action == "backward")
    later = [line.node for line in lines if line.action == "backward"][-1]
    label, theirs, ours = failure.reading()
    return (
        f"after v{earlier}.backward() and zeroing the gradients of the leaves and v{earlier}, v{later}.backward() "
        f"gives {label} = {theirs or 'an exception'}, expected {ours}: the nodes inside v{earlier}'s graph keep "
        "gradients from the first backward() and pass them on again (zero every node's gradient at the start of "
        "backward(), or rebuild the graph)"
    )


def _second_backward(theirs: Outcome) -> str:
    """How a second backward() changed a gradient: "adds" it again, keeps it the "same", "raises", or is "odd"."""
    if theirs.error:
        return "raises"
    once, twice = (reading.number for reading in theirs.readings)
    if math.isclose(twice, 2 * once, rel_tol=1e-9, abs_tol=1e-12):
        return "adds"
    return "same" if math.isclose(twice, once, rel_tol=1e-9, abs_tol=1e-12) else "odd"


def _second_backward_note(theirs: Outcome) -> str:
    behaviour = _second_backward(theirs)
    if behaviour == "raises":
        return f"a second backward() on the same graph raises {theirs.error}"
    once, twice = (reading.number for reading in theirs.readings)
    label = theirs.readings[0].label
    if behaviour == "adds":
        change = f"{label}: {shown_number(once)} -> {shown_number(twice)}"
        return f"accumulates: a second backward() adds the gradients again ({change}), as PyTorch does"
    if behaviour == "same":
        return f"resets: a second backward() gives the same gradients again ({label} stays {shown_number(once)})"
    return (
        f"{label} goes from {shown_number(once)} to {shown_number(twice)} after a second backward(): neither added "
        f"again ({shown_number(2 * once)}) "
        f"nor the same; gradients left on inner nodes by the first backward() are passed on again"
    )


def _chain_finding(result: ChainResult, step: Step, engine: Adapter, depth: int) -> Finding:
    spelled = spell(engine.code.ops[step.op.name], ["v", *(["v0"] * (len(step.operands) - 1))], step.arg)
    what = f"chains of `v = {spelled}`"
    if result.failed and result.raised:
        return Finding(
            ENGINE, "deep chain", "note",
            f"{what} fail from depth {result.failed:,}: {result.error} (right up to depth {result.passed:,}; "
            f"Python's recursion limit is {result.recursion_limit:,})",
        )
    if result.failed:
        return Finding(ENGINE, "deep chain", "fail", f"{what} go wrong from depth {result.failed:,}: {result.error}")
    if result.stopped:
        summary = f"{what}: right up to depth {result.passed:,}; deeper not tried: {result.stopped}"
        return Finding(ENGINE, "deep chain", "note", summary)
    return Finding(ENGINE, "deep chain", "pass", f"{what}: right up to depth {depth:,}")

