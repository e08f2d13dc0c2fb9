"""Argument types shared by the command lines of `rl` (``python3 -m rl`` and its sweep commands).

Each turns one command-line word into a value or raises `argparse.ArgumentTypeError`, which argparse
reports as a usage error (exit 2) naming the option.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["json_object", "positive_int"]


def json_object(text: str) -> dict[str, Any]:
    """A JSON object given on the command line, such as ``'{"is_slippery": false}'``."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not valid JSON ({error.msg}): {text[:80]!r}") from None
    except RecursionError:
        raise argparse.ArgumentTypeError(f"JSON nested too deeply to read: {text[:80]!r}...") from None
    if not isinstance(value, dict):
        example = '{"is_slippery": false}'
        raise argparse.ArgumentTypeError(f"expected a JSON object such as '{example}', got {text[:80]!r}")
    return value


def positive_int(text: str) -> int:
    """An integer of at least 1."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number
