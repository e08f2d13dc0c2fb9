"""The learning step of semi-gradient Q-learning: TD targets as constants, the loss, one optimizer step."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import NamedTuple, Protocol

import nn
from autodiff import Value
from rl.evaluation import QFunction, q_values
from rl.replay import Transition

__all__ = ["Loss", "Optimizer", "UpdateStats", "loss_function", "td_targets", "td_update"]

Loss = Callable[[Sequence[Value], Sequence[float]], Value]
"""A loss of predictions against targets, reduced to one `Value` (`nn.mse_loss` and friends)."""


class Optimizer(Protocol):
    """What the update needs of an optimizer: `nn.SGD` and `nn.Adam` are ones."""

    lr: float

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to 0."""

    def step(self) -> None:
        """Move every parameter along its gradient."""


class UpdateStats(NamedTuple):
    """What one update reports: its loss and the mean of the predicted Q̂(x_m, u_m)."""

    loss: float
    mean_q: float


def loss_function(name: str, huber_delta: float = 1.0) -> Loss:
    """The TD loss named `name`: ``"sum"`` (`nn.sse_loss`), ``"mean"`` (`nn.mse_loss`) or ``"huber"``."""
    if name == "sum":
        return nn.sse_loss
    if name == "mean":
        return nn.mse_loss
    if name == "huber":
        return lambda predictions, targets: nn.huber_loss(predictions, targets, delta=huber_delta)
    raise ValueError(f"unknown loss {name!r}; the losses are sum, mean and huber")


def td_targets(target_q: QFunction, batch: Sequence[Transition], discount: float) -> list[float]:
    """Q̃ = r + α · max_v Q̂(x', v) for each transition, or r alone where the episode terminated.

    The targets are plain floats computed without recording a graph: the semi-gradient treats
    them as constants, so no gradient reaches `target_q` or the next-state Q-values. A truncated
    transition (``terminated=False``) bootstraps.
    """
    best_next: dict[tuple[float, ...], float] = {}  # each distinct next state is evaluated once
    for t in batch:
        if not t.terminated and t.next_observation not in best_next:
            best_next[t.next_observation] = max(q_values(target_q, t.next_observation))
    return [t.reward if t.terminated else t.reward + discount * best_next[t.next_observation] for t in batch]


def td_update(
    q: QFunction,
    target_q: QFunction,
    optimizer: Optimizer,
    batch: Sequence[Transition],
    *,
    discount: float,
    loss: Loss,
) -> UpdateStats:
    """One step of semi-gradient Q-learning on a mini-batch: the whole learning step, in one place.

    The loss of the predictions Q̂(x_m, u_m) against the constant `td_targets`, then
    ``opt.zero_grad(); loss.backward(); opt.step()`` as in the lecture, so the gradient is the
    semi-gradient Σ_m ∂loss/∂Q̂_m · ∇Q̂(x_m, u_m). `target_q` is a target network or `q` itself.
    `rl.CompiledQ.td_update` is the same step on the compiled graph (``QLearningConfig.compiled``).
    """
    targets = td_targets(target_q, batch, discount)
    # each distinct state is forwarded once and its outputs shared: the same gradient, less work
    outputs: dict[tuple[float, ...], Sequence[Value]] = {}
    for t in batch:
        if t.observation not in outputs:
            outputs[t.observation] = q(t.observation)
    predictions = [outputs[t.observation][t.action] for t in batch]
    value = loss(predictions, targets)
    optimizer.zero_grad()
    value.backward()
    optimizer.step()
    return UpdateStats(value.data, statistics.fmean(p.data for p in predictions))
