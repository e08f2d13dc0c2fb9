"""CartPole-v1 solved by DQN on the compiled scalar graph: one training run per seed, one at a time.

Usage: ``python3 benchmarks/cartpole.py [--seeds 1 2 3 4 5] [--episodes 100] [--json PATH]``

Each seed trains with `rl.TUNED_SETTINGS["CartPole-v1"]` (what ``python3 -m rl --env CartPole-v1
--seed S`` runs), keeping the network of the best periodic greedy evaluation; that network is then
played greedily for `--episodes` episodes from reset seeds that training never used. The bar: a
mean return ≥ 475 for at least 4 of 5 seeds, each run under a minute on a 2-core machine. A
progress bar (tqdm) shows each seed's training as it goes. "minutes" is the wall clock of the
training run, "CPU min" the processor time it used: on a shared machine the first grows with the
other jobs, the second much less.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import date
from pathlib import Path

import rl
from autodiff.files import atomic_write

SOLVED = 475.0
FRESH_SEED = 1_000_000
"""Offset of the final evaluation's reset seed: training resets from seeds drawn below 2³¹ by its
own generator, so the final episodes start from states chosen independently of training."""


def main() -> None:
    """Train and evaluate each seed, then print one table and optionally write the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--episodes", type=int, default=100, help="episodes of the final greedy evaluation")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()

    print(f"CartPole-v1, {date.today()}, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}", flush=True)
    print(f"settings: {rl.TUNED_SETTINGS['CartPole-v1']}", flush=True)
    print(f"{'seed':>4} {'minutes':>8} {'CPU min':>8} {'env steps':>10} {'kept step':>10} {'best eval':>10} "
          f"{'last eval':>10} "
          f"{'greedy return (' + str(args.episodes) + ' episodes)':>34}", flush=True)
    rows = []
    for seed in args.seeds:
        cpu_started = time.process_time()
        result = rl.train(rl.tuned_config("CartPole-v1", seed=seed), progress=True)
        cpu_seconds = time.process_time() - cpu_started
        final = rl.evaluate(rl.CompiledQ(result.q_network), "CartPole-v1", args.episodes, seed=FRESH_SEED + seed,
                            success="survival")
        steps = result.history.steps("eval/mean_return")[-1]
        row = {"seed": seed, "seconds": result.seconds, "cpu_seconds": cpu_seconds, "env_steps": steps,
               "kept_step": result.kept_step,
               "best_eval": max(result.history.values("eval/mean_return")),
               "last_eval": result.history.last("eval/mean_return"),
               "mean_return": final.mean_return, "std_return": final.std_return}
        rows.append(row)
        print(f"{seed:>4} {result.seconds / 60:>8.1f} {cpu_seconds / 60:>8.1f} {steps:>10,} {result.kept_step:>10,} "
              f"{row['best_eval']:>10.1f} {row['last_eval']:>10.1f} "
              f"{final.mean_return:>25.1f} ± {final.std_return:<6.1f}", flush=True)
    solved = sum(row["mean_return"] >= SOLVED for row in rows)
    print(f"solved (greedy mean ≥ {SOLVED:g}): {solved} of {len(rows)} seeds; "
          f"median run {statistics.median(row['seconds'] for row in rows) / 60:.1f} min "
          f"({statistics.median(row['cpu_seconds'] for row in rows) / 60:.1f} CPU min)", flush=True)
    if args.json is not None:
        atomic_write(args.json, json.dumps({"date": str(date.today()), "settings": rl.TUNED_SETTINGS["CartPole-v1"],
                                            "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
