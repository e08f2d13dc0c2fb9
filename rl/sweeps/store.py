"""The folder of a sweep: its plan in ``sweep.json`` and one folder per finished run, read back as a table.

Layout of a sweep folder ``DIR``::

    DIR/sweep.json                  the plan: base config, grid, seeds, metric, and each session's timing
    DIR/runs/<key>/result.json      one finished run: setting, seed, config, status, error, final scores, history
    DIR/runs/<key>/q_network.json   its Q-network (`nn.save`), when its weights are finite
    DIR/report.md, DIR/figures/     the report (`rl.sweeps.report`)

``<key>`` is a hash of the run's whole config, so a run is found again by what it is, whatever the
grid it came from. Every file is written with `autodiff.files.atomic_write`, ``result.json`` last:
a run folder without it is unfinished and is run again. Loading reads JSON only and checks its shape.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import autodiff
import nn
import rl
from autodiff.files import atomic_write, read_json
from rl.config import QLearningConfig
from rl.run_folder import config_from_json
from rl.sweeps.plan import PlannedRun, plan_runs

if TYPE_CHECKING:
    import pandas

__all__ = [
    "MAX_PLAN_BYTES",
    "MAX_RUN_BYTES",
    "RUN_FORMAT",
    "SWEEP_FORMAT",
    "RunRecord",
    "code_fingerprint",
    "load_runs",
    "load_sweep",
    "planned_records",
    "planned_runs",
    "read_plan",
    "store_run",
    "write_plan",
]

SWEEP_FORMAT = "rl-sweep/1"
"""The ``"format"`` of ``sweep.json``."""
RUN_FORMAT = "rl-sweep-run/1"
"""The ``"format"`` of a run's ``result.json``."""
STATUSES = ("ok", "diverged", "failed")
MAX_PLAN_BYTES = 16 * 2**20
"""The largest ``sweep.json`` read (a plan is a few KB, and each session of the sweep adds about 200 bytes)."""
MAX_RUN_BYTES = 64 * 2**20
"""The largest ``result.json`` read (its history is the bulk: about 30 bytes per recorded point)."""


@dataclass(frozen=True)
class RunRecord:
    """One finished run of a sweep, as stored in its ``result.json``."""

    key: str
    setting: dict[str, Any]
    """The grid's values for this run (field name → value), in the grid's order."""
    seed: int
    config: dict[str, Any]
    """The whole `QLearningConfig`, as ``dataclasses.asdict`` gives it."""
    status: str
    """ok; diverged (the weights became NaN or infinite: its history and scores are kept); failed (raised)."""
    error: str | None
    final: dict[str, float]
    """Scores of the returned Q-network's greedy policy: ``eval/exact_success`` and ``eval/exact_return``
    (exact, for environments that expose their model), ``eval/mean_return`` and ``eval/success_rate`` (played)."""
    history: dict[str, list[tuple[int, float]]]
    seconds: float
    node: str
    """The Ray node the run ran on."""
    session: str
    """The sweep session (driver start) that ran it."""
    code: str
    """`code_fingerprint` of the code that ran it: runs of one comparison should share it."""

    def to_json(self) -> dict[str, Any]:
        """The record as the JSON document of ``result.json``."""
        return {"format": RUN_FORMAT, **dataclasses.asdict(self)}


def store_run(out: Path, record: RunRecord, q_network: Mapping[str, Any] | None) -> None:
    """Write a finished run: its Q-network (`nn.MLP` constructor arguments and ``parameters``), then its result.

    The result goes last, so a run whose folder has a ``result.json`` is complete.
    """
    folder = out / "runs" / record.key
    folder.mkdir(parents=True, exist_ok=True)
    if q_network is not None:
        network = nn.MLP(q_network["nin"], q_network["nouts"], activation=q_network["activation"],
                         init=q_network["init"], rng=0)
        network.load_state_dict(q_network["parameters"])
        nn.save(network, folder / "q_network.json")
    atomic_write(folder / "result.json", json.dumps(_strict_json(record.to_json()), allow_nan=False) + "\n")


