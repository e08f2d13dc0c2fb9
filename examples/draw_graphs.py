"""The pictures of the README: one neuron after backward(), and an nn.MLP drawn neuron by neuron.

Also prints the size of the MLP's explorer page (`autodiff.explore`), collapsed and not.

    python examples/draw_graphs.py              # into runs/pictures
    python examples/draw_graphs.py --out docs   # remake the README's pictures

SVG needs no system Graphviz (the WebAssembly build runs in-process).
"""

import argparse
from pathlib import Path

import autodiff
import nn
from autodiff import Value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/pictures"),
                        help="folder for neuron.svg and mlp.svg (default: %(default)s)")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)

    x, w, b = Value(2.0, name="x"), Value(-3.0, name="w"), Value(6.8813735870195432, name="b")
    y = (x * w + b).tanh()
    y.backward()
    autodiff.draw(y).save(out / "neuron.svg")

    # an nn.MLP 3 -> 4 -> 4 -> 1 and its mean squared error on 4 samples, drawn neuron by neuron
    model = nn.MLP(3, [4, 4, 1], activation="tanh", rng=0)
    samples = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    loss = nn.mse_loss([model(x)[0] for x in samples], [1.0, -1.0, -1.0, 1.0])
    loss.backward()
    drawing = autodiff.draw(loss, collapse="neuron", color_by_grad=True)
    drawing.save(out / "mlp.svg")
    print(f"wrote {out / 'neuron.svg'} and {out / 'mlp.svg'} ({drawing!r}; uncollapsed it has "
          f"{len(autodiff.topological_order(loss))} values)")
    for collapse in ("neuron", None):
        page = autodiff.explore(loss, collapse=collapse, max_nodes=500)
        print(f"explorer page, collapse={collapse!r}: {len(page.html.encode()) / 1000:.0f} KB ({page!r})")


if __name__ == "__main__":
    main()
