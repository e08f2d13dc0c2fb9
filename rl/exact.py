"""Exact oracles for environments that expose their model (``env.unwrapped.P``, as toy-text ones do).

`value_iteration` gives the optimal V, Q and a greedy policy; `evaluate_policy` gives a policy's
expected return and success probability within the time limit by backward recursion over the
horizon, not by sampling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np
import numpy.typing as npt

from rl.environments import time_limit
from rl.success import SuccessRule, check_rule, is_success

__all__ = [
    "PolicyEvaluation",
    "TabularModel",
    "ValueIterationResult",
    "evaluate_policy",
    "tabular_model",
    "value_iteration",
]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TabularModel:
    """A finite MDP as dense arrays, read from a Gymnasium toy-text model ``P[s][a] = [(p, s', r, terminated)]``.

    `transition[s, a, s']` is the probability of s → s' on a step that does **not** terminate (the
    mass that bootstraps); `reward[s, a]` the expected reward; `success[s, a]` the probability that
    the step ends the episode successfully (under the rule `success_rule` of `rl.SUCCESS_RULES`);
    `start[s]` the initial-state distribution.
    """

    transition: FloatArray
    reward: FloatArray
    success: FloatArray
    start: FloatArray
    success_rule: SuccessRule

    @property
    def n_states(self) -> int:
        """The number of states."""
        return int(self.reward.shape[0])

    @property
    def n_actions(self) -> int:
        """The number of actions."""
        return int(self.reward.shape[1])


def tabular_model(env: gymnasium.Env[Any, Any], success: SuccessRule = "goal") -> TabularModel:
    """The model of `env` as a `TabularModel`; `ValueError` if `env.unwrapped` exposes none.

    Needs ``env.unwrapped.P`` (dict or list of ``P[s][a]`` outcome lists) and
    ``env.unwrapped.initial_state_distrib``, as FrozenLake, CliffWalking, Taxi and `rl.ChainEnv`
    have. `success` names the rule (`rl.SUCCESS_RULES`) that says which episodes succeed.
    """
    check_rule(success)
    inner = env.unwrapped
    table = getattr(inner, "P", None)
    start = getattr(inner, "initial_state_distrib", None)
    if table is None or start is None:
        raise ValueError(
            f"{type(inner).__name__} does not expose its model: exact oracles need env.unwrapped.P "
            f"and env.unwrapped.initial_state_distrib, as Gymnasium's toy-text environments have"
        )
    n_states = len(table)
    n_actions = len(table[0])
    transition = np.zeros((n_states, n_actions, n_states))
    reward = np.zeros((n_states, n_actions))
    succeeded = np.zeros((n_states, n_actions))
    for s in range(n_states):
        for a in range(n_actions):
            for probability, next_state, r, terminated in table[s][a]:
                reward[s, a] += probability * r
                if terminated:
                    succeeded[s, a] += probability * is_success(success, float(r), True, False)
                else:
                    transition[s, a, next_state] += probability
    return TabularModel(transition, reward, succeeded, np.asarray(start, dtype=np.float64), success)


@dataclass(frozen=True)
class ValueIterationResult:
    """The optimal values of a finite MDP: `values` V*(s), `q_values` Q*(s, a), a greedy `policy`."""

    values: FloatArray
    q_values: FloatArray
    policy: npt.NDArray[np.int64]
    start_value: float
    """V* averaged over the initial-state distribution."""
    discount: float

    def optimal_actions(self, state: int, atol: float = 1e-9) -> list[int]:
        """Every action whose Q* is within `atol` of the best in `state`: ties are all optimal."""
        row = self.q_values[state]
        return [int(a) for a in np.flatnonzero(row >= row.max() - atol)]


def value_iteration(
    env: gymnasium.Env[Any, Any] | TabularModel,
    discount: float = 0.99,
    *,
    tolerance: float = 1e-12,
    max_iterations: int = 100_000,
) -> ValueIterationResult:
    """Optimal V*, Q* and a greedy policy of an environment with a known model, by value iteration.

    Iterates Q(s, a) = r(s, a) + γ Σ_s' P(s' | s, a) max_a' Q(s', a') over non-terminating
    outcomes (a terminated step does not bootstrap) until V changes by less than `tolerance`.
    The greedy policy takes the first of tied actions; `optimal_actions` lists all of them.
    """
    if not 0.0 <= discount < 1.0:
        raise ValueError(f"value iteration needs a discount in [0, 1) to converge, got {discount!r}")
    model = env if isinstance(env, TabularModel) else tabular_model(env)
    values = np.zeros(model.n_states)
    for _ in range(max_iterations):
        q_values = model.reward + discount * model.transition @ values
        updated = q_values.max(axis=1)
        change = float(np.abs(updated - values).max())
        values = updated
        if change < tolerance:
            break
    else:
        raise RuntimeError(f"value iteration did not converge to {tolerance} in {max_iterations} iterations")
    q_values = model.reward + discount * model.transition @ values
    return ValueIterationResult(
        values=values,
        q_values=q_values,
        policy=q_values.argmax(axis=1),
        start_value=float(model.start @ values),
        discount=discount,
    )


@dataclass(frozen=True)
class PolicyEvaluation:
    """A deterministic policy's exact performance within a horizon, from the initial distribution."""

    value: float
    """Expected (discounted) return within the horizon."""
    success_probability: float
    """Probability that the episode ends in a success within the horizon."""
    state_values: FloatArray
    state_success: FloatArray
    horizon: int


