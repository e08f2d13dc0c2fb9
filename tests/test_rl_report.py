"""The end-of-run summary: its verdict agrees with its own numbers, and results print as summaries."""

import numpy as np

import rl
from rl.report import compare_with_optimum

UP, RIGHT = 0, 1  # CliffWalking's actions


class TableQ:
    """A batched Q-function that reads a table: row = the one-hot observation's state."""

    def __init__(self, table):
        self.table = np.array(table, dtype=float)

    def q_values(self, observations):
        return np.array([self.table[int(np.argmax(x))] for x in observations])


def _cliff_with_actions(actions):
    """Q* of CliffWalking, with the greedy action of some states replaced."""
    env = rl.make_env("CliffWalking-v1")
    table = rl.value_iteration(env, 0.99).q_values.copy()
    for state, action in actions.items():
        table[state, action] = table[state].max() + 1.0
    return env, TableQ(table)


def test_an_optimal_policy_everywhere_says_so():
    env, q = _cliff_with_actions({})
    verdict = compare_with_optimum(q, env, 0.99, "end").splitlines()[-1]
    assert verdict == ("the learned policy is OPTIMAL: its discounted value from the start state equals the "
                       "optimum's, and its action is optimal in all 37 states play can reach")


def test_an_optimal_policy_that_breaks_ties_otherwise_says_how_many():
    env = rl.make_env("FrozenLake-v1", env_kwargs={"is_slippery": False})
    optimum = rl.value_iteration(env, 0.9)
    table = optimum.q_values.copy()
    # state 0: right and down both lead to the goal in 6 steps; value iteration's policy takes one
    other = next(a for a in optimum.optimal_actions(0) if a != optimum.policy[0])
    table[0, other] = table[0].max() + 1.0
    verdict = compare_with_optimum(TableQ(table), env, 0.9, "goal").splitlines()[-1]
    assert verdict.endswith("optimal in all 11 states play can reach; in 1 of them another action is optimal too, "
                            "which value iteration's policy takes")


def test_optimal_from_the_start_names_the_states_where_it_differs():
    # (0, 5) is off the optimal path along row 2: going up into the wall there is not optimal
    env, q = _cliff_with_actions({5: UP})
    verdict = compare_with_optimum(q, env, 0.99, "end").splitlines()[-1]
    assert verdict == ("the learned policy is OPTIMAL from the start state (its discounted value there equals the "
                       "optimum's); its action is optimal in 36 of the 37 states play can reach, not in state 5 "
                       "(row 0, column 5), which it never visits itself")


def test_a_policy_worse_from_the_start_is_not_optimal():
    # from (2, 0), on the optimal path, going up costs two more steps
    env, q = _cliff_with_actions({24: UP, 5: UP})
    lines = compare_with_optimum(q, env, 0.99, "end").splitlines()
    assert lines[-1].startswith("the learned policy is NOT optimal: its discounted value from the start state is ")
    assert lines[-1].endswith("its action is optimal in 35 of the 37 states play can reach, not in state 5 "
                              "(row 0, column 5), state 24 (row 2, column 0)")


def test_an_evaluation_result_prints_as_its_summary_and_keeps_its_episodes():
    result = rl.EvaluationResult(returns=(1.0, 0.0), lengths=(6, 9), successes=(True, False))
    assert repr(result) == "<EvaluationResult: return 0.500 ± 0.500, success 50% over 2 episodes>"
    assert str(result) == "return 0.500 ± 0.500, success 50% over 2 episodes"
    assert result.returns == (1.0, 0.0) and result.lengths == (6, 9)
