"""The folder of a ``python3 -m rl`` run: its files, written so that they always agree, and its config read back.

A run folder holds `CONFIG_FILE`, `HISTORY_FILE`, `CURVE_FILE`, `CURVE_PNG_FILE` and, unless the
run diverged, `MODEL_FILE`. `save_run` removes an earlier run's files before writing the new ones, each with
`autodiff.files.atomic_write`, so the folder never mixes two runs. `read_config` reads a config
file as untrusted input: only data, checked like `QLearningConfig` checks its fields.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path

import nn
from autodiff.files import atomic_write, read_json
from rl.config import QLearningConfig
from rl.history import History
from rl.plot import save_learning_curve

__all__ = [
    "CONFIG_FILE",
    "CURVE_FILE",
    "CURVE_PNG_FILE",
    "HISTORY_FILE",
    "MAX_CONFIG_BYTES",
    "MODEL_FILE",
    "RUN_FILES",
    "config_from_json",
    "history_json",
    "read_config",
    "save_run",
]

CONFIG_FILE = "config.json"
"""The run's `QLearningConfig`, every field, as a JSON object."""
HISTORY_FILE = "history.json"
"""The run's metrics (see `history_json`)."""
CURVE_FILE = "learning_curve.svg"
"""The run's learning curve (`rl.plot.save_learning_curve`)."""
CURVE_PNG_FILE = "learning_curve.png"
"""The same learning curve as a PNG picture."""
MODEL_FILE = "q_network.json"
"""The trained Q-network (`nn.save`); absent when the run diverged."""
RUN_FILES = (CONFIG_FILE, HISTORY_FILE, CURVE_FILE, CURVE_PNG_FILE, MODEL_FILE)
"""Every file of a run folder, in the order `save_run` writes them."""
MAX_CONFIG_BYTES = 2**20
"""The largest config file `read_config` reads (a saved one is under 2 KB)."""

_MESSAGE_LENGTH = 400


def history_json(history: History) -> str:
    """`history` as JSON text: ``{name: [[step, value], ...]}``, NaN and ±infinity written as ``null``.

    JSON has no NaN or infinity (Python's ``NaN`` and ``Infinity`` are not JSON that other tools
    read), and a diverged run's losses are NaN: a ``null`` value is one that was not finite.
    """
    metrics = {
        name: [[step, value if math.isfinite(value) else None] for step, value in points]
        for name, points in history.metrics.items()
    }
    return json.dumps(metrics, allow_nan=False) + "\n"


def save_run(folder: Path, config: QLearningConfig, history: History, q_network: nn.MLP | None) -> None:
    """Write a run into `folder` (made if missing): config, history, learning curves and `q_network`.

    `q_network` None (a diverged run, whose weights are not finite) writes no model file. The
    files an earlier run left in `folder` are removed first, so a failure midway leaves some of
    this run's files and none of another's.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name in RUN_FILES:
        (folder / name).unlink(missing_ok=True)
    atomic_write(folder / CONFIG_FILE, json.dumps(dataclasses.asdict(config), indent=1) + "\n")
    atomic_write(folder / HISTORY_FILE, history_json(history))
    kwargs = f" {json.dumps(config.env_kwargs)}" if config.env_kwargs else ""
    title = f"Q-learning on {config.env_id}{kwargs}, seed {config.seed}"
    for curve in (CURVE_FILE, CURVE_PNG_FILE):
        save_learning_curve(history, folder / curve, title)
    if q_network is not None:
        nn.save(q_network, folder / MODEL_FILE)


def read_config(path: str | os.PathLike[str]) -> QLearningConfig:
    """The `QLearningConfig` saved in the file at `path`, read as untrusted data.

    Raises `ValueError`, in one line naming the file and the field at fault, for a file that is
    not a regular file of at most `MAX_CONFIG_BYTES`, not UTF-8 JSON, not an object, with a field
    `QLearningConfig` does not have, or with a value `QLearningConfig` refuses; `OSError` if it
    cannot be opened. Missing fields take `QLearningConfig`'s defaults. Nothing in the file is
    run or imported: its ``env_id`` is only a string (see `rl.environments.check_registered`).
    """
    where = f"cannot read the run config {os.fspath(path)!r}"
    try:
        document = read_json(path, MAX_CONFIG_BYTES)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None
    return config_from_json(document, where)


def config_from_json(document: object, where: str) -> QLearningConfig:
    """The `QLearningConfig` whose fields are the JSON object `document` (read from a file: untrusted).

    Raises `ValueError`, one line that starts with `where` and names the field at fault, for a
    document that is not an object, has a field `QLearningConfig` does not have, or a value it
    refuses. Missing fields take `QLearningConfig`'s defaults.
    """
    if not isinstance(document, dict):
        raise ValueError(f"{where}: it must be a JSON object, got {type(document).__name__}")
    fields = {field.name for field in dataclasses.fields(QLearningConfig)}
    unknown = [key for key in document if key not in fields]
    if unknown:
        raise ValueError(_clip(f"{where}: {', '.join(map(repr, unknown))} is not a field of QLearningConfig"))
    try:
        return QLearningConfig(**document)
    except ValueError as error:
        raise ValueError(_clip(f"{where}: {error}")) from None


def _clip(message: str) -> str:
    """`message` cut to a readable length: a field's value may be a megabyte of text."""
    return message if len(message) <= _MESSAGE_LENGTH else message[: _MESSAGE_LENGTH - 1] + "…"
