"""The plan of a sweep: every setting of a grid of `QLearningConfig` fields, each on every seed.

Grid values given as text (the command line's ``--grid loss=sum,mean``) are parsed by the type of
their field; every config is made (and so checked) before anything runs, and a bad field or value
is refused with a `ValueError` that names it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import reprlib
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rl.config import QLearningConfig

__all__ = [
    "MAX_RUNS", "PlannedRun", "parse_grid_entry", "parse_seeds", "plan_runs", "run_key", "setting_label", "settings_of",
]

_FIELD_TYPES = typing.get_type_hints(QLearningConfig)
MAX_RUNS = 100_000
"""The most runs a sweep plans (settings × seeds): more is a typo, such as seeds 1-1000000000, not a plan."""
_LABEL_LENGTH = 200
# values in messages, cut short: a command line or a file may hold a megabyte of text
_SHORT = reprlib.Repr()
_SHORT.maxstring = 120
_NOT_IN_GRID = {"seed": "seeds are given apart from the grid"}


@dataclass(frozen=True)
class PlannedRun:
    """One run of a sweep: a setting of the grid on one seed, and the config that results."""

    setting: dict[str, Any]
    seed: int
    config: QLearningConfig
    key: str
    """The name of its folder under ``runs/``: `run_key` of its config."""


def run_key(config: QLearningConfig) -> str:
    """A hash of the whole config: a run is found again by what it is, whatever grid it came from."""
    text = json.dumps(dataclasses.asdict(config), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def settings_of(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, the last field varying fastest (one empty setting for an empty grid)."""
    settings: list[dict[str, Any]] = [{}]
    for name, values in grid.items():
        settings = [{**setting, name: value} for setting in settings for value in values]
    return settings


def setting_label(setting: Mapping[str, Any]) -> str:
    """A setting as text, ``loss=sum target_sync_period=none``; ``base config`` for the empty one."""
    if not setting:
        return "base config"
    return " ".join(f"{name}={_shown(value)}" for name, value in setting.items())


def plan_runs(base: QLearningConfig, grid: Mapping[str, Sequence[Any]], seeds: Sequence[int]) -> list[PlannedRun]:
    """Every setting of `grid` on every seed, on top of `base`; `ValueError` naming a bad field, value or seed."""
    for name, values in grid.items():
        if name in _NOT_IN_GRID:
            raise ValueError(f"grid field {name!r} is not allowed: {_NOT_IN_GRID[name]}")
        if name not in _FIELD_TYPES:
            raise ValueError(f"unknown grid field {name!r}: not a QLearningConfig field "
                             f"(fields: {', '.join(_FIELD_TYPES)})")
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or len(values) == 0:
            raise ValueError(f"grid field {name!r} needs a non-empty list of values, got {values!r}")
        if len({json.dumps(value, sort_keys=True) for value in values}) != len(values):
            raise ValueError(f"grid field {name!r} repeats a value: {list(values)!r}")
    if not seeds:
        raise ValueError("no seeds: a sweep needs at least one")
    planned = len(seeds) * math.prod(len(values) for values in grid.values())
    if planned > MAX_RUNS:
        raise ValueError(f"the grid and seeds make {planned:,} runs, more than the limit of {MAX_RUNS:,}")
    if any(type(seed) is not int or seed < 0 for seed in seeds) or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct ints >= 0, got {list(seeds)!r}")
    runs = []
    for setting in settings_of(grid):
        try:
            configured = dataclasses.replace(base, **setting)
        except ValueError as error:
            label = setting_label(setting)  # values read from a file may be a megabyte long: cut
            label = label if len(label) <= _LABEL_LENGTH else label[: _LABEL_LENGTH - 1] + "…"
            raise ValueError(f"setting {label}: {error}") from None
        for seed in seeds:
            config = dataclasses.replace(configured, seed=seed)
            runs.append(PlannedRun(setting, seed, config, run_key(config)))
    return runs


