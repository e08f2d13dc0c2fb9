"""micrograd's demo with `nn`: an MLP(2, [16, 16, 1]) learns to separate two moons.

100 two-moons points (numpy, fixed seed), an SVM max-margin (hinge) loss plus 1e-4 · L2, and
plain SGD with micrograd's learning rate decaying from 1.0 to 0.1. It reaches 100% training
accuracy in a few seconds and, when matplotlib is installed (the ``plot`` or ``rl`` extra), saves
a picture of the decision boundary, decision_boundary.png, in the output folder.

    python3 examples/moons.py [--steps 100] [--seed 0] [--out runs/moons]
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

import autodiff
import nn
from autodiff.extras import install_command
from autodiff.files import atomic_write


@dataclass(frozen=True)
class Settings:
    """The demo's settings, micrograd's by default."""

    steps: int = 100
    """SGD steps on the whole data set; the learning rate decays from 1.0 to 0.1 over them."""
    points: int = 100
    """How many two-moons points to fit."""
    noise: float = 0.1
    """Standard deviation of the noise added to the points."""
    data_seed: int = 0
    """Seed of the points."""
    model_seed: int = 0
    """Seed of the network's initial weights."""
    alpha: float = 1e-4
    """Weight of the L2 penalty alpha · Σ p² on every weight and bias."""


@dataclass(frozen=True)
class Step:
    """One training step: the loss and accuracy before the update, and its learning rate."""

    step: int
    loss: float
    accuracy: float
    lr: float


@dataclass(frozen=True)
class Result:
    """A finished run: the trained model, its data, its history and its final accuracy."""

    model: nn.MLP
    x: NDArray[np.float64]
    y: NDArray[np.int64]
    history: list[Step]
    accuracy: float


def accuracy(model: nn.MLP, x: NDArray[np.float64], y: NDArray[np.int64]) -> float:
    """The share of points whose score has the sign of their ±1 label."""
    with autodiff.no_grad():
        scores = [model(list(point))[0].data for point in x]
    return float(np.mean((np.array(scores) > 0) == (y > 0)))


def train(settings: Settings, *, verbose: bool = True) -> Result:
    """micrograd's training loop, written ``opt.zero_grad(); loss.backward(); opt.step()``."""
    x, y01 = nn.datasets.make_moons(settings.points, noise=settings.noise, seed=settings.data_seed)
    y = 2 * y01 - 1  # the hinge loss wants labels ±1
    model = nn.MLP(2, [16, 16, 1], init="uniform", rng=settings.model_seed)
    params = model.parameters()
    opt = nn.SGD(params, lr=1.0)
    inputs = x.tolist()
    history = []
    for k in range(settings.steps):
        scores = [model(point)[0] for point in inputs]
        # dot(params, params) is Σ p² as one node
        loss = nn.hinge_loss(scores, y.tolist()) + settings.alpha * autodiff.dot(params, params)
        opt.zero_grad()
        loss.backward()
        opt.lr = 1.0 - 0.9 * k / settings.steps
        opt.step()
        right = sum((score.data > 0) == (label > 0) for score, label in zip(scores, y, strict=True))
        history.append(Step(k, loss.data, right / len(y), opt.lr))
        if verbose and (k % 10 == 0 or k == settings.steps - 1):
            print(f"step {k:3d}  loss {loss.data:.4f}  accuracy {right / len(y):.0%}")
    return Result(model, x, y, history, accuracy(model, x, y))


def draw_decision_boundary(result: Result, path: Path) -> bool:
    """Save the points and the model's decision regions to `path`; False if matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    h = 0.05
    x_min, y_min = result.x.min(axis=0) - 1
    x_max, y_max = result.x.max(axis=0) + 1
    grid_x, grid_y = np.meshgrid(np.arange(x_min, x_max, h), np.arange(y_min, y_max, h))
    with autodiff.no_grad():
        scores = np.array([result.model([a, b])[0].data for a, b in zip(grid_x.ravel(), grid_y.ravel(), strict=True)])
    figure, axes = plt.subplots(figsize=(6, 5))
    axes.contourf(grid_x, grid_y, (scores > 0).reshape(grid_x.shape), cmap=plt.cm.Spectral, alpha=0.8)
    axes.scatter(result.x[:, 0], result.x[:, 1], c=result.y, s=40, cmap=plt.cm.Spectral, edgecolors="k")
    axes.set_title(f"MLP(2 → 16 → 16 → 1): training accuracy {result.accuracy:.0%}")
    picture = io.BytesIO()
    figure.savefig(picture, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    atomic_write(path, picture.getvalue())
    return True


def main(argv: Sequence[str] | None = None) -> Result:
    """Parse the command line, train, print a summary and save the picture."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=Settings.steps, help="SGD steps (default %(default)s)")
    parser.add_argument("--seed", type=int, default=Settings.model_seed, help="seed of the initial weights")
    parser.add_argument("--out", type=Path, default=Path("runs/moons"),
                        help="folder for the picture of the decision boundary (default: %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    result = train(Settings(steps=args.steps, model_seed=args.seed), verbose=not args.quiet)
    seconds = time.perf_counter() - start
    print(f"{result.model}: training accuracy {result.accuracy:.0%} after {args.steps} steps in {seconds:.1f} s")
    args.out.mkdir(parents=True, exist_ok=True)
    picture = args.out / "decision_boundary.png"
    if draw_decision_boundary(result, picture):
        print(f"decision boundary saved to {picture}")
    else:
        print(f"(a picture of the decision boundary needs matplotlib, in the 'plot' extra: {install_command('plot')})")
    return result


if __name__ == "__main__":
    main()
