"""`sweep`: every setting of a grid on every seed, one `rl.train` per run, as Ray tasks; nothing is lost.

Ray starts embedded on this machine, listening on loopback only, unless an address (or
``RAY_ADDRESS``) names a running cluster. Each run is a Ray core task that gets its config as plain JSON-ready data and
returns plain data; the driver stores each run the moment it finishes (`rl.sweeps.store`), so an
interrupted sweep started again with the same folder runs only what is missing.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import logging
import math
import os
import socket
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gymnasium

from autodiff.core.reals import is_real
from autodiff.extras import needs_extra
from autodiff.files import unwritable_reason
from rl.compiled import CompiledQ
from rl.config import QLearningConfig
from rl.environments import make_env
from rl.evaluation import evaluate, greedy_policy
from rl.exact import evaluate_policy
from rl.sweeps.plan import PlannedRun, plan_runs
from rl.sweeps.report import FINAL_METRICS, write_report
from rl.sweeps.store import RunRecord, code_fingerprint, load_runs, read_plan, store_run, write_plan
from rl.training import train

with needs_extra("rl", "the progress bar of rl.sweep"):
    from tqdm import tqdm

__all__ = [
    "LOOPBACK_SETTING",
    "SweepSummary",
    "cluster_address",
    "connect",
    "import_ray",
    "knows_model",
    "run_one",
    "sweep",
]

LOOPBACK_SETTING = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
"""Ray's single-machine switch, read once, when ``ray`` is first imported: set to ``0``, Ray takes 127.0.0.1 as
this machine's address. Otherwise Ray replaces a loopback address by the machine's network address wherever it
meets one (``ray.init(_node_ip_address="127.0.0.1")`` and ``ray.init(address="127.0.0.1:PORT")`` alike), and
the Ray instance it starts listens on the network, where anyone who reaches its ports can run code."""

@dataclass(frozen=True)
class SweepSummary:
    """What `sweep` did: how many runs it planned, found stored, ran, and how they ended."""

    out: Path
    planned: int
    already_stored: int
    ran: int
    diverged: int
    failed: int
    seconds: float
    """Wall-clock time of this session, Ray's start included."""
    report: Path | None


def sweep(
    base_config: QLearningConfig,
    grid: Mapping[str, Sequence[Any]],
    seeds: Sequence[int],
    *,
    out: str | os.PathLike[str],
    address: str | None = None,
    workers: int | None = None,
    metric: str | None = None,
    threshold: float | None = None,
    final_episodes: int = 100,
    progress: bool = True,
    report: bool = True,
) -> SweepSummary:
    """Train every setting of `grid` (QLearningConfig field → values) on every seed, on Ray, into folder `out`.

    Every config is made before anything runs, so a bad field or value raises `ValueError` naming
    it; so does an environment that cannot be made. Runs already stored in `out` are not run again.
    Each run is a Ray task of one CPU; `workers` caps how many run at once (default: every CPU of
    the cluster). Ray starts embedded, using this machine's cores and listening on loopback only, unless
    `address` (or the ``RAY_ADDRESS`` environment variable) names a running cluster (`ConnectionError` if it
    cannot be reached); if Ray is already initialised in this process, that session is used. If `ray` was
    imported before, in a way that would put an embedded Ray on the network, `RuntimeError` says so (`connect`).
    A run that raises is stored as ``failed`` with its error, one whose weights become NaN or
    infinite as ``diverged``, and the others go on. On KeyboardInterrupt the runs still going are
    cancelled, what finished stays stored, and the interrupt propagates. At the end the report
    (`rl.sweeps.report.write_report`, on `metric`, counting scores >= `threshold` if given) is
    written unless `report` is False. `final_episodes` is the number of greedy episodes played to
    score each trained network.
    """
    runs = plan_runs(base_config, grid, seeds)
    if workers is not None and (type(workers) is not int or workers < 1):
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    if type(final_episodes) is not int or final_episodes < 1:
        raise ValueError(f"final_episodes must be an int >= 1, got {final_episodes!r}")
    if metric is not None and metric not in FINAL_METRICS:
        raise ValueError(f"metric must be one of {', '.join(FINAL_METRICS)}, got {metric!r}")
    if threshold is not None and not (is_real(threshold) and math.isfinite(threshold)):
        raise ValueError(f"threshold must be a finite number or None, got {threshold!r}")
    folder = Path(out)
    problem = unwritable_reason(folder)
    if problem:  # found now, not after Ray has started and the first runs have trained
        raise ValueError(f"cannot store the sweep in {folder}: {problem}")
    _check_environments(runs)
    ray = import_ray(loopback=cluster_address(address) is None)
    stored = load_runs(folder) if folder.is_dir() else {}
    # seed by seed across the settings: an interrupted sweep has compared every setting on its first seeds
    order = {seed: index for index, seed in enumerate(seeds)}
    todo = sorted((run for run in runs if run.key not in stored), key=lambda run: order[run.seed])
    sessions = read_plan(folder)["sessions"] if (folder / "sweep.json").is_file() else []
    started = time.perf_counter()
    started_ray = connect(ray, address, workers)
    plan = {
        "base": dataclasses.asdict(base_config),
        "grid": {name: list(values) for name, values in grid.items()},
        "seeds": list(seeds),
        "metric": metric,
        "threshold": threshold,
        "sessions": sessions,
    }
    session = f"{socket.gethostname()}-{os.getpid()}-{time.time():.0f}"
    counts = {"ok": 0, "diverged": 0, "failed": 0}
    interrupted = True
    waiting, pending = list(todo), dict[Any, PlannedRun]()
    try:
        write_plan(folder, plan)
        remote_run = ray.remote(num_cpus=1, max_retries=0, scheduling_strategy="SPREAD")(run_one)
        limit = workers or len(todo) or 1
        with tqdm(total=len(todo), unit="run", desc="sweep", disable=not progress, dynamic_ncols=True) as bar:
            while waiting or pending:
                while waiting and len(pending) < limit:
                    run = waiting.pop(0)
                    pending[remote_run.remote(dataclasses.asdict(run.config), final_episodes)] = run
                done, _ = ray.wait(list(pending), num_returns=1)
                run = pending.pop(done[0])
                outcome = _outcome(ray, done[0])
                network = outcome.pop("q_network")
                record = RunRecord(key=run.key, setting=run.setting, seed=run.seed, session=session,
                                   config=dataclasses.asdict(run.config), **outcome)
                store_run(folder, record, network)
                counts[record.status] += 1
                bar.update()
        interrupted = False
    finally:
        if interrupted and ray.is_initialized():
            for reference in pending:
                ray.cancel(reference, force=True)
        if started_ray:
            ray.shutdown()
        seconds = time.perf_counter() - started
        ran = sum(counts.values())
        plan["sessions"] = [*sessions, {"session": session, "seconds": round(seconds, 3), "ran": ran,
                                        "workers": workers, "address": cluster_address(address),
                                        "interrupted": interrupted}]
        write_plan(folder, plan)
    written = write_report(folder) if report else None
    return SweepSummary(folder, len(runs), len(runs) - len(todo), ran, counts["diverged"], counts["failed"],
                        seconds, written)


