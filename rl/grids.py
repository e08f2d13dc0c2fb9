"""Policies of grid worlds drawn as text: one arrow per cell, letters for the cells where play ends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium
import numpy as np
import numpy.typing as npt

__all__ = ["Policy", "grid_position", "policy_grid", "side_by_side"]

Policy = Sequence[int] | npt.NDArray[np.integer[Any]]
"""One action index per state."""

_FROZEN_LAKE_ARROWS = "←↓→↑"  # actions 0 left, 1 down, 2 right, 3 up
_CLIFF_WALKING_ARROWS = "↑→↓←"  # actions 0 up, 1 right, 2 down, 3 left
_CHAIN_ARROWS = "←→"


def policy_grid(env: gymnasium.Env[Any, Any], policy: Policy) -> list[str] | None:
    """The rows of a grid world with the arrow of `policy`'s action in each cell, or None for other envs.

    Knows FrozenLake (holes ``H`` and the goal ``G`` drawn as letters), CliffWalking (the cliff
    ``C``, the goal ``G``) and `rl.ChainEnv` (one row, the end ``G``).
    """
    inner: Any = env.unwrapped  # the toy-text attributes are not part of Env's type
    name = type(inner).__name__
    if name == "FrozenLakeEnv":
        desc = [[letter.decode() for letter in row] for row in inner.desc]
        return _draw(desc, policy, _FROZEN_LAKE_ARROWS, ends="HG")
    if name == "CliffWalkingEnv":
        rows, cols = inner.shape
        # Gymnasium's documented layout: the cliff is the bottom row between the start (left) and the goal (right)
        desc = [["."] * cols for _ in range(rows - 1)] + [["."] + ["C"] * (cols - 2) + ["G"]]
        return _draw(desc, policy, _CLIFF_WALKING_ARROWS, ends="CG")
    if name == "ChainEnv":
        desc = [["." for _ in range(inner.n - 1)] + ["G"]]
        return _draw(desc, policy, _CHAIN_ARROWS, ends="G")
    return None


def grid_position(env: gymnasium.Env[Any, Any], state: int) -> tuple[int, int] | None:
    """The (row, column) of `state` on a grid world that `policy_grid` draws, counted from 0; None for other envs."""
    inner: Any = env.unwrapped
    name = type(inner).__name__
    if name == "FrozenLakeEnv":
        columns = len(inner.desc[0])
    elif name == "CliffWalkingEnv":
        columns = int(inner.shape[1])
    elif name == "ChainEnv":
        columns = int(inner.n)
    else:
        return None
    row, column = divmod(state, columns)
    return row, column


def _draw(desc: list[list[str]], policy: Policy, arrows: str, ends: str) -> list[str]:
    cols = len(desc[0])

    def cell(r: int, c: int, letter: str) -> str:
        return letter if letter in ends else arrows[int(policy[r * cols + c])]

    return [" ".join(cell(r, c, letter) for c, letter in enumerate(row)) for r, row in enumerate(desc)]


def side_by_side(*blocks: tuple[str, list[str]], gap: int = 4) -> str:
    """Text blocks with their titles, next to each other."""
    widths = [max(len(title), *(len(line) for line in lines)) for title, lines in blocks]
    height = max(len(lines) for _, lines in blocks)
    rows = [[title for title, _ in blocks]]
    rows += [[lines[i] if i < len(lines) else "" for _, lines in blocks] for i in range(height)]
    spacer = " " * gap
    return "\n".join(spacer.join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)
