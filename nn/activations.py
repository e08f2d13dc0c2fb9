"""The activation functions σ a neuron may apply to its pre-activation wᵀx + b, by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from autodiff import Value

__all__ = ["ACTIVATIONS", "LEAKY_RELU_SLOPE", "Activation", "activation_named"]

LEAKY_RELU_SLOPE = 0.01
"""The slope of ``"leaky_relu"`` below zero (PyTorch's default)."""


@dataclass(frozen=True)
class Activation:
    """One activation function: how a neuron applies it and how its weights start out.

    `apply` maps the pre-activation `Value` to the neuron's output (None for the identity, so a
    linear neuron adds no node). `init` names the default initialisation (see `nn.init`) and
    `gain` is PyTorch's ``calculate_gain`` for it, which He's initialisation scales by.
    """

    name: str
    apply: Callable[[Value], Value] | None
    init: str
    gain: float
    doc: str


def _leaky_relu(x: Value) -> Value:
    return x.leaky_relu(LEAKY_RELU_SLOPE)


_TABLE = [
    Activation("relu", Value.relu, "he", 2**0.5, "max(x, 0)."),
    Activation("leaky_relu", _leaky_relu, "he", (2 / (1 + LEAKY_RELU_SLOPE**2)) ** 0.5,
               f"x for x > 0, {LEAKY_RELU_SLOPE} · x otherwise."),
    Activation("tanh", Value.tanh, "xavier", 5 / 3, "The hyperbolic tangent."),
    Activation("sigmoid", Value.sigmoid, "xavier", 1.0, "The logistic function 1 / (1 + e ** −x)."),
    Activation("linear", None, "xavier", 1.0, "The identity: the neuron outputs wᵀx + b."),
]

ACTIVATIONS: dict[str, Activation] = {a.name: a for a in _TABLE}
"""Every activation a `Neuron`, `Layer` or `MLP` accepts, by name."""


def activation_named(name: object) -> Activation:
    """The activation called `name`; a `ValueError` listing the valid names otherwise."""
    if isinstance(name, str) and name in ACTIVATIONS:
        return ACTIVATIONS[name]
    raise ValueError(f"unknown activation {name!r}: choose one of {', '.join(map(repr, ACTIVATIONS))}")
