"""Explorer pages (`autodiff.explore`) of the documentation's neuron and of an MLP loss, with their sizes.

    python3 examples/explorer_pages.py              # into runs/pages
    python3 examples/explorer_pages.py --out /tmp   # anywhere else

The MLP is nn.MLP(3, [4, 4, 1]) with its mean squared error on 4 samples: 155 values, the size of
graph the page is meant to stay under 150 KB for. Open a page in any browser, offline.
"""

import argparse
from pathlib import Path

import autodiff
import nn
from autodiff import Value


def neuron() -> Value:
    """tanh(x·w + b), the documentation's neuron."""
    x, w, b = Value(2.0, name="x"), Value(-3.0, name="w"), Value(6.8813735870195432, name="b")
    return (x * w + b).tanh()


def mlp_loss() -> Value:
    """The mean squared error of an nn.MLP 3 -> 4 -> 4 -> 1 on 4 samples: 155 values."""
    model = nn.MLP(3, [4, 4, 1], activation="tanh", rng=0)
    samples = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    return nn.mse_loss([model(x)[0] for x in samples], [1.0, -1.0, -1.0, 1.0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/pages"),
                        help="folder for the pages (default: %(default)s)")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    pages = {
        "neuron.html": autodiff.explore(neuron()),
        "mlp_by_neuron.html": autodiff.explore(mlp_loss(), collapse="neuron"),
        "mlp.html": autodiff.explore(mlp_loss(), max_nodes=500),
    }
    for name, page in pages.items():
        print(f"wrote {page.save(out / name)}: {len(page.html.encode()) / 1000:.0f} KB, {page!r}")


if __name__ == "__main__":
    main()
