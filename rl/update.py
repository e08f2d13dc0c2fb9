"""The learning step of semi-gradient Q-learning: the TD losses and optimizers by name, TD targets, one update."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import nn
from autodiff import Value
from rl.evaluation import QFunction, q_values
from rl.transitions import Transition

__all__ = [
    "OPTIMIZER_MAKERS",
    "TD_LOSSES",
    "Loss",
    "Optimizer",
    "TDLoss",
    "UpdateStats",
    "loss_function",
    "make_optimizer",
    "td_loss_named",
    "td_targets",
    "td_update",
]

Loss = Callable[[Sequence[Value], Sequence[float]], Value]
"""A loss of predictions against targets, reduced to one `Value` (`nn.mse_loss` and friends)."""


@dataclass(frozen=True)
class TDLoss:
    """One TD loss: its per-transition term and how a mini-batch reduces the terms.

    `batch` is the `nn` loss of a batch of Values (with the Huber `delta`), which the Value-graph
    update calls; `term` is its term for one prediction Q̂ against its target Q̃, which the compiled
    update traces; `mean` says whether the batch loss averages the terms (else it sums them).
    """

    name: str
    batch: Callable[[Sequence[Value], Sequence[float], float], Value]
    term: Callable[[Value, Value, float], Value]
    mean: bool
    doc: str


TD_LOSSES: dict[str, TDLoss] = {loss.name: loss for loss in [
    TDLoss("sum", lambda predictions, targets, delta: nn.sse_loss(predictions, targets),
           lambda prediction, target, delta: nn.squared_error(prediction, target), False,
           "the lecture's Σ_m (Q̂_m − Q̃_m)² (`nn.sse_loss`)"),
    TDLoss("mean", lambda predictions, targets, delta: nn.mse_loss(predictions, targets),
           lambda prediction, target, delta: nn.squared_error(prediction, target), True,
           "its mean (`nn.mse_loss`)"),
    TDLoss("huber", nn.huber_loss, nn.huber, True, "the mean Huber loss (`nn.huber_loss`)"),
]}
"""Every TD loss `QLearningConfig.loss` may name; both the Value-graph and the compiled update read it."""

OPTIMIZER_MAKERS: dict[str, Callable[[Iterable[Value], float, float], nn.Optimizer]] = {
    "adam": lambda params, lr, momentum: nn.Adam(params, lr),
    "sgd": lambda params, lr, momentum: nn.SGD(params, lr, momentum=momentum),
}
"""Every optimizer `QLearningConfig.optimizer` may name: ``(params, learning_rate, momentum) -> optimizer``."""


def make_optimizer(name: str, params: Iterable[Value], learning_rate: float, momentum: float = 0.0) -> nn.Optimizer:
    """The optimizer `name` (``"adam"`` or ``"sgd"``, see `OPTIMIZER_MAKERS`) over `params`."""
    if name not in OPTIMIZER_MAKERS:
        raise ValueError(f"unknown optimizer {name!r}; the optimizers are {', '.join(OPTIMIZER_MAKERS)}")
    return OPTIMIZER_MAKERS[name](params, learning_rate, momentum)


def td_loss_named(name: str) -> TDLoss:
    """The `TD_LOSSES` entry `name`; a `ValueError` naming the losses otherwise."""
    if name not in TD_LOSSES:
        raise ValueError(f"unknown loss {name!r}; the losses are {', '.join(TD_LOSSES)}")
    return TD_LOSSES[name]


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
    """The TD loss named `name` (see `TD_LOSSES`): ``"sum"``, ``"mean"`` or ``"huber"``, on Values."""
    batch = td_loss_named(name).batch
    return lambda predictions, targets: batch(predictions, targets, huber_delta)


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
