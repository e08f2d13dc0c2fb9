"""The greedy policy of a Q-network: its actions, its policy table, and its evaluation by playing it."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import gymnasium
import numpy as np
import numpy.typing as npt
from gymnasium import spaces

from autodiff import Value, no_grad
from rl.environments import ObservationEncoder, make_env
from rl.success import SuccessRule, check_rule, is_success

__all__ = [
    "STATES_PER_FORWARD",
    "BatchedQFunction",
    "EvaluationResult",
    "QFunction",
    "evaluate",
    "greedy_action",
    "greedy_policy",
    "q_values",
]

QFunction = Callable[[Sequence[float]], Sequence[Value]]
"""A Q-network: observation vector in, one `Value` per action out (an `nn.MLP`)."""

STATES_PER_FORWARD = 512
"""The most states `greedy_policy` gives a batched Q-function at once (Taxi's 500 in one batch).

A compiled replay holds every node of the network for every sample, so its memory grows with the batch.
"""


@runtime_checkable
class BatchedQFunction(Protocol):
    """A Q-network replayed on batches, such as `rl.CompiledQ`: the Q-values of many observations in one call."""

    def q_values(self, observations: Sequence[Sequence[float]]) -> npt.NDArray[np.float64]:
        """The Q-values of every action in each observation, shape ``(len(observations), n_actions)``."""


def q_values(q: QFunction, observation: Sequence[float]) -> list[float]:
    """The Q-values of every action in `observation` (already encoded), computed without a graph."""
    with no_grad():
        return [v.data for v in q(observation)]


def greedy_action(q: QFunction, observation: Sequence[float]) -> int:
    """The index of the action with the largest Q-value (the first one on a tie)."""
    values = q_values(q, observation)
    return max(range(len(values)), key=values.__getitem__)


def greedy_policy(q: QFunction | BatchedQFunction, env: gymnasium.Env[Any, Any]) -> npt.NDArray[np.int64]:
    """The greedy action index in each state of an environment with a `Discrete` observation space.

    A `BatchedQFunction` (``rl.CompiledQ(network)``) computes the states in batched forwards of up to
    `STATES_PER_FORWARD` states, with the same actions as the network's Value graph except between Q-values equal up to
    float rounding.
    """
    space = env.observation_space
    if not isinstance(space, spaces.Discrete):
        raise ValueError(f"a policy table needs a Discrete observation space, got {space}")
    encode = ObservationEncoder(space)
    observations = [encode(int(space.start) + s) for s in range(int(space.n))]
    if isinstance(q, BatchedQFunction):
        chunks = range(0, len(observations), STATES_PER_FORWARD)
        # np.argmax takes the first of equal values, as greedy_action does
        return np.concatenate(
            [np.argmax(q.q_values(observations[i:i + STATES_PER_FORWARD]), axis=1) for i in chunks]
        ).astype(np.int64)
    return np.array([greedy_action(q, x) for x in observations], dtype=np.int64)


@dataclass(frozen=True, repr=False)
class EvaluationResult:
    """The returns of a greedy policy over some episodes, their mean ± std, and the success rate.

    Its repr is the summary; the episodes are in `returns`, `lengths` and `successes`.
    """

    returns: tuple[float, ...]
    lengths: tuple[int, ...]
    successes: tuple[bool, ...]

    @property
    def mean_return(self) -> float:
        """The mean return per episode."""
        return statistics.fmean(self.returns)

    @property
    def std_return(self) -> float:
        """The population standard deviation of the returns (0 for one episode)."""
        return statistics.pstdev(self.returns)

    @property
    def success_rate(self) -> float:
        """The fraction of episodes that succeeded (see `rl.SUCCESS_RULES`)."""
        return sum(self.successes) / len(self.successes)

    def __str__(self) -> str:
        return (
            f"return {self.mean_return:.3f} ± {self.std_return:.3f}, success {self.success_rate:.0%} "
            f"over {len(self.returns)} episodes"
        )

    def __repr__(self) -> str:
        return f"<EvaluationResult: {self}>"


def evaluate(
    q: QFunction | BatchedQFunction,
    env: str | gymnasium.Env[Any, Any],
    episodes: int = 100,
    seed: int = 0,
    *,
    success: SuccessRule = "goal",
) -> EvaluationResult:
    """Play the greedy policy of `q` for `episodes` episodes and collect their returns.

    `env` is a Gymnasium id or an `Env` (see `rl.make_env`: an env with no time limit gets one).
    The first episode resets with `seed` and the others continue its random stream, so the same
    seed gives the same result. `success` names the rule of `rl.SUCCESS_RULES` that says which
    episodes succeeded. A `BatchedQFunction` (``rl.CompiledQ(network)``) plays the same actions as
    the network's Value graph (but for Q-values equal up to float rounding), faster: with a
    `Discrete` observation space of at most 512 states its whole policy table is one batched forward.
    """
    if type(episodes) is not int or episodes < 1:
        raise ValueError(f"episodes must be an int >= 1, got {episodes!r}")
    check_rule(success)
    env = make_env(env)
    choose = _greedy_chooser(q, env)
    start = int(env.action_space.start)  # type: ignore[attr-defined]  # make_env checked: Discrete
    returns, lengths, successes = [], [], []
    for episode in range(episodes):
        observation, _ = env.reset(seed=seed if episode == 0 else None)
        total, steps = 0.0, 0
        while True:
            observation, reward, terminated, truncated, _ = env.step(start + choose(observation))
            total += float(reward)
            steps += 1
            if terminated or truncated:
                break
        returns.append(total)
        lengths.append(steps)
        successes.append(is_success(success, float(reward), bool(terminated), bool(truncated)))
    return EvaluationResult(tuple(returns), tuple(lengths), tuple(successes))


def _greedy_chooser(q: QFunction | BatchedQFunction, env: gymnasium.Env[Any, Any]) -> Callable[[Any], int]:
    """The greedy action index of an observation of `env` (not encoded), by the fastest exact route."""
    space = env.observation_space
    if isinstance(q, BatchedQFunction) and isinstance(space, spaces.Discrete) and space.n <= STATES_PER_FORWARD:
        table, first = greedy_policy(q, env), int(space.start)
        return lambda observation: int(table[int(observation) - first])
    encode = ObservationEncoder(space)
    if isinstance(q, BatchedQFunction):
        return lambda observation: int(np.argmax(q.q_values([encode(observation)])[0]))
    return lambda observation: greedy_action(q, encode(observation))
