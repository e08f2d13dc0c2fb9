"""Grid worlds drawn as text: one arrow per cell, letters where play ends."""

import gymnasium

import rl
from rl.grids import grid_position, policy_grid

RIGHT = 1  # CliffWalking's actions: 0 up, 1 right, 2 down, 3 left


def test_cliff_walking_draws_its_cliff_and_goal_as_gymnasium_documents_them():
    # Gymnasium: a 4 x 12 grid, the start at [3, 0], "a cliff runs along [3, 1..10]", the goal at [3, 11]
    env = rl.make_env("CliffWalking-v1")
    assert policy_grid(env, [RIGHT] * 48) == ["→ " * 11 + "→"] * 3 + ["→" + " C" * 10 + " G"]
    assert grid_position(env, 36) == (3, 0) and grid_position(env, 47) == (3, 11)


def test_frozen_lake_draws_its_holes_and_goal():
    env = gymnasium.make("FrozenLake-v1")
    assert policy_grid(env, [0] * 16) == ["← ← ← ←", "← H ← H", "← ← ← H", "H ← ← G"]
