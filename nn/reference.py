"""The lecture's forward and backward propagation, vectorized with numpy: the oracle for `nn.MLP`.

Notation of the lecture: layer l has weights W_l (w_lij links input j to neuron i) and biases
b_l; its pre-activations are x_l = W_l y_{l−1} + b_l and its outputs y_l = σ(x_l), with
y₀ = x̃ the network's input. Given ∂L/∂y_k at the output layer k, for l = k, …, 1:

    ∂L/∂w_lij     = ∂L/∂y_li · σ'(x_li) · y_{l−1,j}
    ∂L/∂b_li      = ∂L/∂y_li · σ'(x_li)
    ∂L/∂y_{l−1,i} = Σ_k ∂L/∂y_lk · σ'(x_lk) · w_lki

Here each equation is one numpy expression over a whole layer and a whole batch of inputs (one
row per sample, gradients summed over the batch). The activations and their derivatives are
written again here, on purpose, independently of the engine's op table, so that the two can
check each other. `hinge_l2_loss_and_gradients` is micrograd's demo step written this way: the
numpy matrix floor that the engine's speed is measured against.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from autodiff import Value
from nn.activations import LEAKY_RELU_SLOPE
from nn.mlp import MLP

__all__ = [
    "SIGMAS",
    "Forward",
    "LayerArrays",
    "Network",
    "backward",
    "forward",
    "gradients_of",
    "hinge_l2_loss_and_gradients",
    "named",
    "network_of",
]

Array = NDArray[np.float64]


class LayerArrays(NamedTuple):
    """One layer's weights and biases as arrays, or the gradients of a loss with respect to them.

    `w` has shape ``(n_out, n_in)`` (row i holds neuron i's weights), `b` shape ``(n_out,)``.
    """

    w: Array
    b: Array


@dataclass(frozen=True)
class Network:
    """An MLP as arrays: `layers` of weights, and the name of each layer's activation σ."""

    layers: tuple[LayerArrays, ...]
    activations: tuple[str, ...]


class Forward(NamedTuple):
    """What forward propagation computes: `pre_activations` x_1 … x_k and `outputs` y_0 … y_k.

    ``outputs[0]`` is the input y₀ = x̃ and ``outputs[l]`` is σ(``pre_activations[l − 1]``);
    each array has one row per sample.
    """

    pre_activations: list[Array]
    outputs: list[Array]


def _relu_slope(x: Array) -> Array:
    return (x > 0).astype(np.float64)


def _sigmoid(x: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


SIGMAS: dict[str, tuple[Callable[[Array], Array], Callable[[Array], Array]]] = {
    "relu": (lambda x: np.maximum(x, 0.0), _relu_slope),
    "leaky_relu": (lambda x: np.where(x > 0, x, LEAKY_RELU_SLOPE * x),
                   lambda x: np.where(x > 0, 1.0, LEAKY_RELU_SLOPE)),
    "tanh": (np.tanh, lambda x: 1.0 - np.tanh(x) ** 2),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1.0 - _sigmoid(x))),
    "linear": (lambda x: x, np.ones_like),
}
"""Each activation's σ and σ' on arrays, by the names of `nn.ACTIVATIONS`; σ'(0) is 0 for relu
and the slope for leaky_relu, the engine's subgradients."""


def network_of(mlp: MLP) -> Network:
    """The weights of `mlp` (its parameters' current data) as arrays, with its activations."""
    last = len(mlp.layers) - 1
    activations = tuple("linear" if i == last else mlp.activation for i in range(len(mlp.layers)))
    return Network(_arrays(mlp, lambda p: p.data), activations)


def gradients_of(mlp: MLP) -> tuple[LayerArrays, ...]:
    """The grads of `mlp`'s parameters (after ``backward()``) as arrays, laid out as its weights."""
    return _arrays(mlp, lambda p: p.grad)


