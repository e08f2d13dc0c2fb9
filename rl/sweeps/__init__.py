"""Experiments across seeds and settings on Ray, with the statistics of rliable (`rl.statistics`).

`sweep` trains every setting of a grid of `rl.QLearningConfig` fields on every seed, as Ray tasks,
storing each run as it finishes; `load_sweep` reads the runs back as a table; `write_report` writes
the Markdown report and its figures. The command lines are ``python3 -m rl sweep`` and
``python3 -m rl sweep-report DIR``. Ray, scipy and matplotlib come with the ``sweep`` extra; importing
this package needs none of them.

Modules: `plan` (grid → runs), `runner` (Ray), `store` (the sweep folder), `report`, `command`.
"""

from rl.sweeps.plan import PlannedRun, parse_grid_entry, parse_seeds, plan_runs
from rl.sweeps.report import SettingSummary, summarize, write_report
from rl.sweeps.runner import SweepSummary, run_one, sweep
from rl.sweeps.store import RunRecord, load_sweep

__all__ = [
    "PlannedRun",
    "RunRecord",
    "SettingSummary",
    "SweepSummary",
    "load_sweep",
    "parse_grid_entry",
    "parse_seeds",
    "plan_runs",
    "run_one",
    "summarize",
    "sweep",
    "write_report",
]
