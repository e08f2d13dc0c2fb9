"""The TD update and greedy actions through compiled replays of the Q-network (`nn.MLP.compile`).

The same learning step as `rl.td_update`, with the same targets, loss and semi-gradient, but the
mini-batch is one replay of the traced network on numpy arrays instead of a graph of Values per
transition. `QLearningConfig.compiled` switches `rl.train` between the two paths.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

import autodiff
import nn
from autodiff import Value
from rl.replay import Transition
from rl.update import Optimizer, UpdateStats

__all__ = ["CompiledQ", "per_sample_loss"]

Array = NDArray[np.float64]
PerSampleLoss = Callable[[Value, Value], Value]
"""The loss of one prediction Q̂ against its target Q̃."""


def per_sample_loss(name: str, huber_delta: float = 1.0) -> tuple[PerSampleLoss, bool]:
    """The per-transition term of the TD loss `name`, and whether the batch loss is its mean.

    ``"sum"`` and ``"mean"`` are the squared error (Q̂ − Q̃)², summed or averaged as `nn.sse_loss`
    and `nn.mse_loss` do; ``"huber"`` is the term of `nn.huber_loss`, averaged.
    """
    if name in ("sum", "mean"):
        return _squared_error, name == "mean"
    if name == "huber":
        return (lambda prediction, target: _huber(prediction, target, huber_delta)), True
    raise ValueError(f"unknown loss {name!r}; the losses are sum, mean and huber")


def _squared_error(prediction: Value, target: Value) -> Value:
    error = prediction - target
    return error * error


def _huber(prediction: Value, target: Value, delta: float) -> Value:
    # nn.huber_loss picks its branch with `if` on the data, which a trace would freeze at the
    # first sample's branch; min() picks it per sample: ½c² + δ(|d| − c), c = min(|d|, δ), is
    # ½d² for |d| ≤ δ and δ(|d| − ½δ) beyond, with the same gradient (min sends it to |d| on a tie)
    size = abs(prediction - target)
    clipped = autodiff.min([size, delta])
    return 0.5 * (clipped * clipped) + delta * (size - clipped)


class CompiledQ:
    """A Q-network and its target network compiled once for batches: Q-values, TD targets, TD updates.

    `q` and `target_q` are `nn.MLP`s (`target_q` may be `q` itself, the lecture's loop without a
    target network; None means `q`). Their weights are read at every call, so an optimizer step or
    a target sync is seen at once. `loss` and `huber_delta` name the TD loss as `QLearningConfig`
    does. For greedy play alone, ``CompiledQ(q)`` is enough: `rl.evaluate` and `rl.greedy_policy`
    take it in place of `q` (each graph is traced at its first call). `q` and `target_q` stay
    available as attributes.
    """

    def __init__(
        self, q: nn.MLP, target_q: nn.MLP | None = None, *, loss: str = "mean", huber_delta: float = 1.0
    ) -> None:
        if target_q is None:
            target_q = q
        self.q, self.target_q = q, target_q
        self.n_actions = q.nouts[-1]
        self.loss_name = loss
        term, self.mean = per_sample_loss(loss, huber_delta)
        self.forward = q.compile()
        self.target_forward = self.forward if target_q is q else target_q.compile()

        def td_loss(outputs: Sequence[Value], *row: Value) -> Value:
            # the row ends with the action as a one-hot vector and the target Q̃, both per-sample inputs
            one_hot, target = row[:-1], row[-1]
            return term(autodiff.dot(one_hot, outputs), target)

        self.loss = q.compile(td_loss)

    def __repr__(self) -> str:
        return f"CompiledQ({self.n_actions} actions, loss={self.loss_name!r})"

    def q_values(self, observations: Sequence[Sequence[float]]) -> Array:
        """The Q-values of every action in each observation, shape ``(len(observations), n_actions)``."""
        return self.forward(observations)

    def greedy_action(self, observation: Sequence[float]) -> int:
        """The index of the action with the largest Q-value in `observation` (the first one on a tie)."""
        return int(np.argmax(self.forward([observation])[0]))

    def td_targets(self, batch: Sequence[Transition], discount: float) -> Array:
        """`rl.td_targets` for the batch from one replay of the target network on its next states."""
        rewards = np.array([t.reward for t in batch])
        bootstraps = ~np.array([t.terminated for t in batch])
        best_next = self.target_forward([t.next_observation for t in batch]).max(axis=1)
        # np.where, not a product: a terminated transition's next state may have any value, even inf
        return np.where(bootstraps, rewards + discount * best_next, rewards)

    def td_update(self, optimizer: Optimizer, batch: Sequence[Transition], *, discount: float) -> UpdateStats:
        """`rl.td_update` on the compiled graph: the same targets, loss and gradients, up to rounding.

        The targets enter the loss as per-sample inputs, so the parameters' gradient is the
        semi-gradient; ``opt.zero_grad(); loss.backward(); opt.step()`` becomes
        ``opt.zero_grad(); compiled.backward(rows, weights); opt.step()``.
        """
        targets = self.td_targets(batch, discount)
        observations = np.array([t.observation for t in batch])
        actions = np.array([t.action for t in batch])
        # Q̂(x_m, u_m) before the step, for the statistics only: the loss below recomputes them
        predictions = self.forward(observations)[np.arange(len(batch)), actions]
        one_hots = np.eye(self.n_actions)[actions]
        rows = np.column_stack([observations, one_hots, targets])
        weights = 1.0 / len(batch) if self.mean else 1.0
        optimizer.zero_grad()
        loss = self.loss.backward(rows, np.full(len(batch), weights))
        optimizer.step()
        return UpdateStats(loss, float(np.mean(predictions)))
