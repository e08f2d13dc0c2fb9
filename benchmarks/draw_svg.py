"""How long draw() and its SVG take without a system Graphviz (the WebAssembly build).

Run from the repository root: ``PATH=/usr/bin:/bin python3 benchmarks/draw_svg.py`` (a PATH without
Graphviz's dot). Prints the one-off compile time, then per graph size the time to build the DOT
source and to lay it out as SVG.
"""

import random
import time

import autodiff
from autodiff import Value
from autodiff.pictures.render import render


def mlp_loss(sizes: tuple[int, ...], samples: int) -> Value:
    rng = random.Random(0)
    layers = [
        [([Value(rng.uniform(-1, 1), name=f"layers.{i}.neurons.{j}.w.{k}") for k in range(n_in)],
          Value(0.0, name=f"layers.{i}.neurons.{j}.b")) for j in range(n_out)]
        for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:], strict=False))
    ]
    losses = []
    for _ in range(samples):
        h = [Value(rng.uniform(-1, 1)) for _ in range(sizes[0])]
        for i, layer in enumerate(layers):
            z = [autodiff.dot(w, h) + b for w, b in layer]
            h = z if i == len(layers) - 1 else [zj.tanh() for zj in z]
        losses.append((h[0] - 1.0) ** 2)
    loss = autodiff.sum(losses)
    loss.backward()
    return loss


start = time.perf_counter()
render("digraph { a }")
print(f"first SVG of a process (compiles the WebAssembly Graphviz): {time.perf_counter() - start:.2f} s")
CASES = [
    ((3, 4, 4, 1), 1, None), ((3, 4, 4, 1), 4, None), ((3, 4, 4, 1), 4, "neuron"),
    ((3, 16, 16, 1), 4, None), ((3, 16, 16, 1), 64, "layer"),
]
for sizes, samples, collapse in CASES:
    loss = mlp_loss(sizes, samples)
    start = time.perf_counter()
    drawing = autodiff.draw(loss, collapse=collapse, max_nodes=10**6)
    built = time.perf_counter() - start
    start = time.perf_counter()
    svg = render(drawing.source)
    laid_out = time.perf_counter() - start
    nodes = drawing.values + drawing.ops + drawing.boxes
    print(f"MLP {sizes} x {samples:2} samples, collapse={collapse!s:6}: {nodes:5} nodes, "
          f"draw {built * 1000:7.1f} ms, SVG {laid_out * 1000:7.1f} ms ({len(svg) // 1024} KiB)")
