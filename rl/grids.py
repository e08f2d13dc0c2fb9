"""Policies of grid worlds drawn as text: one arrow per cell, letters for the cells where play ends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium

__all__ = ["policy_grid", "side_by_side"]

_FROZEN_LAKE_ARROWS = "←↓→↑"  # actions 0 left, 1 down, 2 right, 3 up
_CLIFF_WALKING_ARROWS = "↑→↓←"  # actions 0 up, 1 right, 2 down, 3 left
_CHAIN_ARROWS = "←→"


def policy_grid(env: gymnasium.Env[Any, Any], policy: Sequence[int]) -> list[str] | None:
    """The rows of a grid world with the arrow of `policy`'s action in each cell, or None for other envs.

    Knows FrozenLake (holes ``H`` and the goal ``G`` drawn as letters), CliffWalking (the cliff
    ``C``, the goal ``G``) and `rl.ChainEnv` (one row, the end ``G``).
    """
    inner = env.unwrapped
    name = type(inner).__name__
    if name == "FrozenLakeEnv":
        desc = [[letter.decode() for letter in row] for row in inner.desc]
        return _draw(desc, policy, _FROZEN_LAKE_ARROWS, ends="HG")
    if name == "CliffWalkingEnv":
        rows, cols = inner.shape
        desc = [["C" if inner._cliff[r, c] else "." for c in range(cols)] for r in range(rows)]
        desc[rows - 1][cols - 1] = "G"
        return _draw(desc, policy, _CLIFF_WALKING_ARROWS, ends="CG")
    if name == "ChainEnv":
        desc = [["." for _ in range(inner.n - 1)] + ["G"]]
        return _draw(desc, policy, _CHAIN_ARROWS, ends="G")
    return None


def _draw(desc: list[list[str]], policy: Sequence[int], arrows: str, ends: str) -> list[str]:
    cols = len(desc[0])
    return [
        " ".join(letter if letter in ends else arrows[int(policy[r * cols + c])] for c, letter in enumerate(row))
        for r, row in enumerate(desc)
    ]


def side_by_side(*blocks: tuple[str, list[str]], gap: int = 4) -> str:
    """Text blocks with their titles, next to each other."""
    widths = [max(len(title), *(len(line) for line in lines)) for title, lines in blocks]
    height = max(len(lines) for _, lines in blocks)
    rows = [[title for title, _ in blocks]]
    rows += [[lines[i] if i < len(lines) else "" for _, lines in blocks] for i in range(height)]
    return "\n".join((" " * gap).join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)