def run_one(config_fields: Mapping[str, Any], final_episodes: int) -> dict[str, Any]:
    """One run of a sweep, in a Ray worker: train, then score the returned network's greedy policy.

    Takes and returns plain JSON-ready data: the config's fields; the status (ok, diverged or
    failed), error, final scores, history, seconds, episodes, the Ray node and the Q-network
    (constructor arguments and parameters; None when the weights are not finite).
    """
    import ray

    node = ray.get_runtime_context().get_node_id() if ray.is_initialized() else "local"
    code_fingerprint()  # before training: the code loaded now is the code that runs
    try:
        config = QLearningConfig(**config_fields)
        result = train(config)
    except Exception as error:  # a failing run is recorded with its error, and the others go on
        return _failure(f"{type(error).__name__}: {error}", node)
    parameters = result.q_network.state_dict()
    finite = all(math.isfinite(value) for value in parameters.values())
    try:
        final = _final_scores(result, final_episodes)
    except Exception as failure:
        return _failure(f"the trained network could not be scored: {type(failure).__name__}: {failure}", node)
    network = result.q_network
    return {
        "status": "ok" if finite else "diverged",
        "error": None if finite else _divergence(result.history.metrics),
        "final": final,
        "history": result.history.metrics,
        "seconds": result.seconds,
        "node": node,
        "code": code_fingerprint(),
        "q_network": {"nin": network.nin, "nouts": list(network.nouts), "activation": network.activation,
                      "init": network.init, "parameters": parameters} if finite else None,
    }


def _failure(error: str, node: str) -> dict[str, Any]:
    return {"status": "failed", "error": error, "final": {}, "history": {}, "seconds": 0.0, "node": node,
            "code": code_fingerprint(), "q_network": None}


def _divergence(metrics: Mapping[str, list[tuple[int, float]]]) -> str:
    first = next((step for step, value in metrics.get("losses/td_loss", []) if not math.isfinite(value)), None)
    where = f" (the TD loss was first non-finite at step {first})" if first is not None else ""
    return f"diverged: the Q-network's weights became NaN or infinite{where}"


def _final_scores(result: Any, episodes: int) -> dict[str, float]:
    config: QLearningConfig = result.config
    env = make_env(config.env_id, max_episode_steps=config.max_episode_steps, env_kwargs=config.env_kwargs)
    player = CompiledQ(result.q_network) if config.compiled else result.q_network
    played = evaluate(player, env, episodes, seed=config.seed, success=config.success)
    final = {"eval/mean_return": played.mean_return, "eval/success_rate": played.success_rate}
    if knows_model(env):
        exact = evaluate_policy(env, greedy_policy(player, env), success=config.success)
        final["eval/exact_return"] = exact.value
        final["eval/exact_success"] = exact.success_probability
    return final


