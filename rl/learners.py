"""The Q-function `rl.train` learns, behind one interface: a graph of Values, or compiled arrays.

`train` asks a `QLearner` for greedy actions, TD updates on mini-batches, target syncs and
snapshots of the weights, and never asks which kind it holds: `make_learner` chooses once, from
``QLearningConfig.compiled``. `ValueGraphLearner` builds a graph of Values per update (the
lecture's ``opt.zero_grad(); loss.backward(); opt.step()``); `CompiledLearner` keeps the weights
in numpy arrays and runs the compiled network on them (`rl.CompiledQ`), stepping the optimizer
on the arrays (`nn.Optimizer.update`). Both give the same targets, losses and gradients, up to
float rounding.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

import nn
from rl.compiled import CompiledQ
from rl.config import QLearningConfig
from rl.evaluation import BatchedQFunction, QFunction, greedy_action
from rl.transitions import TransitionBatch
from rl.update import UpdateStats, loss_function, make_optimizer, td_update

__all__ = ["CompiledLearner", "QLearner", "ValueGraphLearner", "make_learner"]


class QLearner(Protocol):
    """What `rl.train` needs of the Q-function it learns."""

    optimizer: nn.Optimizer
    """The optimizer of the Q-network's parameters (its `lr` may be changed between updates)."""

    def greedy_action(self, observation: Sequence[float]) -> int:
        """The action with the largest Q-value in `observation` (the first on a tie)."""

    def td_update(self, batch: TransitionBatch, discount: float) -> UpdateStats:
        """One step of semi-gradient Q-learning on the mini-batch `batch`."""

    def sync_target(self) -> None:
        """Copy the Q-network's weights into the target network (nothing without one)."""

    def weights(self) -> list[float]:
        """A snapshot of the Q-network's weights, in ``parameters()`` order."""

    def player(self) -> QFunction | BatchedQFunction:
        """What the greedy evaluations play: the Q-network with its current weights."""

    def network(self, weights: list[float] | None = None) -> nn.MLP:
        """The Q-network as an `nn.MLP` holding `weights` (default: the current ones)."""


class ValueGraphLearner:
    """The Q-network as a graph of Values: every update is `rl.td_update`, every action `rl.greedy_action`.

    `target_q` is a separate copy synced by `sync_target`, or `q` itself (no target network).
    """

    def __init__(self, q: nn.MLP, target_q: nn.MLP, optimizer: nn.Optimizer, *, loss: str, huber_delta: float):
        self.q, self.target_q, self.optimizer = q, target_q, optimizer
        self.loss = loss_function(loss, huber_delta)

    def greedy_action(self, observation: Sequence[float]) -> int:
        """The action with the largest Q-value in `observation` (the first on a tie)."""
        return greedy_action(self.q, observation)

    def td_update(self, batch: TransitionBatch, discount: float) -> UpdateStats:
        """`rl.td_update` on the batch's transitions."""
        return td_update(self.q, self.target_q, self.optimizer, batch.transitions(), discount=discount,
                         loss=self.loss)

    def sync_target(self) -> None:
        """Copy the Q-network's weights into the target network (nothing without one)."""
        if self.target_q is not self.q:
            _set_weights(self.target_q, self.weights())

    def weights(self) -> list[float]:
        """A snapshot of the Q-network's weights, in ``parameters()`` order."""
        return [p.data for p in self.q.parameters()]

    def player(self) -> nn.MLP:
        """The Q-network itself."""
        return self.q

    def network(self, weights: list[float] | None = None) -> nn.MLP:
        """The Q-network, holding `weights` if given."""
        if weights is not None:
            _set_weights(self.q, weights)
        return self.q


class CompiledLearner:
    """The Q-network's weights in a numpy array, run by the compiled network (`rl.CompiledQ`).

    The weights of `q` are copied into `theta` once; updates change `theta` (and the target
    weights `target_theta`, a copy synced by `sync_target`, or `theta` itself without a target
    network) and leave `q`'s Values alone until `network` writes them. It is itself a
    `rl.BatchedQFunction` for the greedy evaluations.
    """

    def __init__(self, q: nn.MLP, optimizer: nn.Optimizer, *, target_network: bool, loss: str, huber_delta: float):
        self.q, self.optimizer = q, optimizer
        self.compiled = CompiledQ(q, loss=loss, huber_delta=huber_delta)
        self.theta: NDArray[np.float64] = np.array([p.data for p in q.parameters()])
        self.target_theta = self.theta.copy() if target_network else self.theta

    def greedy_action(self, observation: Sequence[float]) -> int:
        """The action with the largest Q-value in `observation` (the first on a tie)."""
        return self.compiled.greedy_action(observation, params=self.theta)

    def q_values(self, observations: Sequence[Sequence[float]]) -> NDArray[np.float64]:
        """The Q-values of every action in each observation, shape ``(len(observations), n_actions)``."""
        return self.compiled.q_values(observations, params=self.theta)

    def td_update(self, batch: TransitionBatch, discount: float) -> UpdateStats:
        """The semi-gradient of the compiled TD loss, and one optimizer step on `theta`."""
        stats, gradient = self.compiled.td_gradient(batch, discount, params=self.theta, target_params=self.target_theta)
        self.optimizer.update(self.theta, gradient)
        return stats

    def sync_target(self) -> None:
        """Copy `theta` into `target_theta` (nothing without a target network)."""
        if self.target_theta is not self.theta:
            self.target_theta[:] = self.theta

    def weights(self) -> list[float]:
        """A snapshot of `theta`."""
        return self.theta.tolist()  # type: ignore[no-any-return]

    def player(self) -> CompiledLearner:
        """The learner itself, a `rl.BatchedQFunction` of the current `theta`."""
        return self

    def network(self, weights: list[float] | None = None) -> nn.MLP:
        """`q` with `weights` (default: `theta`) written into its Values."""
        _set_weights(self.q, self.weights() if weights is None else weights)
        return self.q


def make_learner(config: QLearningConfig, q: nn.MLP) -> QLearner:
    """The learner of `q` that `config` asks for: compiled (`CompiledLearner`) or not (`ValueGraphLearner`).

    The optimizer is ``config.optimizer`` over ``q.parameters()``; there is a target network
    unless ``config.target_sync_period`` is None.
    """
    optimizer = make_optimizer(config.optimizer, q.parameters(), config.learning_rate, config.momentum)
    target_network = config.target_sync_period is not None
    if config.compiled:
        return CompiledLearner(q, optimizer, target_network=target_network, loss=config.loss,
                               huber_delta=config.huber_delta)
    target_q = _copy_network(q) if target_network else q
    return ValueGraphLearner(q, target_q, optimizer, loss=config.loss, huber_delta=config.huber_delta)


def _copy_network(q: nn.MLP) -> nn.MLP:
    # a fixed seed: drawing the copy's throwaway initial weights must not use the run's generator
    copy_of_q = nn.MLP(q.nin, q.nouts, activation=q.activation, rng=0)
    _set_weights(copy_of_q, [p.data for p in q.parameters()])
    return copy_of_q


def _set_weights(q: nn.MLP, weights: list[float]) -> None:
    # not load_state_dict: a diverged run's NaN weights are copied like any others, so the run
    # goes on and its history shows the divergence instead of stopping at a target sync
    for parameter, value in zip(q.parameters(), weights, strict=True):
        parameter.data = value
