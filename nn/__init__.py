"""nn: neural networks built from `autodiff.Value` nodes, as in the lecture and micrograd.

>>> import nn
>>> model = nn.MLP(2, [16, 16, 1], rng=0)
>>> model
MLP(2 → 16 → 16 → 1, activation=relu)
>>> opt = nn.SGD(model.parameters(), lr=0.1)
>>> loss = nn.mse_loss(model([1.0, -2.0]), [0.5])
>>> opt.zero_grad(); loss.backward(); opt.step()
>>> len(model.parameters())
337
"""

import importlib
from types import ModuleType

from nn.activations import ACTIVATIONS, Activation
from nn.init import INITS
from nn.losses import (
    binary_cross_entropy_with_logits,
    hinge_loss,
    huber,
    huber_loss,
    mse_loss,
    squared_error,
    sse_loss,
)
from nn.mlp import MLP, Layer, Neuron
from nn.module import Module
from nn.optim import SGD, Adam, Optimizer
from nn.saving import load, save

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "MLP",
    "SGD",
    "Activation",
    "Adam",
    "Layer",
    "Module",
    "Neuron",
    "Optimizer",
    "binary_cross_entropy_with_logits",
    "datasets",
    "hinge_loss",
    "huber",
    "huber_loss",
    "load",
    "mse_loss",
    "reference",
    "save",
    "squared_error",
    "sse_loss",
]

# the numpy oracle and the toy datasets are imported on first use: `import nn` needs neither
_LAZY_MODULES = ("datasets", "reference")


def __getattr__(name: str) -> ModuleType:
    """``nn.datasets`` and ``nn.reference``, imported on first use."""
    if name in _LAZY_MODULES:
        return importlib.import_module(f"nn.{name}")
    raise AttributeError(f"module 'nn' has no attribute {name!r}")
