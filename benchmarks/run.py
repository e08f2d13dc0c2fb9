"""Benchmarks against micrograd 0.1.0, measured side by side in one run.

Usage: ``pip install -e ".[bench]" && python3 benchmarks/run.py [--quick] [--repetitions N] [--json PATH]``

Every workload runs our engine and micrograd in interleaved repetitions and reports medians, with
the garbage collector on, as users run it. Each engine runs a few consecutive steps per
repetition (so it pays for its own garbage, as in a training loop); between engines one untimed
``gc.collect()`` keeps one engine from paying for the other's garbage.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
from micrograd import engine as micrograd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workloads  # noqa: E402 - the benchmark's own helpers, next to this file

import autodiff  # noqa: E402
from autodiff.files import atomic_write  # noqa: E402

TARGETS = {
    "W1(a) op-for-op Value graph": 15.0,
    "W1(b) nn.MLP (fused dot)": 50.0,
    "W1(c) autodiff.compile": 800.0,
    "W2 chain of 1,000,000 ops": 10.0,
    "W3 wide sum of 1,000,000 products": 6.0,
}


def interleaved(variants: dict[str, Callable[[], object]], repetitions: int, steps: int) -> dict[str, list[float]]:
    """Seconds per call of each variant: `repetitions` rounds, `steps` consecutive calls each."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repetitions):
        for name, run in variants.items():
            gc.collect()
            for _ in range(steps):
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
    return times


def chain(value: type, n: int) -> float:
    x = value(0.5)
    y = x
    for _ in range(n):
        y = y * 1.0000001
    y.backward()
    return float(x.grad)


def wide_sum(value: type, n: int, total: Callable[[list[object]], object]) -> float:
    a = [value(i * 1e-6) for i in range(n)]
    b = [value(1.0 - i * 1e-6) for i in range(n)]
    s = total([x * y for x, y in zip(a, b, strict=True)])
    s.backward()  # type: ignore[attr-defined]
    return float(a[-1].grad)


def bytes_per_node(build: Callable[[], object], nodes: int) -> float:
    gc.collect()
    tracemalloc.start()
    graph = build()
    used, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del graph
    return used / nodes


