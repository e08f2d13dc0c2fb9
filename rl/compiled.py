"""The TD update and greedy actions through compiled Q-networks (`nn.MLP.compile`), on arrays.

The same learning step as `rl.td_update`, with the same targets, loss and semi-gradient, but the
mini-batch is one run of the compiled network on numpy arrays instead of a graph of Values per
transition. `rl.train` uses it through `rl.CompiledLearner` when ``QLearningConfig.compiled``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

import autodiff
import nn
from autodiff import Value
from rl.transitions import Transition, TransitionBatch
from rl.update import Optimizer, TDLoss, UpdateStats, td_loss_named

__all__ = ["CompiledQ", "per_sample_loss"]

Array = NDArray[np.float64]
PerSampleLoss = Callable[[Value, Value], Value]
"""The loss of one prediction Q̂ against its target Q̃."""


def per_sample_loss(name: str, huber_delta: float = 1.0) -> tuple[PerSampleLoss, bool]:
    """The per-transition term of the TD loss `name` (see `rl.TD_LOSSES`), and whether the batch loss is its mean.

    ``"sum"`` and ``"mean"`` are the squared error (Q̂ − Q̃)² (`nn.squared_error`), summed or
    averaged as `nn.sse_loss` and `nn.mse_loss` do; ``"huber"`` is `nn.huber`, averaged.
    """
    entry = td_loss_named(name)
    return (lambda prediction, target: entry.term(prediction, target, huber_delta)), entry.mean


class CompiledQ:
    """A Q-network and its target network compiled once for batches: Q-values, TD targets, TD updates.

    `q` and `target_q` are `nn.MLP`s (`target_q` may be `q` itself, the lecture's loop without a
    target network; None means `q`). `loss` and `huber_delta` name the TD loss as `QLearningConfig`
    does. Every method reads the networks' current weights, or takes them as arrays (``params=``
    for `q`, ``target_params=`` for `target_q`, in ``parameters()`` order) from a training loop
    that keeps its weights in arrays (`rl.CompiledLearner`). For greedy play alone,
    ``CompiledQ(q)`` is enough: `rl.evaluate` and `rl.greedy_policy` take it in place of `q`.
    """

    def __init__(
        self, q: nn.MLP, target_q: nn.MLP | None = None, *, loss: str = "mean", huber_delta: float = 1.0
    ) -> None:
        if target_q is None:
            target_q = q
        self.q, self.target_q = q, target_q
        self.n_actions = q.nouts[-1]
        self.loss_name = loss
        entry: TDLoss = td_loss_named(loss)
        self.mean = entry.mean
        self.forward = q.compile()
        self.target_forward = self.forward if target_q is q else target_q.compile()
        # the per-transition loss term of Q̂ and Q̃, compiled: its input gradient is ∂term/∂Q̂
        self.term = autodiff.compile(lambda prediction, target: entry.term(prediction, target, huber_delta), params=[])

    def __repr__(self) -> str:
        return f"CompiledQ({self.n_actions} actions, loss={self.loss_name!r})"

    def q_values(self, observations: Sequence[Sequence[float]] | Array, *, params: ArrayLike | None = None) -> Array:
        """The Q-values of every action in each observation, shape ``(len(observations), n_actions)``."""
        return self.forward(observations, params=params)

    def greedy_action(self, observation: Sequence[float], *, params: ArrayLike | None = None) -> int:
        """The index of the action with the largest Q-value in `observation` (the first one on a tie)."""
        return int(np.argmax(self.forward(np.array([observation]), params=params)[0]))

    def td_targets(
        self, batch: Sequence[Transition] | TransitionBatch, discount: float, *, target_params: ArrayLike | None = None
    ) -> Array:
        """`rl.td_targets` for the batch from one run of the target network on its next states."""
        arrays = _as_arrays(batch)
        params = target_params if self.target_q is not self.q or target_params is not None else None
        best_next = self.target_forward(arrays.next_observations, params=params).max(axis=1)
        # np.where, not a product: a terminated transition's next state may have any value, even inf
        return np.where(arrays.terminated, arrays.rewards, arrays.rewards + discount * best_next)

    def td_gradient(
        self,
        batch: Sequence[Transition] | TransitionBatch,
        discount: float,
        *,
        params: ArrayLike | None = None,
        target_params: ArrayLike | None = None,
    ) -> tuple[UpdateStats, Array]:
        """The batch's TD loss, the mean Q̂(x_m, u_m) and the semi-gradient of the loss, in ``parameters()`` order.

        One forward and one backward pass of the compiled network: the loss term's slope at each
        Q̂(x_m, u_m) (from the compiled term, with the target Q̃ as a constant input, so the
        gradient is the semi-gradient) weighs the network's output u_m of sample m.
        Without a target network, `target_params` default to `params`.
        """
        arrays = _as_arrays(batch)
        if self.target_q is self.q and target_params is None:
            target_params = params
        targets = self.td_targets(arrays, discount, target_params=target_params)
        n, samples, actions = len(arrays.actions), np.arange(len(arrays.actions)), arrays.actions
        scale = 1.0 / n if self.mean else 1.0
        found: list[tuple[float, float]] = []

        def output_weights(q_values: Array) -> Array:
            # ∂loss/∂Q(x_m, ·): the term's slope at Q̂(x_m, u_m), nothing for the other actions
            q_hat = q_values[samples, actions]
            term = self.term.value_and_grad(np.column_stack([q_hat, targets]), scale)
            with np.errstate(over="ignore", invalid="ignore"):  # a diverged loss sums to inf or NaN, as on Values
                found.append((float(np.sum(term.values) * scale), float(np.mean(q_hat))))
            weights = np.zeros_like(q_values)
            weights[samples, actions] = term.inputs[:, 0]
            return weights

        result = self.forward.value_and_grad(arrays.observations, output_weights, params=params)
        return UpdateStats(*found[0]), result.params

    def td_update(self, optimizer: Optimizer, batch: Sequence[Transition], *, discount: float) -> UpdateStats:
        """`rl.td_update` on the compiled graph: the same targets, loss and gradients, up to rounding.

        ``opt.zero_grad(); loss.backward(); opt.step()`` becomes ``opt.zero_grad()``, the
        semi-gradient added into each parameter's ``.grad``, and ``opt.step()``.
        """
        stats, gradient = self.td_gradient(batch, discount)
        optimizer.zero_grad()
        for p, g in zip(self.q.parameters(), gradient.tolist(), strict=True):
            p.grad += g
        optimizer.step()
        return stats


def _as_arrays(batch: Sequence[Transition] | TransitionBatch) -> TransitionBatch:
    return batch if isinstance(batch, TransitionBatch) else TransitionBatch.of(list(batch))
