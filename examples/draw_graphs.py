"""The pictures of the README: one neuron after backward(), and a small MLP drawn neuron by neuron.

Run from the repository root: ``python examples/draw_graphs.py`` writes docs/neuron.svg and
docs/mlp.svg (without a system Graphviz, through the WebAssembly build).
"""

import random
from pathlib import Path

import autodiff
from autodiff import Value

docs = Path(__file__).resolve().parents[1] / "docs"
docs.mkdir(exist_ok=True)

x, w, b = Value(2.0, name="x"), Value(-3.0, name="w"), Value(6.8813735870195432, name="b")
y = (x * w + b).tanh()
y.backward()
autodiff.draw(y).save(docs / "neuron.svg")

# an MLP 3 -> 4 -> 4 -> 1 over 4 samples, its parameters named as nn names them
rng = random.Random(0)
sizes = (3, 4, 4, 1)
layers = [
    [
        ([Value(rng.uniform(-1, 1), name=f"layers.{i}.neurons.{j}.w.{k}") for k in range(n_in)],
         Value(0.0, name=f"layers.{i}.neurons.{j}.b"))
        for j in range(n_out)
    ]
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:], strict=False))
]
losses = []
for target in (1.0, -1.0, -1.0, 1.0):
    h: list[Value] = [Value(rng.uniform(-1, 1)) for _ in range(sizes[0])]
    for i, layer in enumerate(layers):
        z = [autodiff.dot(ws, h) + bias for ws, bias in layer]
        h = z if i == len(layers) - 1 else [zj.tanh() for zj in z]
    losses.append((h[0] - target) ** 2)
loss = autodiff.sum(losses)
loss.backward()
drawing = autodiff.draw(loss, collapse="neuron", color_by_grad=True)
drawing.save(docs / "mlp.svg")
print(f"wrote {docs / 'neuron.svg'} and {docs / 'mlp.svg'} ({drawing!r}; uncollapsed it has "
      f"{len(autodiff.topological_order(loss))} values)")
