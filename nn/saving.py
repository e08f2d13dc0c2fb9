"""Saving and loading networks as JSON (never pickle): the architecture and every parameter.

A file holds ``{"format": "scalar-autodiff.nn", "version": 1, "module": "MLP", "config":
{...constructor arguments...}, "parameters": {name: value, ...}}``. Floats are written with
their shortest exact representation, so a loaded network computes bit-identical outputs.
"""

from __future__ import annotations

import json
import math
import os

from autodiff.files import atomic_write, read_json
from nn.checks import clipped, finite_float, is_int, short
from nn.mlp import MLP, Layer, Neuron
from nn.module import Module

__all__ = ["FORMAT", "FORMAT_VERSION", "MAX_FILE_BYTES", "load", "save"]

FORMAT = "scalar-autodiff.nn"
"""The value of a saved file's ``"format"`` field."""
FORMAT_VERSION = 1
"""The version of the file layout written by `save`; `load` reads versions up to it."""
MAX_FILE_BYTES = 64 * 2**20
"""The largest file `load` reads (64 MiB, about a million parameters); larger ones are refused unread."""

# the constructor arguments that describe each savable class: its attributes of the same names
_CONFIG_FIELDS: dict[str, tuple[type[MLP | Layer | Neuron], tuple[str, ...]]] = {
    "MLP": (MLP, ("nin", "nouts", "activation", "init")),
    "Layer": (Layer, ("nin", "nout", "activation", "init")),
    "Neuron": (Neuron, ("nin", "activation", "init")),
}


def save(module: Module, path: str | os.PathLike[str]) -> None:
    """Write `module` (an `MLP`, `Layer` or `Neuron`) to `path` as JSON.

    Raises `TypeError` for another kind of module and `ValueError` if a parameter is NaN or
    infinite (JSON has no such numbers). The file is written atomically (`autodiff.files.atomic_write`):
    a reader, even one loading while another process saves, sees the old complete file or the new one.
    """
    kind = type(module).__name__
    if kind not in _CONFIG_FIELDS or type(module) is not _CONFIG_FIELDS[kind][0]:
        raise TypeError(f"nn.save() saves an {', a '.join(_CONFIG_FIELDS)}, got {kind}")
    parameters = module.state_dict()
    for name, value in parameters.items():
        if not math.isfinite(value):
            raise ValueError(f"cannot save {kind}: parameter {name!r} is {value!r}, which JSON cannot hold")
    document = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "module": kind,
        "config": {field: _json_ready(getattr(module, field)) for field in _CONFIG_FIELDS[kind][1]},
        "parameters": parameters,
    }
    atomic_write(path, json.dumps(document, indent=1, allow_nan=False) + "\n")


def load(path: str | os.PathLike[str]) -> Module:
    """The module saved at `path` by `save`, with every parameter restored exactly.

    Raises `ValueError` (never another exception), naming the file and the problem, for a file
    that is not UTF-8 JSON (e.g. truncated, or nested too deeply to parse), not in this format, of
    a newer version, with a config of the wrong types, with a parameter that is not a finite
    float (e.g. ``1e400``, which JSON reads as infinity), or whose parameters do not match its
    architecture, and for anything but a regular file of at most `MAX_FILE_BYTES` (a device or a
    FIFO is refused without reading or blocking). A file that cannot be opened raises `OSError` as
    `open` does. Loading only reads: it never imports or runs anything named by the file.
    """
    where = f"{os.fspath(path)!r} is not a saved network"
    try:
        document = read_json(path, MAX_FILE_BYTES)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{where}: it has no \"format\": {FORMAT!r} field")
    version = document.get("version")
    if not is_int(version) or not 1 <= version <= FORMAT_VERSION:
        raise ValueError(f"{where} this library can read: its format version is {version!r}, "
                         f"this library reads versions 1 to {FORMAT_VERSION}")
    _check_fields(where, "the file", document, ("format", "version", "module", "config", "parameters"))
    kind, config, parameters = document["module"], document["config"], document["parameters"]
    if not isinstance(kind, str) or kind not in _CONFIG_FIELDS:
        raise ValueError(f"{where}: unknown module {kind!r}, expected one of {', '.join(_CONFIG_FIELDS)}")
    module_class, fields = _CONFIG_FIELDS[kind]
    _check_fields(where, "\"config\"", config, fields)
    if not isinstance(parameters, dict):
        raise ValueError(f"{where}: \"parameters\" must be an object, got {type(parameters).__name__}")
    expected = _parameter_count(config)
    if expected is not None and expected > _BUILD_BEFORE_CHECKING and expected != len(parameters):
        # a small file must not make us build a huge network for nothing; below this size,
        # building it first lets the error name the missing and unexpected parameters
        raise ValueError(f"{where}: its {kind} config {short(config, 120)} has {expected} parameters, "
                         f"the file {len(parameters)}")
    try:
        module = module_class(**config, rng=0)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: invalid {kind} config {short(config, 120)}: {clipped(str(error), 200)}") from None
    for name, value in parameters.items():
        try:
            finite_float(value)
        except (TypeError, ValueError) as error:
            beyond = " (a number beyond ±1.8e308 in the file?)" if isinstance(value, float) else ""
            raise ValueError(f"{where}: parameter {name!r} {error}{beyond}") from None
    try:
        module.load_state_dict(parameters)
    except (KeyError, ValueError) as error:
        message = error.args[0] if error.args else error
        raise ValueError(f"{where}: its parameters do not match its architecture {module!r}: {message}") from None
    return module


_BUILD_BEFORE_CHECKING = 100_000


def _parameter_count(config: dict[str, object]) -> int | None:
    """How many parameters `config` describes, or None if its sizes are not plain ints."""
    sizes: list[object] = [config.get("nin")]
    if "nouts" in config:
        nouts = config["nouts"]
        sizes += list(nouts) if isinstance(nouts, list) else [nouts]
    else:
        sizes.append(config.get("nout", 1))
    if not all(is_int(n) for n in sizes):
        return None
    ints = [n for n in sizes if isinstance(n, int)]
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(ints[:-1], ints[1:], strict=True))


def _check_fields(where: str, what: str, document: object, fields: tuple[str, ...]) -> None:
    if not isinstance(document, dict):
        raise ValueError(f"{where}: {what} must be a JSON object, got {type(document).__name__}")
    missing = [field for field in fields if field not in document]
    unexpected = [key for key in document if key not in fields]
    problems = ([f"lacks the fields {', '.join(map(repr, missing))}"] if missing else []) + (
        [f"has unexpected fields {', '.join(map(repr, unexpected))}"] if unexpected else [])
    if problems:
        raise ValueError(f"{where}: {what} {' and '.join(problems)} (expected exactly {', '.join(fields)})")


def _json_ready(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value