def knows_model(env: gymnasium.Env[Any, Any]) -> bool:
    """Whether `env` exposes its model (``P`` and ``initial_state_distrib``): its policies can be evaluated exactly."""
    return isinstance(env.observation_space, gymnasium.spaces.Discrete) and all(
        hasattr(env.unwrapped, name) for name in ("P", "initial_state_distrib")
    )


def _outcome(ray: Any, reference: Any) -> dict[str, Any]:
    try:
        outcome: dict[str, Any] = ray.get(reference)
    except ray.exceptions.RayError as error:  # the worker died or Ray lost the task
        return _failure(f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}", "unknown")
    return outcome


def _check_environments(runs: Sequence[PlannedRun]) -> None:
    """Make each distinct environment of the plan once, so a misspelt id stops the sweep before it starts."""
    seen = set()
    for run in runs:
        config = run.config
        identity = json.dumps([config.env_id, config.env_kwargs, config.max_episode_steps], sort_keys=True)
        if identity not in seen:
            seen.add(identity)
            make_env(config.env_id, max_episode_steps=config.max_episode_steps, env_kwargs=config.env_kwargs).close()


def import_ray(*, loopback: bool = False) -> Any:
    """The `ray` module; `autodiff.extras.MissingExtraError` naming the ``sweep`` extra if it is missing.

    With `loopback` (for `connect` to start Ray on this machine), a first import of Ray in this process
    is made with `LOOPBACK_SETTING` at ``0``, which keeps the Ray instance started here on loopback. The
    environment is restored afterwards: Ray's own processes are given their address explicitly, and
    programs started later (``ray start`` among them) see the environment as it was.
    """
    setting = os.environ.get(LOOPBACK_SETTING)
    if loopback and "ray" not in sys.modules:
        os.environ[LOOPBACK_SETTING] = "0"
    try:
        with needs_extra("sweep", "python3 -m rl sweep"):
            import ray
    finally:
        if setting is None:
            os.environ.pop(LOOPBACK_SETTING, None)
        else:
            os.environ[LOOPBACK_SETTING] = setting
    return ray


def cluster_address(address: str | None) -> str | None:
    """The Ray cluster a sweep joins: `address`, else the ``RAY_ADDRESS`` environment variable; None for none."""
    return address or os.environ.get("RAY_ADDRESS") or None


def connect(ray: Any, address: str | None, workers: int | None) -> bool:
    """Start or join Ray; True if this call started it (and so must shut it down).

    An already initialised Ray session is used as it is. Otherwise `address` (or ``RAY_ADDRESS``)
    names a cluster to join, checked to be reachable first so that a wrong address fails at once
    with `ConnectionError` instead of Ray's long retries. Without one, Ray starts embedded with
    `workers` CPUs (default: all of this machine's), without its dashboard, and listening on loopback
    only: it serves this process, not the network. That needs `ray` imported by
    ``import_ray(loopback=True)`` (or with `LOOPBACK_SETTING` at ``0``); if it was imported otherwise,
    `RuntimeError` says so, before anything starts.
    """
    if ray.is_initialized():
        return False
    address = cluster_address(address)
    quiet = {"log_to_driver": False, "logging_level": logging.WARNING}
    if address is None:
        node_address = ray.util.get_node_ip_address()  # the address Ray would give a node started now
        if not ipaddress.ip_address(node_address).is_loopback:
            raise RuntimeError(
                f"Ray started here would listen on the network ({node_address}), where anyone who reaches it can "
                f"run code: ray was imported before rl.sweep without {LOOPBACK_SETTING}=0. Set it before importing "
                "ray, start Ray yourself (ray.init) or give the address of a cluster")
        # "local" starts a new instance even when a cluster runs on this machine (plain ray.init() joins it)
        ray.init(address="local", num_cpus=workers, include_dashboard=False, **quiet)
        return True
    if address != "auto":
        _check_reachable(address)
    try:
        ray.init(address=address, **quiet)
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise ConnectionError(f"cannot join the Ray cluster at {address}: {error}") from None
    return True


def _check_reachable(address: str) -> None:
    parts = urlsplit(address if "://" in address else f"ray-gcs://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError as error:
        raise ConnectionError(f"bad Ray address {address!r}: {error}") from None
    if not host or port is None:
        raise ConnectionError(f"bad Ray address {address!r}: expected HOST:PORT, ray://HOST:PORT or auto")
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as error:
        raise ConnectionError(f"cannot reach a Ray cluster at {address}: {error}") from None
