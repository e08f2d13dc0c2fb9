"""Throughput of `rl.sweep` (runs per minute) with 1 and 2 Ray workers, in interleaved rounds.

Each round runs the same small sweep (FrozenLake-v1 4x4, `--steps` environment steps a run, a grid
of 2 settings × `--seeds` seeds) once with Ray started on 1 CPU and once on 2, into fresh folders;
the time counted is from the first run submitted to the last one stored (Ray's start is left out).
Prints each round, then the median and range of runs per minute for each worker count and of their
ratio. On a shared machine the ranges show how much other work moved the numbers:

    python3 benchmarks/sweep_scaling.py                  # 3 rounds, 4 seeds, 2000 steps
    python3 benchmarks/sweep_scaling.py --rounds 5 --seeds 6
"""

import argparse
import logging
import statistics
import tempfile
import time

import rl
from rl.sweeps.runner import import_ray

ray = import_ray(loopback=True)  # the Ray instances started here listen on loopback only


def warm_up() -> bool:
    import rl.sweeps  # noqa: F401  (the worker's imports, done before the clock starts)

    return True


def runs_per_minute(workers: int, seeds: int, steps: int) -> float:
    base = rl.QLearningConfig(total_steps=steps, eval_period=None, eval_episodes=1)
    grid = {"loss": ["sum", "mean"]}
    ray.init(address="local", num_cpus=workers, include_dashboard=False, log_to_driver=False,
             logging_level=logging.WARNING)
    try:
        # one task per worker first, so the timed sweep does not pay for starting worker processes
        ray.get([ray.remote(num_cpus=1)(warm_up).remote() for _ in range(workers)])
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            summary = rl.sweep(base, grid, list(range(1, seeds + 1)), out=out, final_episodes=10, progress=False,
                               report=False)
            seconds = time.perf_counter() - started
    finally:
        ray.shutdown()
    return 60 * summary.ran / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args()
    rates: dict[int, list[float]] = {1: [], 2: []}
    for round_number in range(1, args.rounds + 1):
        for workers in (1, 2):
            rates[workers].append(runs_per_minute(workers, args.seeds, args.steps))
        print(f"round {round_number}: 1 worker {rates[1][-1]:.1f} runs/min, 2 workers {rates[2][-1]:.1f} runs/min, "
              f"ratio {rates[2][-1] / rates[1][-1]:.2f}", flush=True)
    ratios = [two / one for one, two in zip(rates[1], rates[2], strict=True)]
    for label, values in [("1 worker", rates[1]), ("2 workers", rates[2]), ("ratio", ratios)]:
        print(f"{label}: median {statistics.median(values):.2f} (range {min(values):.2f}-{max(values):.2f})")


if __name__ == "__main__":
    main()
