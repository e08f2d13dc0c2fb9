"""The chain MDP: a corridor of states where moving right to the end is the only reward."""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
import numpy.typing as npt
from gymnasium import spaces

__all__ = ["LEFT", "RIGHT", "ChainEnv", "chain_optimal_q"]

LEFT = 0
"""The action that moves one state back (staying put in state 0)."""
RIGHT = 1
"""The action that moves one state on."""


class ChainEnv(gymnasium.Env[np.int64, np.int64]):
    """States 0 … n−1 in a row; the episode starts in 0 and ends on reaching n−1 with reward 1.

    `RIGHT` moves one state on, `LEFT` one state back (0 stays 0); every other step gives reward
    0. The model is exposed as Gymnasium's toy-text environments do (`P`, `initial_state_distrib`),
    so the exact oracles of `rl.exact` apply. With discount γ, Q* has the closed form of
    `chain_optimal_q`. Registered as ``"rl/Chain-v0"`` with n = 6 and a 100-step time limit.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, n: int = 6, render_mode: str | None = None) -> None:
        if type(n) is not int or n < 2:
            raise ValueError(f"a chain needs an int n >= 2 states, got {n!r}")
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.n = n
        self.render_mode = render_mode
        self.observation_space = spaces.Discrete(n)
        self.action_space = spaces.Discrete(2)
        self.P: dict[int, dict[int, list[tuple[float, int, float, bool]]]] = {
            s: {LEFT: [_move(s, s - 1, n)], RIGHT: [_move(s, s + 1, n)]} for s in range(n)
        }
        self.initial_state_distrib = np.zeros(n)
        self.initial_state_distrib[0] = 1.0
        self.s = 0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.int64, dict[str, Any]]:
        """Back to state 0."""
        super().reset(seed=seed)
        self.s = 0
        return np.int64(self.s), {}

    def step(self, action: np.int64 | int) -> tuple[np.int64, float, bool, bool, dict[str, Any]]:
        """Move left or right; reaching the last state gives reward 1 and ends the episode."""
        if not self.action_space.contains(action):
            raise ValueError(f"the chain's actions are 0 (left) and 1 (right), got {action!r}")
        ((_, self.s, reward, terminated),) = self.P[self.s][int(action)]
        return np.int64(self.s), reward, terminated, False, {}

    def render(self) -> str | None:
        """The chain as text, the current state marked ``x``, when render_mode is ``"ansi"``."""
        if self.render_mode != "ansi":
            return None
        return "".join("x" if s == self.s else ("G" if s == self.n - 1 else "-") for s in range(self.n))


def _move(s: int, to: int, n: int) -> tuple[float, int, float, bool]:
    if s == n - 1:
        # the end is terminal: Gymnasium's toy-text convention is a terminated self-loop
        return (1.0, s, 0.0, True)
    to = max(to, 0)
    reached = to == n - 1
    return (1.0, to, 1.0 if reached else 0.0, reached)


def chain_optimal_q(n: int, discount: float) -> npt.NDArray[np.float64]:
    """Q*(s, a) of the n-state chain as an n × 2 array (columns `LEFT`, `RIGHT`), in closed form.

    From s < n−1, going right reaches the end after n−1−s steps: Q*(s, right) = γ^(n−2−s).
    Going left first lands in max(s−1, 0): Q*(s, left) = γ · γ^(n−2−max(s−1, 0)).
    The terminal state's row is 0.
    """
    if type(n) is not int or n < 2:
        raise ValueError(f"a chain needs an int n >= 2 states, got {n!r}")
    if not 0.0 < discount <= 1.0:
        raise ValueError(f"discount must be in (0, 1], got {discount!r}")
    q = np.zeros((n, 2))
    for s in range(n - 1):
        q[s, RIGHT] = discount ** (n - 2 - s)
        q[s, LEFT] = discount ** (n - 1 - max(s - 1, 0))
    return q
