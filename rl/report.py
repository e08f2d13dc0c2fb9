"""The end-of-run summary: the learned greedy policy beside the optimum, both evaluated exactly."""

from __future__ import annotations

import math
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces

from rl.evaluation import BatchedQFunction, QFunction, greedy_policy
from rl.exact import TabularModel, ValueIterationResult, evaluate_policy, tabular_model, value_iteration
from rl.grids import Policy, grid_position, policy_grid, side_by_side
from rl.success import SuccessRule

__all__ = ["compare_with_optimum"]


def compare_with_optimum(
    q: QFunction | BatchedQFunction, env: gymnasium.Env[Any, Any], discount: float, success: SuccessRule
) -> str:
    """Text comparing the greedy policy of `q` (a network or ``rl.CompiledQ(network)``) with the optimal one.

    The optimal policy comes from value iteration. Both are evaluated exactly within the time
    limit: discounted value (the criterion of optimality), return and success probability; grid
    worlds are drawn with arrows. Returns a one-line note for environments that do not expose
    their model.
    """
    if not isinstance(env.observation_space, spaces.Discrete) or not hasattr(env.unwrapped, "P"):
        return "(no comparison with the optimum: this environment does not expose its model)"
    optimum_discount = min(discount, 0.999999)
    optimum = value_iteration(env, optimum_discount)
    learned = greedy_policy(q, env)
    lines = []
    drawn, best = policy_grid(env, learned), policy_grid(env, optimum.policy)
    if drawn is not None and best is not None:
        optimum_title = f"optimal (value iteration, discount α={optimum_discount:g})"
        lines.append(side_by_side(("learned greedy policy", drawn), (optimum_title, best)))
    rows = []
    for label, policy in [("learned", learned), ("optimal", optimum.policy)]:
        value = evaluate_policy(env, policy, discount=optimum_discount, success=success).value
        plain = evaluate_policy(env, policy, success=success)
        rows.append((label, value, plain.value, plain.success_probability))
        lines.append(
            f"{label:>8}: discounted value {value:.6f}, return {plain.value:.4f}, "
            f"success probability {plain.success_probability:.4f} (exact, {plain.horizon}-step limit)"
        )
    lines.append(_verdict(env, tabular_model(env), optimum, learned, gap=rows[1][1] - rows[0][1]))
    return "\n".join(lines)


def _verdict(
    env: gymnasium.Env[Any, Any], model: TabularModel, optimum: ValueIterationResult, learned: Policy, gap: float
) -> str:
    """Whether the learned policy is optimal from the start, and in which states its action is not.

    Optimal means optimal from the start state: the discounted value there equals the optimum's
    (the criterion value iteration maximizes). A policy optimal from the start may still choose
    badly in states it never visits itself; those are named.
    """
    states = _reachable_states(model)
    visited = set(_reachable_states(model, learned))
    differing = [s for s in states if int(learned[s]) not in optimum.optimal_actions(s)]
    where = f"{len(states) - len(differing)} of the {len(states)} states play can reach"
    if math.isclose(gap, 0.0, abs_tol=1e-9 + 1e-6 * abs(optimum.start_value)):
        if not differing:
            ties = [s for s in states if int(learned[s]) != int(optimum.policy[s])]
            tied = (f"; in {len(ties)} of them another action is optimal too, which value iteration's policy takes"
                    if ties else "")
            return (f"the learned policy is OPTIMAL: its discounted value from the start state equals the optimum's, "
                    f"and its action is optimal in all {len(states)} states play can reach{tied}")
        visits = "never visits" if visited.isdisjoint(differing) else "partly visits"
        return (f"the learned policy is OPTIMAL from the start state (its discounted value there equals the "
                f"optimum's); its action is optimal in {where}, not in {_state_names(env, differing)}, which it "
                f"{visits} itself")
    return (f"the learned policy is NOT optimal: its discounted value from the start state is {gap:.6f} below the "
            f"optimum's; its action is optimal in {where}, not in {_state_names(env, differing)}")


def _state_names(env: gymnasium.Env[Any, Any], states: list[int], shown: int = 6) -> str:
    """``state 25 (row 2, column 1)``, ...: at most `shown` states, positions counted from 0 on grid worlds."""
    names = []
    for state in states[:shown]:
        position = grid_position(env, state)
        names.append(f"state {state}" + ("" if position is None else f" (row {position[0]}, column {position[1]})"))
    more = f" and {len(states) - shown} more" if len(states) > shown else ""
    return ", ".join(names) + more


def _reachable_states(model: TabularModel, policy: Policy | None = None) -> list[int]:
    """The states reached from the start without the episode ending, by some actions or by `policy`'s."""
    frontier = [int(s) for s in np.flatnonzero(model.start > 0)]
    seen = set(frontier)
    while frontier:
        state = frontier.pop()
        moves = model.transition[state] if policy is None else model.transition[state, int(policy[state])][None]
        for successor in np.flatnonzero(moves.sum(axis=0) > 0):
            if int(successor) not in seen:
                seen.add(int(successor))
                frontier.append(int(successor))
    return sorted(seen)
