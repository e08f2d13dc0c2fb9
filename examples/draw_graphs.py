"""The pictures of the README: one neuron after backward(), an nn.MLP drawn neuron by neuron, its explorer page.

Run from the repository root: ``python examples/draw_graphs.py`` writes docs/neuron.svg and
docs/mlp.svg (without a system Graphviz, through the WebAssembly build).
"""

from pathlib import Path

import autodiff
import nn
from autodiff import Value

docs = Path(__file__).resolve().parents[1] / "docs"
docs.mkdir(exist_ok=True)

x, w, b = Value(2.0, name="x"), Value(-3.0, name="w"), Value(6.8813735870195432, name="b")
y = (x * w + b).tanh()
y.backward()
autodiff.draw(y).save(docs / "neuron.svg")

# an nn.MLP 3 -> 4 -> 4 -> 1 and its mean squared error on 4 samples, drawn neuron by neuron
model = nn.MLP(3, [4, 4, 1], activation="tanh", rng=0)
samples = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
loss = nn.mse_loss([model(x)[0] for x in samples], [1.0, -1.0, -1.0, 1.0])
loss.backward()
drawing = autodiff.draw(loss, collapse="neuron", color_by_grad=True)
drawing.save(docs / "mlp.svg")
print(f"wrote {docs / 'neuron.svg'} and {docs / 'mlp.svg'} ({drawing!r}; uncollapsed it has "
      f"{len(autodiff.topological_order(loss))} values)")

# the explorer page of the same loss (docs/explorer.png is a screenshot the browser tests take of the neuron's page)
for collapse in ("neuron", None):
    page = autodiff.explore(loss, collapse=collapse, max_nodes=500)
    print(f"explorer page, collapse={collapse!r}: {len(page.html.encode()) / 1000:.0f} KB ({page!r})")
