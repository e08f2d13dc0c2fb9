"""The end-of-run summary: the learned greedy policy beside the optimum, both evaluated exactly."""

from __future__ import annotations

import math
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces

from rl.evaluation import BatchedQFunction, QFunction, greedy_policy
from rl.exact import TabularModel, evaluate_policy, tabular_model, value_iteration
from rl.grids import policy_grid, side_by_side
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
        optimum_title = f"optimal (value iteration, α={optimum_discount:g})"
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
    optimal = math.isclose(rows[0][1], rows[1][1], rel_tol=1e-6, abs_tol=1e-9)
    states = _reachable_states(tabular_model(env))
    agree = sum(int(learned[s]) in optimum.optimal_actions(s) for s in states)
    verdict = "the learned policy is OPTIMAL" if optimal else "the learned policy is NOT optimal"
    lines.append(f"{verdict}: its action is optimal in {agree} of the {len(states)} states play can be in")
    return "\n".join(lines)


def _reachable_states(model: TabularModel) -> list[int]:
    """The states some sequence of actions reaches from the start without the episode ending."""
    frontier = [int(s) for s in np.flatnonzero(model.start > 0)]
    seen = set(frontier)
    while frontier:
        state = frontier.pop()
        for successor in np.flatnonzero(model.transition[state].sum(axis=0) > 0):
            if int(successor) not in seen:
                seen.add(int(successor))
                frontier.append(int(successor))
    return sorted(seen)
