"""An environment that fails on purpose, for the sweep's failing-run test.

Ray workers make it by the id ``tests.sweep_envs:Broken-v0``: Gymnasium imports this module first,
which registers it.
"""

from typing import Any

import gymnasium
from gymnasium.envs.toy_text.frozen_lake import FrozenLakeEnv


class BrokenLake(FrozenLakeEnv):
    """FrozenLake 4x4 whose 50th step raises."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.steps = 0

    def step(self, action: int) -> Any:
        self.steps += 1
        if self.steps == 50:
            raise RuntimeError("broken on purpose")
        return super().step(action)


if "Broken-v0" not in gymnasium.registry:
    gymnasium.register("Broken-v0", entry_point="tests.sweep_envs:BrokenLake", max_episode_steps=100)
