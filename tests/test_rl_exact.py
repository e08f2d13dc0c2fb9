"""Exact oracles: value iteration and policy evaluation against published and hand-computed numbers."""

import gymnasium
import numpy as np
import pytest

import rl

FROZEN_LAKE_SLIPPERY_START_VALUE = 0.542026  # γ = 0.99, gymnasium 1.4.0
FROZEN_LAKE_SLIPPERY_SUCCESS = 0.7402  # its greedy policy within 100 steps
FROZEN_LAKE_8X8_START_VALUE = 0.414640
CLIFF_WALKING_START_VALUE = -12.247898


def test_frozen_lake_slippery_optimum():
    env = rl.make_env("FrozenLake-v1")
    optimum = rl.value_iteration(env, 0.99)
    assert optimum.start_value == pytest.approx(FROZEN_LAKE_SLIPPERY_START_VALUE, abs=1e-4)
    evaluation = rl.evaluate_policy(env, optimum.policy)
    assert evaluation.horizon == 100
    assert evaluation.success_probability == pytest.approx(FROZEN_LAKE_SLIPPERY_SUCCESS, abs=1e-3)


def test_frozen_lake_8x8_slippery_optimum():
    optimum = rl.value_iteration(rl.make_env("FrozenLake-v1", env_kwargs={"map_name": "8x8"}), 0.99)
    assert optimum.start_value == pytest.approx(FROZEN_LAKE_8X8_START_VALUE, abs=1e-4)


def test_cliff_walking_optimum_walks_the_edge_in_13_steps():
    env = rl.make_env("CliffWalking-v1", max_episode_steps=500)
    optimum = rl.value_iteration(env, 0.99)
    assert optimum.start_value == pytest.approx(CLIFF_WALKING_START_VALUE, abs=1e-5)
    evaluation = rl.evaluate_policy(env, optimum.policy, success="end")
    assert evaluation.value == -13.0
    assert evaluation.success_probability == 1.0


def test_value_iteration_on_the_chain_matches_the_closed_form():
    optimum = rl.value_iteration(gymnasium.make("rl/Chain-v0"), 0.9)
    np.testing.assert_allclose(optimum.q_values, rl.chain_optimal_q(6, 0.9), atol=1e-10)
    assert list(optimum.policy[:5]) == [rl.RIGHT] * 5


def test_chain_closed_form_by_hand():
    q = rl.chain_optimal_q(6, 0.9)
    # right from s is rewarded on its (5 − s)th step: γ^(4 − s); left first goes back (stays in 0)
    np.testing.assert_allclose(q[:, rl.RIGHT], [0.6561, 0.729, 0.81, 0.9, 1.0, 0.0])
    np.testing.assert_allclose(q[:, rl.LEFT], [0.59049, 0.59049, 0.6561, 0.729, 0.81, 0.0])


def test_optimal_actions_lists_ties():
    # from state 0 of the chain, left stays in 0: with γ = 1 both actions are worth 1
    optimum = rl.value_iteration(gymnasium.make("rl/Chain-v0"), 0.9)
    assert optimum.optimal_actions(4) == [rl.RIGHT]
    assert optimum.optimal_actions(5) == [rl.LEFT, rl.RIGHT]  # the terminal state: all zero


def test_policy_evaluation_counts_steps_within_the_horizon():
    env = gymnasium.make("rl/Chain-v0")
    always_right = [rl.RIGHT] * 6
    # the end is 5 steps away: a 4-step horizon never reaches it, a 5-step one always does
    short = rl.evaluate_policy(env, always_right, horizon=4)
    assert (short.value, short.success_probability) == (0.0, 0.0)
    enough = rl.evaluate_policy(env, always_right, horizon=5, discount=0.5)
    assert enough.value == pytest.approx(0.5**4)
    assert enough.success_probability == 1.0
    assert enough.state_success[3] == 1.0


def test_policy_evaluation_of_a_policy_that_never_arrives():
    env = gymnasium.make("rl/Chain-v0")
    always_left = [rl.LEFT] * 6
    evaluation = rl.evaluate_policy(env, always_left)
    assert (evaluation.value, evaluation.success_probability) == (0.0, 0.0)
    survived = rl.evaluate_policy(env, always_left, success="survival")
    assert survived.success_probability == 1.0


def test_policy_evaluation_with_slipping_by_hand():
    # 4x4 slippery FrozenLake, one step from the start with action "down": 1/3 each of left
    # (stay), down (to 4) and right (to 1); no outcome ends the episode, so the horizon-1 success is 0
    env = rl.make_env("FrozenLake-v1")
    model = rl.tabular_model(env)
    np.testing.assert_allclose(model.transition[0, 1, [0, 1, 4]], [1 / 3, 1 / 3, 1 / 3])
    # from 14 (left of the goal) "right" slips up, right or down: 1/3 reaches the goal
    assert model.success[14, 2] == pytest.approx(1 / 3)
    assert model.reward[14, 2] == pytest.approx(1 / 3)


def test_oracles_reject_what_they_cannot_do():
    with pytest.raises(ValueError, match="does not expose its model"):
        rl.value_iteration(gymnasium.make("CartPole-v1"))
    with pytest.raises(ValueError, match="discount"):
        rl.value_iteration(gymnasium.make("rl/Chain-v0"), 1.0)
    with pytest.raises(ValueError, match="one int action for each of the 6 states"):
        rl.evaluate_policy(gymnasium.make("rl/Chain-v0"), [1, 1])
    with pytest.raises(ValueError, match="0 … 1"):
        rl.evaluate_policy(gymnasium.make("rl/Chain-v0"), [2] * 6)
    with pytest.raises(ValueError, match="unknown success rule"):
        rl.evaluate_policy(gymnasium.make("rl/Chain-v0"), [1] * 6, success="win")  # type: ignore[arg-type]
