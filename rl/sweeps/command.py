"""``python3 -m rl sweep`` and ``python3 -m rl sweep-report DIR``: the command lines of `rl.sweep` and its report.

Bad input (an unknown field, a bad value, an empty grid, an unreachable ``--address``, a missing
Ray) exits with status 2 and one line that names the problem.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from rl.arguments import json_object, positive_int
from rl.sweeps.plan import parse_field_value, parse_grid_entry, parse_seeds
from rl.sweeps.report import write_report
from rl.sweeps.runner import cluster_address, import_ray, sweep
from rl.tuned import tuned_config

__all__ = ["report_main", "sweep_main"]

_EXAMPLE = (
    "python3 -m rl sweep --env FrozenLake-v1 --env-kwargs '{\"is_slippery\": true}' --grid loss=sum,mean "
    "--grid target_sync_period=none,100 --grid optimizer=sgd,adam --seeds 1-10 --out sweeps/lake"
)


class _OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit status 2 (argparse adds the usage)."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(2)


def _sweep_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="python3 -m rl sweep",
        description=(
            "Train every setting of a grid of QLearningConfig fields on every seed, as Ray tasks "
            "(Ray starts on this machine, listening on loopback only, unless --address or RAY_ADDRESS names a "
            "cluster), store each run as it finishes, and write a report with IQMs, bootstrap intervals and "
            "learning curves. Started again with the same --out, a sweep runs only what is missing."
        ),
        epilog=f"Example (the lecture's ablation): {_EXAMPLE}",
    )
    parser.add_argument("--env", dest="env_id", default="FrozenLake-v1", help="Gymnasium id (default: FrozenLake-v1)")
    parser.add_argument("--env-kwargs", type=json_object, default=None, metavar="JSON",
                        help='keyword arguments for gymnasium.make, e.g. \'{"is_slippery": true}\'')
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="FIELD=VALUE",
                        help="a QLearningConfig field of every run, e.g. --set total_steps=20000 (repeatable)")
    parser.add_argument("--grid", action="append", default=[], metavar="FIELD=V1,V2,...",
                        help="a field and the values to sweep, e.g. --grid loss=sum,mean (repeatable; none: "
                             "one setting, the base config, on every seed)")
    parser.add_argument("--seeds", type=_seeds, default=[1, 2, 3, 4, 5], metavar="SEEDS",
                        help="seeds of every setting: 1-10, 1,3,5 or 1-5,11-15 (default: 1-5)")
    parser.add_argument("--out", type=Path, required=True, help="the sweep's folder (runs, sweep.json, report)")
    parser.add_argument("--address", default=None,
                        help="a running Ray cluster (HOST:PORT, ray://HOST:PORT or auto; default: RAY_ADDRESS, "
                             "else Ray starts on this machine, on loopback only)")
    parser.add_argument("--workers", type=positive_int, default=None, metavar="N",
                        help="runs at once (default: every CPU Ray has)")
    parser.add_argument("--metric", default=None,
                        help="final score of the report: eval/exact_success, eval/exact_return, eval/mean_return or "
                             "eval/success_rate (default: eval/exact_success where the env exposes its model)")
    parser.add_argument("--threshold", type=_finite_float, default=None, metavar="X",
                        help="count the runs whose final score is at least X in the report")
    parser.add_argument("--final-episodes", type=positive_int, default=100, metavar="N",
                        help="greedy episodes played to score each trained network (default: 100)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def sweep_main(argv: Sequence[str]) -> int:
    """``python3 -m rl sweep ARGS``; returns the exit status."""
    parser = _sweep_parser()
    args = parser.parse_args(argv)
    try:
        grid = dict(parse_grid_entry(entry) for entry in args.grid)
        if len(grid) != len(args.grid):
            raise ValueError("a grid field is given twice: give all its values in one --grid FIELD=V1,V2")
        overrides = dict(_setting(entry) for entry in args.settings)
        if args.env_kwargs is not None:
            overrides["env_kwargs"] = args.env_kwargs
        base = tuned_config(args.env_id, **overrides)
    except (ValueError, TypeError) as error:
        parser.error(str(error))
    try:
        import_ray(loopback=cluster_address(args.address) is None)
    except ImportError as error:
        parser.error(str(error))
    # a polite kill (SIGTERM) stops the sweep as Ctrl-C does: finished runs stay stored
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        summary = sweep(base, grid, args.seeds, out=args.out, address=args.address, workers=args.workers,
                        metric=args.metric, threshold=args.threshold, final_episodes=args.final_episodes,
                        progress=not args.no_progress)
    except (ValueError, ConnectionError, ImportError) as error:
        parser.error(str(error).splitlines()[0])
    except KeyboardInterrupt:
        print(f"\ninterrupted: the runs that finished are stored in {args.out}; the same command runs the rest",
              file=sys.stderr)
        return 130
    print(f"{summary.planned} runs planned, {summary.already_stored} already stored, {summary.ran} run now "
          f"({summary.diverged} diverged, {summary.failed} failed) in {summary.seconds:.0f} s")
    if summary.report is not None:
        print(f"report: {summary.report}")
    return 0


def report_main(argv: Sequence[str]) -> int:
    """``python3 -m rl sweep-report DIR``; returns the exit status."""
    parser = _OneLineParser(
        prog="python3 -m rl sweep-report",
        description="Write the report (report.md and figures/) of a sweep folder from the runs stored in it.",
    )
    parser.add_argument("folder", type=Path, help="the sweep's folder (--out of python3 -m rl sweep)")
    parser.add_argument("--metric", default=None, help="final score to compare (default: the sweep's)")
    args = parser.parse_args(argv)
    try:
        path = write_report(args.folder, args.metric)
    except (ValueError, ImportError, OSError) as error:
        parser.error(str(error).splitlines()[0])
    print(f"report: {path}")
    return 0


def _interrupt(signal_number: int, frame: object) -> None:
    raise KeyboardInterrupt


def _setting(entry: str) -> tuple[str, Any]:
    name, separator, text = entry.partition("=")
    if not separator:
        raise ValueError(f"--set takes FIELD=VALUE, got {entry[:80]!r}")
    name = name.strip()
    if name == "seed":
        raise ValueError("the seed is set by --seeds, not --set")
    try:
        return name, parse_field_value(name, text.strip())
    except KeyError:
        raise ValueError(f"unknown field {name!r} in --set: not a QLearningConfig field") from None


def _seeds(text: str) -> list[int]:
    try:
        return parse_seeds(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _finite_float(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return number