def cyclic_garbage(step: Callable[[], object]) -> int:
    """Objects that only the cyclic collector can free after one training step."""
    gc.collect()
    gc.disable()
    try:
        step()
        return gc.collect()
    finally:
        gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and smaller N (a smoke run)")
    parser.add_argument("--repetitions", type=int, default=None,
                        help="interleaved rounds of W1 and of the smaller W2 and W3 (default 5, 2 with --quick)")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results.json"), help="where to write raw figures")
    options = parser.parse_args()
    repetitions, steps = (2, 2) if options.quick else (5, 3)
    if options.repetitions is not None:
        if options.repetitions < 1:
            parser.error(f"--repetitions must be at least 1, got {options.repetitions}")
        repetitions = options.repetitions
    big = 100_000 if options.quick else 1_000_000
    rows: list[tuple[str, float, float, str]] = []
    raw: dict[str, object] = {
        "date": date.today().isoformat(),
        "machine": f"{platform.processor() or platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, numpy {np.__version__}",
    }

    load_before = raw["load average before"] = os.getloadavg()
    step = workloads.MoonsStep()
    step.check_agreement(tolerance=1e-9)
    w1 = interleaved(
        {
            "micrograd": step.micrograd,
            "W1(a) op-for-op Value graph": step.op_for_op,
            "W1(b) nn.MLP (fused dot)": step.fused,
            "W1(c) autodiff.compile": step.compiled,
            "W1(d) numpy matrix backprop": step.numpy_floor,
            "W1(e) lean numpy step (floor)": step.lean_numpy,
        },
        repetitions,
        steps,
    )
    raw["W1"] = w1
    base = statistics.median(w1["micrograd"])
    for name, samples in w1.items():
        if name != "micrograd":
            rows.append((name, statistics.median(samples), base, ""))
    compiled = statistics.median(w1["W1(c) autodiff.compile"])
    raw["W1(c) / W1(d)"] = compiled / statistics.median(w1["W1(d) numpy matrix backprop"])
    # per round: the compiled step and the floor ran side by side in it
    per_round = [c / f for c, f in zip(w1["W1(c) autodiff.compile"], w1["W1(e) lean numpy step (floor)"], strict=True)]
    raw["W1(c) / W1(e)"] = {"median": statistics.median(per_round), "min": min(per_round), "max": max(per_round)}

    default_limit = sys.getrecursionlimit()
    try:
        chain(micrograd.Value, 1_000)
        raw["micrograd chain of 1,000 at the default recursion limit"] = "ok"
    except RecursionError:
        raw["micrograd chain of 1,000 at the default recursion limit"] = "RecursionError"
    raised_limit = 10 * big + 1_000
    big_repetitions = 1 if options.quick else 3  # a million-node run takes seconds; three give a median
    for n in (1_000, 100_000, big) if not options.quick else (1_000, big):
        name = f"W2 chain of {n:,} ops"
        times = interleaved(
            {
                "ours": _at_recursion_limit(default_limit, lambda n=n: chain(autodiff.Value, n)),
                "micrograd": _at_recursion_limit(raised_limit, lambda n=n: chain(micrograd.Value, n)),
            },
            big_repetitions if n == big else repetitions,
            1,
        )
        raw[name] = times
        per_op = f"{1e9 * statistics.median(times['ours']) / n:.0f} ns/op (ours)"
        rows.append((name, statistics.median(times["ours"]), statistics.median(times["micrograd"]), per_op))
    sys.setrecursionlimit(raised_limit)
    for n in (100_000, big) if not options.quick else (big,):
        name = f"W3 wide sum of {n:,} products"
        times = interleaved(
            {
                "ours": lambda n=n: wide_sum(autodiff.Value, n, autodiff.sum),
                "micrograd": lambda n=n: wide_sum(micrograd.Value, n, sum),
            },
            big_repetitions if n == big else repetitions,
            1,
        )
        raw[name] = times
        per_node = f"{1e9 * statistics.median(times['ours']) / (3 * n):.0f} ns/node (ours)"
        rows.append((name, statistics.median(times["ours"]), statistics.median(times["micrograd"]), per_node))
    sys.setrecursionlimit(default_limit)

    n = 100_000
    memory = {
        "ours": bytes_per_node(lambda: _chain_graph(autodiff.Value, n), n),
        "micrograd": bytes_per_node(lambda: _chain_graph(micrograd.Value, n), 2 * n),
    }
    garbage = {"ours": cyclic_garbage(step.fused), "micrograd": cyclic_garbage(step.micrograd)}
    raw["W4 bytes per node"] = memory
    raw["W4 cyclic garbage objects after one step"] = garbage

    print(f"scalar-autodiff benchmarks, {raw['date']}, {raw['machine']}")
    print(f"{'workload':<40} {'ours':>12} {'micrograd':>12} {'ratio':>9} {'target':>8}")
    for name, ours, theirs, note in rows:
        target = TARGETS.get(name)
        verdict = "" if target is None else ("ok" if theirs / ours >= target else "MISSED")
        target_text = "" if target is None else f"≥ {target:g}×"
        ratio = f"{theirs / ours:>8.1f}×"
        print(f"{name:<40} {_seconds(ours):>12} {_seconds(theirs):>12} {ratio} {target_text:>8} {verdict} {note}")
    print(f"W1(c) compiled / W1(d) nn.reference: {raw['W1(c) / W1(d)']:.1f}×")
    lean = raw["W1(c) / W1(e)"]
    verdict = "ok" if lean["median"] <= 3 else "MISSED"
    print(f"W1(c) compiled / W1(e) lean numpy floor: {lean['median']:.1f}× (range {lean['min']:.1f}–{lean['max']:.1f}× "
          f"over the steps; target ≤ 3×) {verdict}")
    print(f"W4 memory per node: ours {memory['ours']:.0f} B, micrograd {memory['micrograd']:.0f} B (target ≤ 160 B)")
    print(f"W4 cyclic garbage after one training step: ours {garbage['ours']}, micrograd {garbage['micrograd']}")
    recursion = raw["micrograd chain of 1,000 at the default recursion limit"]
    print(f"micrograd, chain of 1,000 at the default recursion limit: {recursion}")
    load_after = raw["load average after"] = os.getloadavg()
    print("load average (1, 5, 15 min), before: " + ", ".join(f"{x:.2f}" for x in load_before)
          + "; after: " + ", ".join(f"{x:.2f}" for x in load_after))
    options.json.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(options.json, json.dumps(raw, indent=1))
    print(f"raw figures: {options.json}")


def _at_recursion_limit(limit: int, run: Callable[[], object]) -> Callable[[], object]:
    """`run` under the given recursion limit: ours needs no raised limit, micrograd does."""

    def limited() -> object:
        sys.setrecursionlimit(limit)
        return run()

    return limited


def _chain_graph(value: type, n: int) -> object:
    y = value(0.5)
    for _ in range(n):
        y = y * 1.0000001
    return y


def _seconds(t: float) -> str:
    return f"{t * 1e3:.2f} ms" if t < 1 else f"{t:.2f} s"


if __name__ == "__main__":
    main()
