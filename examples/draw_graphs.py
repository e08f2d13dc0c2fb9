"""The pictures of the guide's drawing page: one neuron, a small MLP value by value, a larger one neuron by neuron.

    python3 examples/draw_graphs.py              # into runs/pictures
    python3 examples/draw_graphs.py --out docs   # remake the documentation's pictures

SVG needs no system Graphviz (the WebAssembly build runs in-process).
"""

import argparse
from pathlib import Path

import autodiff
import nn
from autodiff import Value


def neuron() -> Value:
    """tanh(x·w + b) after backward()."""
    x, w, b = Value(2.0, name="x"), Value(-3.0, name="w"), Value(6.8813735870195432, name="b")
    y = (x * w + b).tanh()
    y.backward()
    return y


def small_mlp() -> Value:
    """The squared error of an nn.MLP 2 -> 3 -> 1 on one sample, after backward()."""
    model = nn.MLP(2, [3, 1], activation="tanh", rng=0)
    loss = (model([1.0, -2.0])[0] - 0.5) ** 2
    loss.backward()
    return loss


def mlp() -> Value:
    """The mean squared error of an nn.MLP 3 -> 4 -> 4 -> 1 on 2 samples, after backward()."""
    model = nn.MLP(3, [4, 4, 1], activation="tanh", rng=0)
    samples = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5]]
    loss = nn.mse_loss([model(x)[0] for x in samples], [1.0, -1.0])
    loss.backward()
    return loss


def pictures() -> dict[str, autodiff.Drawing]:
    """The documentation's pictures by file name: top to bottom where they would be too wide for its column."""
    return {
        "neuron.svg": autodiff.draw(neuron(), legend=True),
        "small_mlp.svg": autodiff.draw(small_mlp(), rankdir="TB", legend=True),
        "mlp.svg": autodiff.draw(mlp(), rankdir="TB", collapse="neuron", color_by_grad=True, legend=True),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/pictures"),
                        help="folder for neuron.svg, small_mlp.svg and mlp.svg (default: %(default)s)")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    for name, drawing in pictures().items():
        print(f"wrote {drawing.save(out / name)}: {drawing!r}")


if __name__ == "__main__":
    main()
