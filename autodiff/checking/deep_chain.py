"""The deep-chain probe: how long a chain of one op an engine can backpropagate through.

A chain ``v = op(v)`` repeated many times makes a graph as deep as a loss summed over a replay
buffer; an engine whose topological sort recurses (micrograd's ``build_topo``) raises
`RecursionError` at about Python's recursion limit. The probe tries depths 10, 100, 1000, ... up
to a maximum, then bisects between the deepest chain that passed and the shallowest that failed.

It must not take the checker down with it: it runs in a thread of its own with a large stack (a
deep structure freed by C code recurses on the C stack), skips a depth whose estimated time or
memory is over budget, gives up waiting on an engine that does not return, and puts Python's
recursion limit back if the engine changed it.
"""

from __future__ import annotations

import sys
import threading
import time
import tracemalloc
from dataclasses import dataclass

from autodiff.checking.adapters import Adapter
from autodiff.checking.programs import Program, Step
from autodiff.checking.scripts import Line, Outcome, Script, compare, run

__all__ = ["ChainResult", "probe_chain"]

TIME_BUDGET = 20.0
"""Seconds the probe may spend in all."""
MEMORY_BUDGET = 1 << 30
"""Bytes the longest chain may take, as estimated from a short one."""
_STACK = 256 << 20
"""The probe thread's stack: room for C code that recurses once per node."""
_MEASURED_DEPTH = 100
"""The chain whose memory is measured to estimate the longer ones'."""


@dataclass(frozen=True)
class ChainResult:
    """How an engine did on chains of one op.

    `passed` is the deepest chain that gave the right value and gradient (0 if none did),
    `failed` the shallowest that did not (0 if none failed), `error` what went wrong there (the
    exception, or the wrong number) and `raised` whether it was an exception. `stopped` says why
    deeper chains were not tried ("" when the maximum depth was reached or a chain failed).
    """

    passed: int
    failed: int
    error: str
    raised: bool
    stopped: str
    recursion_limit: int


def chain(step: Step, start: float, depth: int) -> Program:
    """The program ``v0 = start; v1 = op(v0, ...); ...; v_depth = op(v_depth−1, ...)``.

    The op and constant are `step`'s; each step's first operand is the step before, its other
    operands are `step`'s other operands (``v0``, the leaf): ``v_k+1 = v_k + v0``.
    """
    return Program((start,), tuple(Step(step.op, (k, *step.operands[1:]), step.arg) for k in range(depth)))


def _script(step: Step, start: float, depth: int) -> Script:
    lines = [Line("make", node) for node in range(depth + 1)]
    lines += [Line("backward", depth), Line("value", depth), Line("grad", 0, of=depth)]
    return Script(chain(step, start, depth), tuple(lines))


def probe_chain(
    engine: Adapter,
    reference: Adapter,
    step: Step,
    start: float,
    max_depth: int,
    *,
    time_budget: float = TIME_BUDGET,
    memory_budget: int = MEMORY_BUDGET,
) -> ChainResult:
    """Chains of `step`'s op from `start`, up to `max_depth` deep, on `engine` against `reference`."""
    limit = sys.getrecursionlimit()
    results: list[ChainResult] = []
    failures: list[BaseException] = []

    def target() -> None:
        try:
            results.append(_probe(engine, reference, step, start, max_depth, time_budget, memory_budget, limit))
        except BaseException as error:  # the checker's own error: raised again in the caller's thread
            failures.append(error)

    previous_stack = threading.stack_size(_STACK)
    try:
        thread = threading.Thread(target=target, name="autodiff deep-chain probe", daemon=True)
        thread.start()
    finally:
        threading.stack_size(previous_stack)
    thread.join(time_budget * 2)
    sys.setrecursionlimit(limit)
    if failures:
        raise failures[0]
    if not results:
        return ChainResult(0, 0, "", False, f"the engine did not finish a chain within {time_budget * 2:g} s", limit)
    return results[0]


def _probe(
    engine: Adapter,
    reference: Adapter,
    step: Step,
    start: float,
    max_depth: int,
    time_budget: float,
    memory_budget: int,
    limit: int,
) -> ChainResult:
    began = time.perf_counter()
    depths = [10**k for k in range(1, 12) if 10**k < max_depth] + [max_depth]
    passed, seconds_per_node, bytes_per_node = 0, 0.0, 0.0
    for depth in depths:
        # a level costs about 10 times the one before: skip it if the budget cannot take it
        too_much = ""
        if seconds_per_node * depth > time_budget - (time.perf_counter() - began):
            too_much = f"depth {depth:,} would take about {seconds_per_node * depth:.0f} s"
        elif bytes_per_node * depth > memory_budget:
            too_much = f"depth {depth:,} would take about {bytes_per_node * depth / 1e6:,.0f} MB"
        if too_much:
            return ChainResult(passed, 0, "", False, too_much, limit)
        measured = time.perf_counter()
        error, raised, peak = _attempt(engine, reference, step, start, depth, limit, measure=depth == _MEASURED_DEPTH)
        seconds_per_node = max(seconds_per_node, (time.perf_counter() - measured) / depth)
        bytes_per_node = max(bytes_per_node, peak / depth)
        if error:
            failed, error, raised = _bisect(engine, reference, step, start, passed, depth, error, raised, limit)
            return ChainResult(failed - 1, failed, error, raised, "", limit)
        passed = depth
    return ChainResult(passed, 0, "", False, "", limit)


def _bisect(
    engine: Adapter,
    reference: Adapter,
    step: Step,
    start: float,
    good: int,
    bad: int,
    error: str,
    raised: bool,
    limit: int,
) -> tuple[int, str, bool]:
    """The shallowest failing depth between `good` (passed) and `bad` (failed), and how it failed."""
    while bad - good > 1:
        middle = (good + bad) // 2
        found, found_raised, _ = _attempt(engine, reference, step, start, middle, limit, measure=False)
        if found:
            bad, error, raised = middle, found, found_raised
        else:
            good = middle
    return bad, error, raised


def _attempt(
    engine: Adapter, reference: Adapter, step: Step, start: float, depth: int, limit: int, *, measure: bool
) -> tuple[str, bool, int]:
    """How a chain of `depth` went: what went wrong ("" if nothing), whether it raised, its peak memory.

    What went wrong is the exception or the wrong number; the memory is measured when `measure`.
    """
    script = _script(step, start, depth)
    expected = run(script, reference)
    tracing = measure and not tracemalloc.is_tracing()
    if tracing:
        tracemalloc.start()
    try:
        theirs = run(script, engine)
        peak = tracemalloc.get_traced_memory()[1] if measure else 0
    finally:
        if tracing:
            tracemalloc.stop()
        sys.setrecursionlimit(limit)
    return _verdict(theirs, expected), bool(theirs.error), peak


def _verdict(theirs: Outcome, expected: Outcome) -> str:
    index = compare(theirs, expected)
    if index is None:
        return ""
    if theirs.error:
        return theirs.error
    reading = expected.readings[index]
    return f"{reading.label} is {theirs.readings[index].number!r}, expected {reading.number!r}"
