"""Toy data sets for the demos, made with numpy from a seed."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nn.checks import is_int

__all__ = ["make_moons"]


def make_moons(
    n: int = 100, *, noise: float = 0.1, seed: int | None = None
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Two interleaving half circles in the plane, as scikit-learn's ``make_moons``.

    Returns ``(x, y)``: `x` of shape ``(n, 2)`` and labels `y` of shape ``(n,)``, 0 for the upper
    moon (⌈n/2⌉ points) and 1 for the lower one, shuffled, with Gaussian noise of standard
    deviation `noise` added to every coordinate. The same `seed` gives the same points.
    """
    if not is_int(n) or n < 2:
        raise ValueError(f"make_moons() needs an int n >= 2 (one point per moon at least), got {n!r}")
    if not noise >= 0:
        raise ValueError(f"make_moons() noise must be >= 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    n_upper = n - n // 2
    upper = np.linspace(0.0, np.pi, n_upper)
    lower = np.linspace(0.0, np.pi, n // 2)
    x = np.concatenate([
        np.stack([np.cos(upper), np.sin(upper)], axis=1),
        np.stack([1.0 - np.cos(lower), 0.5 - np.sin(lower)], axis=1),
    ])
    y = np.concatenate([np.zeros(n_upper, dtype=np.int64), np.ones(n // 2, dtype=np.int64)])
    order = rng.permutation(n)
    x, y = x[order], y[order]
    return x + rng.normal(scale=noise, size=x.shape), y