def parse_grid_entry(text: str) -> tuple[str, list[Any]]:
    """``FIELD=V1,V2,...`` as the field name and its values, each parsed by the field's type.

    ``none`` is None for a field that may be None, ``true``/``false`` are booleans, a tuple field
    takes an int or a JSON list (``hidden_sizes=32,[64,64]``) and a dict field a JSON object; commas
    inside brackets or braces do not split values. `ValueError` names the field or value at fault.
    """
    name, separator, listed = text.partition("=")
    name = name.strip()
    if not separator or not name:
        raise ValueError(f"a grid entry is FIELD=VALUE,VALUE,..., got {_SHORT.repr(text)}")
    if name in _NOT_IN_GRID:
        raise ValueError(f"grid field {name!r} is not allowed: {_NOT_IN_GRID[name]}")
    if name not in _FIELD_TYPES:
        raise ValueError(f"unknown grid field {name!r}: not a QLearningConfig field "
                         f"(fields: {', '.join(_FIELD_TYPES)})")
    pieces = _split_top_level(listed)
    if not any(piece.strip() for piece in pieces):
        raise ValueError(f"grid field {name!r} has no values: give FIELD=VALUE,VALUE,...")
    return name, [parse_field_value(name, piece.strip()) for piece in pieces]


def parse_field_value(name: str, text: str) -> Any:
    """The text `text` as a value of the `QLearningConfig` field `name`; `ValueError` naming both if it is none."""
    hint = _FIELD_TYPES[name]
    try:
        return _parse(hint, text)
    except ValueError as error:
        raise ValueError(f"bad value {_SHORT.repr(text)} for {name}: {error}") from None


def _parse(hint: Any, text: str) -> Any:
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if type(None) in arguments:
        if text.lower() == "none":
            return None
        (inner,) = [argument for argument in arguments if argument is not type(None)]
        return _parse(inner, text)
    if hint is bool:
        if text.lower() not in ("true", "false"):
            raise ValueError("expected true or false")
        return text.lower() == "true"
    if origin is typing.Literal:
        if text not in arguments:
            raise ValueError(f"expected one of {', '.join(arguments)}")
        return text
    if hint is int:
        try:
            return int(text)
        except ValueError:
            raise ValueError("expected an integer") from None
    if hint is float:
        try:
            number = float(text)
        except ValueError:
            raise ValueError("expected a number") from None
        if not math.isfinite(number):
            raise ValueError("expected a finite number")
        return number
    if hint is str:
        if not text:
            raise ValueError("expected a non-empty text")
        return text
    if origin is tuple:
        value = _json(text)
        widths = [value] if type(value) is int else value
        if not isinstance(widths, list) or not all(type(width) is int for width in widths):
            raise ValueError("expected an int or a JSON list of ints such as [64,64]")
        return tuple(widths)
    if origin is dict:
        value = _json(text)
        if not isinstance(value, dict):
            raise ValueError('expected a JSON object such as {"is_slippery":true}')
        return value
    raise ValueError(f"fields of type {hint} cannot be swept")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON ({error.msg})") from None
    except RecursionError:
        raise ValueError("JSON nested too deeply to read") from None


def _split_top_level(text: str) -> list[str]:
    """`text` split at the commas outside brackets, braces and JSON strings."""
    pieces, depth, quoted, start = [], 0, False, 0
    for i, character in enumerate(text):
        if quoted:
            quoted = character != '"' or text[i - 1] == "\\"
        elif character == '"':
            quoted = True
        elif character in "[{":
            depth += 1
        elif character in "]}":
            depth -= 1
        elif character == "," and depth == 0:
            pieces.append(text[start:i])
            start = i + 1
    pieces.append(text[start:])
    return pieces


def parse_seeds(text: str) -> list[int]:
    """Seeds written as ``1-10``, ``1,3,5`` or ``1-5,11-15``; `ValueError` naming a bad piece."""
    seeds: list[int] = []
    for piece in text.split(","):
        low, dash, high = piece.strip().partition("-")
        try:
            first = int(low)
            last = int(high) if dash else first
        except ValueError:
            shown = _SHORT.repr(piece.strip())
            raise ValueError(f"bad seeds {shown}: write them as 1-10, 1,3,5 or 1-5,11-15") from None
        if first < 0 or last < first:
            shown = _SHORT.repr(piece.strip())
            raise ValueError(f"bad seeds {shown}: a range goes from a low int >= 0 up to a high one")
        if len(seeds) + last - first + 1 > MAX_RUNS:
            shown = _SHORT.repr(text)
            raise ValueError(f"seeds {shown} name more than {MAX_RUNS:,} seeds, the most runs a sweep plans")
        seeds.extend(range(first, last + 1))
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds {_SHORT.repr(text)} name a seed twice")
    return seeds


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, tuple | list):
        return "[" + ",".join(map(str, value)) + "]"
    return str(value)
