"""Initialisation: where a neuron's weights start, and the random generator they are drawn from.

Every scheme draws each weight from a uniform distribution U(−a, a); they differ in the
half-width a. Biases start at 0.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Callable

__all__ = ["INITS", "as_rng", "init_named", "weight_bound"]


def _he(fan_in: int, fan_out: int, gain: float) -> float:
    # He et al. (2015), as torch.nn.init.kaiming_uniform_: Var(w) = gain² / fan_in
    return gain * math.sqrt(3.0 / fan_in)


def _xavier(fan_in: int, fan_out: int, gain: float) -> float:
    # Glorot & Bengio (2010), as torch.nn.init.xavier_uniform_: Var(w) = 2 / (fan_in + fan_out)
    return math.sqrt(6.0 / (fan_in + fan_out))


def _uniform(fan_in: int, fan_out: int, gain: float) -> float:
    # micrograd's random.uniform(-1, 1), whatever the layer's size
    return 1.0


INITS: dict[str, Callable[[int, int, float], float]] = {"he": _he, "xavier": _xavier, "uniform": _uniform}
"""The initialisation schemes by name: ``"he"`` (ReLU-like activations), ``"xavier"`` (tanh,
sigmoid, linear) and ``"uniform"`` (micrograd's U(−1, 1)). Each maps (fan_in, fan_out, gain) to
the half-width of the uniform distribution the weights are drawn from."""


def init_named(name: object) -> str:
    """`name` if it is an initialisation scheme; a `ValueError` listing the valid names otherwise."""
    if isinstance(name, str) and name in INITS:
        return name
    raise ValueError(f"unknown init {name!r}: choose one of {', '.join(map(repr, INITS))} (or None)")


def weight_bound(init: str, fan_in: int, fan_out: int, gain: float) -> float:
    """The half-width a of U(−a, a) for a layer of `fan_in` inputs and `fan_out` outputs."""
    return INITS[init_named(init)](fan_in, fan_out, gain)


def as_rng(rng: random.Random | int | None) -> random.Random:
    """The random generator `rng` stands for.

    A `random.Random` is used as it is, an int seed (a Python int or a numpy integer such as
    ``np.int64(7)``; not a bool) seeds a new one, and None seeds a new one from Python's global
    `random` state (so ``random.seed(n)`` makes it repeatable).
    """
    if isinstance(rng, random.Random):
        return rng
    if rng is None:
        return random.Random(random.getrandbits(64))
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return random.Random(int(rng))  # int(): numpy's integers are not Python ints
    raise TypeError(f"rng must be a random.Random, an int seed (a Python or numpy integer) or None, "
                    f"got {type(rng).__name__} {rng!r:.60}")