def evaluate_policy(
    env: gymnasium.Env[Any, Any],
    policy: Sequence[int] | npt.NDArray[np.integer[Any]],
    *,
    discount: float = 1.0,
    horizon: int | None = None,
    success: SuccessRule = "goal",
) -> PolicyEvaluation:
    """The exact return and success probability of `policy` (one action per state) in `env`.

    Backward recursion over the horizon: with V_0 = S_0 = 0,
    V_t(s) = r(s, π(s)) + γ Σ_s' P(s' | s, π(s)) V_{t−1}(s') and the same for the success
    probability S_t without discount and with the success mass in place of r (for the
    ``"survival"`` rule: S_0 = 1 and no success mass). `horizon` defaults to the environment's
    time limit (``FrozenLake-v1``: 100); `discount` 1 gives the plain return. `success` names a
    rule of `rl.SUCCESS_RULES`.
    """
    if not 0.0 <= discount <= 1.0:
        raise ValueError(f"discount must be in [0, 1], got {discount!r}")
    if horizon is None:
        horizon = time_limit(env)
        if horizon is None:
            raise ValueError("the environment has no time limit: pass the horizon")
    if type(horizon) is not int or horizon < 0:
        raise ValueError(f"horizon must be an int >= 0, got {horizon!r}")
    model = tabular_model(env, success)
    actions = np.asarray(policy)
    if actions.shape != (model.n_states,) or not np.issubdtype(actions.dtype, np.integer):
        raise ValueError(f"policy must give one int action for each of the {model.n_states} states")
    if actions.min() < 0 or actions.max() >= model.n_actions:
        raise ValueError(f"policy actions must lie in 0 … {model.n_actions - 1}")
    states = np.arange(model.n_states)
    transition = model.transition[states, actions]
    reward = model.reward[states, actions]
    succeeded = model.success[states, actions]
    values = np.zeros(model.n_states)
    successes = np.full(model.n_states, 1.0 if success == "survival" else 0.0)
    for _ in range(horizon):
        values = reward + discount * transition @ values
        successes = succeeded + transition @ successes
    return PolicyEvaluation(
        value=float(model.start @ values),
        success_probability=float(model.start @ successes),
        state_values=values,
        state_success=successes,
        horizon=horizon,
    )