def _arrays(mlp: MLP, read: Callable[[Value], float]) -> tuple[LayerArrays, ...]:
    return tuple(
        LayerArrays(np.array([[read(w) for w in neuron.w] for neuron in layer.neurons], dtype=np.float64),
                    np.array([read(neuron.b) for neuron in layer.neurons], dtype=np.float64))
        for layer in mlp.layers
    )


def named(layers: Sequence[LayerArrays]) -> dict[str, float]:
    """Arrays laid out as an MLP's weights, as a dict keyed by the MLP's parameter names.

    ``named(network.layers)`` is a state dict that ``MLP.load_state_dict`` takes; ``named(grads)``
    can be compared with ``{name: p.grad for name, p in mlp.named_parameters()}``.
    """
    entries: dict[str, float] = {}
    for i, (w, b) in enumerate(layers):
        for j in range(w.shape[0]):
            for k in range(w.shape[1]):
                entries[f"layers.{i}.neurons.{j}.w.{k}"] = float(w[j, k])
            entries[f"layers.{i}.neurons.{j}.b"] = float(b[j])
    return entries


def forward(network: Network, x: ArrayLike) -> Forward:
    """Forward propagation y₀ = x̃, y_l = σ(W_l y_{l−1} + b_l) for one input or a batch (one per row)."""
    y = np.atleast_2d(np.asarray(x, dtype=np.float64))
    pre_activations, outputs = [], [y]
    for (w, b), activation in zip(network.layers, network.activations, strict=True):
        pre = y @ w.T + b
        y = SIGMAS[activation][0](pre)
        pre_activations.append(pre)
        outputs.append(y)
    return Forward(pre_activations, outputs)


def backward(network: Network, trace: Forward, output_grad: ArrayLike) -> tuple[list[LayerArrays], Array]:
    """The lecture's backward equations: the gradients of every W_l and b_l, and of the input.

    `output_grad` is ∂L/∂y_k, one row per sample of `trace` (a single row is broadcast); the
    weight gradients are summed over the samples, the input's gradient has one row per sample.
    """
    grad_y = np.broadcast_to(np.asarray(output_grad, dtype=np.float64), trace.outputs[-1].shape)
    gradients: list[LayerArrays] = []
    for l in reversed(range(len(network.layers))):  # noqa: E741 - the lecture's layer index
        # δ_li = ∂L/∂y_li · σ'(x_li), for every sample at once
        delta = grad_y * SIGMAS[network.activations[l]][1](trace.pre_activations[l])
        gradients.append(LayerArrays(delta.T @ trace.outputs[l], delta.sum(axis=0)))
        grad_y = delta @ network.layers[l].w
    return gradients[::-1], grad_y


def hinge_l2_loss_and_gradients(
    network: Network, x: ArrayLike, y: ArrayLike, alpha: float = 1e-4
) -> tuple[float, list[LayerArrays]]:
    """micrograd's demo loss and its gradients: mean(relu(1 − yᵢ · scoreᵢ)) + `alpha` · Σ p².

    `x` has one sample per row, `y` their labels ±1, and the network one output (the score).
    The L2 term sums the squares of every weight and bias, as micrograd's demo does.
    """
    labels = np.asarray(y, dtype=np.float64)
    trace = forward(network, x)
    scores = trace.outputs[-1][:, 0]
    margins = 1.0 - labels * scores
    penalty = sum(float(np.sum(w * w) + np.sum(b * b)) for w, b in network.layers)
    loss = float(np.mean(np.maximum(margins, 0.0))) + alpha * penalty
    # d mean(relu(m_i)) / d score_i = −y_i · [m_i > 0] / n
    output_grad = (-labels * (margins > 0) / len(labels))[:, None]
    gradients, _ = backward(network, trace, output_grad)
    return loss, [LayerArrays(gw + 2 * alpha * w, gb + 2 * alpha * b)
                  for (gw, gb), (w, b) in zip(gradients, network.layers, strict=True)]