def write_plan(out: Path, plan: Mapping[str, Any]) -> None:
    """Write the plan ``sweep.json`` of the sweep folder `out`."""
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "sweep.json", json.dumps({"format": SWEEP_FORMAT, **plan}, indent=1) + "\n")


def _strict_json(value: Any) -> Any:
    """`value` with NaN and infinities (a diverged run's losses) as null: strict JSON has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _strict_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_strict_json(item) for item in value]
    return value


def read_plan(out: Path) -> dict[str, Any]:
    """The ``sweep.json`` of the sweep folder `out`; `ValueError` naming the problem if it is missing or malformed.

    The file is read as untrusted data (`autodiff.files.read_json`, at most `MAX_PLAN_BYTES`) and
    its shape checked; its ``base`` must make a `QLearningConfig` and is returned with every field.
    """
    path = out / "sweep.json"
    try:
        plan = read_json(path, MAX_PLAN_BYTES)
    except FileNotFoundError:
        raise ValueError(f"{out} is not a sweep folder: it has no sweep.json") from None
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read {path}: {error}") from None
    if not isinstance(plan, dict) or plan.get("format") != SWEEP_FORMAT:
        raise ValueError(f"{path} is not a sweep plan (format {SWEEP_FORMAT!r})")
    for name, kind in [("base", dict), ("grid", dict), ("seeds", list), ("sessions", list)]:
        if not isinstance(plan.get(name), kind):
            raise ValueError(f"{path}: {name!r} must be a JSON {kind.__name__.replace('dict', 'object')}")
    if not all(isinstance(values, list) for values in plan["grid"].values()):
        raise ValueError(f"{path}: every grid entry must be a list of values")
    if not all(type(seed) is int for seed in plan["seeds"]):
        raise ValueError(f"{path}: seeds must be integers")
    if not (plan.get("metric") is None or isinstance(plan["metric"], str)):
        raise ValueError(f"{path}: 'metric' must be a text or null")
    if not (plan.get("threshold") is None or _is_number(plan["threshold"])):
        raise ValueError(f"{path}: 'threshold' must be a finite number or null")
    if not all(_is_session(session) for session in plan["sessions"]):
        raise ValueError(f"{path}: each session must be an object with a whole number 'ran' and a number 'seconds'")
    config = config_from_json(plan["base"], f"{path}: 'base'")
    plan["base"] = json.loads(json.dumps(dataclasses.asdict(config)))
    return plan


def _is_session(session: object) -> bool:
    return (isinstance(session, dict) and type(session.get("ran")) is int and _is_number(session.get("seconds"))
            and (session.get("workers") is None or type(session["workers"]) is int)
            and (session.get("address") is None or isinstance(session["address"], str)))


def load_runs(out: Path) -> dict[str, RunRecord]:
    """Every finished run stored under `out`, by key; `ValueError` naming the file for a malformed one."""
    records = {}
    for path in sorted((out / "runs").glob("*/result.json")):
        record = _read_record(path)
        records[record.key] = record
    return records


def _read_record(path: Path) -> RunRecord:
    try:
        document = read_json(path, MAX_RUN_BYTES)
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read {path}: {error}") from None
    if not isinstance(document, dict) or document.get("format") != RUN_FORMAT:
        raise ValueError(f"{path} is not a sweep run (format {RUN_FORMAT!r})")
    fields = {field.name for field in dataclasses.fields(RunRecord)}
    missing = fields - document.keys()
    if missing:
        raise ValueError(f"{path} lacks {', '.join(sorted(missing))}")
    problems = []
    if document["key"] != path.parent.name:
        problems.append(f"key {document['key']!r} is not its folder's name")
    if document["status"] not in STATUSES:
        problems.append(f"status must be one of {', '.join(STATUSES)}")
    if type(document["seed"]) is not int:
        problems.append("seed must be an integer")
    if not all(isinstance(document[name], str) for name in ("key", "node", "session", "code")):
        problems.append("key, node, session and code must be texts")
    if not (document["error"] is None or isinstance(document["error"], str)):
        problems.append("error must be a text or null")
    if not isinstance(document["setting"], dict) or not isinstance(document["config"], dict):
        problems.append("setting and config must be JSON objects")
    if not isinstance(document["final"], dict) or not all(_is_number(v) for v in document["final"].values()):
        problems.append("final must map names to numbers")
    history = document["history"]
    if not isinstance(history, dict) or not all(
        isinstance(points, list) and all(_is_point(point) for point in points) for points in history.values()
    ):
        problems.append("history must map names to lists of [step, value]")
    if not _is_number(document["seconds"]):
        problems.append("seconds must be a number")
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
    document["history"] = {name: [(step, math.nan if value is None else float(value)) for step, value in points]
                           for name, points in history.items()}
    return RunRecord(**{name: document[name] for name in fields})


@functools.cache
def code_fingerprint() -> str:
    """A hash of the Python source a run executes: autodiff, nn and rl, less the sweep machinery.

    A run made by other code may differ seed for seed (a new learning path draws its random numbers
    in another order), so each run records this and the report says when a sweep mixes versions.
    `rl.sweeps` and `rl.statistics` are left out: they run and report runs but do not change them.
    Computed once per process, when its first run starts.
    """
    digest = hashlib.sha256()
    for package in (autodiff, nn, rl):
        root = Path(package.__path__[0])
        for path in sorted(root.rglob("*.py")):
            name = path.relative_to(root.parent).as_posix()
            if not name.startswith(("rl/sweeps/", "rl/statistics.py")):
                digest.update(name.encode("utf-8") + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _is_number(value: object) -> bool:
    """Whether `value` is a finite int or float (JSON's 1e400 reads as infinity, and 10**400 fits no float)."""
    try:
        return type(value) in (int, float) and math.isfinite(value)  # type: ignore[arg-type]
    except OverflowError:
        return False


def _is_point(point: object) -> bool:
    # null stands for a NaN or infinite value
    return (isinstance(point, list) and len(point) == 2 and type(point[0]) is int
            and (point[1] is None or _is_number(point[1])))


def load_sweep(out: str | Path) -> pandas.DataFrame | list[dict[str, Any]]:
    """The runs of the sweep in folder `out` as a table, one row per finished run of its plan.

    Columns: each grid field, ``seed``, ``status``, ``error``, each final score (``eval/...``),
    ``seconds``, ``node`` and ``key`` (the run's folder under ``runs/``). A pandas DataFrame if
    pandas is installed, else a list of dicts (one per row). `ValueError` for a folder that is no
    sweep or holds a malformed file.
    """
    folder = Path(out)
    plan = read_plan(folder)
    rows = []
    for record in planned_records(folder, plan):
        rows.append({
            **record.setting, "seed": record.seed, "status": record.status, "error": record.error,
            **record.final, "seconds": record.seconds, "node": record.node, "key": record.key,
        })
    try:
        import pandas
    except ImportError:
        return rows
    return pandas.DataFrame(rows)


def planned_runs(plan: Mapping[str, Any]) -> list[PlannedRun]:
    """The runs of a plan read by `read_plan`; `ValueError` if it no longer makes valid configs."""
    try:
        base = QLearningConfig(**plan["base"])
    except TypeError as error:
        raise ValueError(f"the plan's base config does not fit QLearningConfig: {error}") from None
    return plan_runs(base, plan["grid"], plan["seeds"])


def planned_records(out: Path, plan: Mapping[str, Any]) -> list[RunRecord]:
    """The stored runs that belong to `plan` (its settings × seeds), in the plan's order."""
    stored = load_runs(out)
    return [stored[run.key] for run in planned_runs(plan) if run.key in stored]
