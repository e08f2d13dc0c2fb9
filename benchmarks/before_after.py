"""Before and after a change: the Value graph's workloads on two versions of the code, rounds interleaved.

Usage: ``python3 benchmarks/before_after.py --before REV [--after REV] [--rounds 4]``

Each version is extracted with ``git archive`` into a temporary folder (the working tree is
``--after``'s default) and measured in a fresh process of its own, the two versions taking turns
round after round, so a change in the machine's load hits both alike. A process measures processor
time (``time.process_time``), which other jobs on a shared machine change much less than the wall
clock: W1(a) and W1(b) (`workloads.MoonsStep`'s op-for-op and ``nn.MLP`` steps, each version with
its own `workloads.py`), W2 (a chain of 100,000 ops, then ``backward()``), W3 (a wide sum of 100,000
products) and W4 (bytes per node of a 100,000-op chain, by tracemalloc). Prints each figure's median
over the rounds, its range, and after / before.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
N = 100_000
STEPS = 7
"""W1 steps per round (W2 and W3: 3); the round's figure is their median."""


def measure(tree: Path) -> dict[str, float]:
    """Processor seconds of each workload (bytes per node for W4) on the code in `tree`."""
    sys.path.insert(0, str(tree / "benchmarks"))  # that version's workloads.py, not this one's
    import workloads

    import autodiff

    step = workloads.MoonsStep()
    figures = {
        "W1(a) op-for-op Value graph": _median_seconds(step.op_for_op, STEPS),
        "W1(b) nn.MLP": _median_seconds(step.fused, STEPS),
        f"W2 chain of {N:,} ops": _median_seconds(lambda: _chain(autodiff.Value, N), 3),
        f"W3 wide sum of {N:,} products": _median_seconds(lambda: _wide_sum(autodiff.Value, autodiff.sum, N), 3),
    }
    gc.collect()
    tracemalloc.start()
    graph = _chain_graph(autodiff.Value, N)
    used, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del graph
    figures["W4 bytes per node"] = used / N
    return figures


def _median_seconds(run: Callable[[], object], steps: int) -> float:
    run()  # a first, untimed call
    times = []
    for _ in range(steps):
        gc.collect()
        started = time.process_time()
        run()
        times.append(time.process_time() - started)
    return statistics.median(times)


def _chain_graph(value: Callable[[float], object], n: int) -> object:
    y = value(0.5)
    for _ in range(n):
        y = y * 1.0000001  # type: ignore[operator]
    return y


def _chain(value: Callable[[float], object], n: int) -> None:
    _chain_graph(value, n).backward()  # type: ignore[attr-defined]


def _wide_sum(value: Callable[[float], object], total: Callable[..., object], n: int) -> None:
    a = [value(i * 1e-6) for i in range(n)]
    b = [value(1.0 - i * 1e-6) for i in range(n)]
    total([x * y for x, y in zip(a, b, strict=True)]).backward()  # type: ignore[attr-defined, operator]


def _extract(revision: str, folder: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], capture_output=True, check=True)
    tree = folder / revision.replace("/", "_")
    tree.mkdir()
    with tempfile.TemporaryFile() as file:
        file.write(archive.stdout)
        file.seek(0)
        with tarfile.open(fileobj=file) as tar:
            tar.extractall(tree, filter="data")
    return tree


def _run_in(tree: Path) -> dict[str, float]:
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, __file__, "--measure", str(tree)], cwd=tree, env=environment,
                          capture_output=True, text=True, check=True)
    figures: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return figures


def main() -> None:
    """Interleave the two versions for `--rounds` rounds and print medians, ranges and after / before."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="the git revision before the change")
    parser.add_argument("--after", default=None, help="the git revision after it (default: the working tree)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--measure", type=Path, default=None, help=argparse.SUPPRESS)  # one process's figures
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(measure(args.measure)))
        return
    if args.before is None or args.rounds < 1:
        parser.error("--before REV is required and --rounds must be at least 1")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        trees = {"before": _extract(args.before, Path(folder)),
                 "after": ROOT if args.after is None else _extract(args.after, Path(folder))}
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        for index in range(args.rounds):
            for name, tree in trees.items():
                rounds[name].append(_run_in(tree))
            print(f"round {index + 1} of {args.rounds} done", flush=True)
    load_after = os.getloadavg()
    print(f"before: {args.before}; after: {args.after or 'the working tree'}; processor time, "
          f"median over {args.rounds} interleaved rounds (range)")
    print(f"{'workload':<34} {'before':>24} {'after':>24} {'after / before':>15}")
    for workload in rounds["before"][0]:
        medians = {}
        cells = []
        for name in trees:
            values = [figures[workload] for figures in rounds[name]]
            medians[name] = statistics.median(values)
            cells.append(f"{_shown(workload, medians[name])} ({_shown(workload, min(values))}–"
                         f"{_shown(workload, max(values))}) {'B' if workload.startswith('W4') else 'ms'}")
        print(f"{workload:<34} {cells[0]:>24} {cells[1]:>24} {medians['after'] / medians['before']:>14.2f}×")
    print("load average (1, 5, 15 min), before: " + ", ".join(f"{x:.2f}" for x in load_before)
          + "; after: " + ", ".join(f"{x:.2f}" for x in load_after))


def _shown(workload: str, figure: float) -> str:
    return f"{figure:.0f}" if workload.startswith("W4") else f"{figure * 1e3:.1f}"


if __name__ == "__main__":
    main()
