"""W1: one training step of micrograd's demo, written for each engine from the same weights.

MLP(2, [16, 16, 1]) on 100 two-moons points, SVM hinge loss + 1e-4 · L2, forward, zero_grad,
backward and an SGD update. Every variant starts from the same initial weights; each keeps its
own copy of them, so the timed steps train each variant independently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from micrograd import engine as mg_engine
from micrograd import nn as mg_nn

import autodiff
import nn
from autodiff import Value

ALPHA = 1e-4
LEARNING_RATE = 0.1


class _OpForOpMLP:
    """Our `Value`s wired exactly as micrograd's `nn.MLP` wires its own: one node per op."""

    def __init__(self, weights: Sequence[float], sizes: Sequence[int]):
        values = iter([Value(w) for w in weights])
        self.layers = [
            [[next(values) for _ in range(nin)] + [next(values)] for _ in range(nout)]
            for nin, nout in zip(sizes[:-1], sizes[1:], strict=True)
        ]
        self.params = [p for layer in self.layers for neuron in layer for p in neuron]

    def __call__(self, x: list[Value]) -> Value:
        for depth, layer in enumerate(self.layers):
            out = []
            for neuron in layer:
                act = sum((wi * xi for wi, xi in zip(neuron[:-1], x, strict=True)), neuron[-1])
                out.append(act.relu() if depth < len(self.layers) - 1 else act)
            x = out
        return x[0]


def _micrograd_style_step(
    value: Callable[[float], object],
    model: Callable[[list[object]], object],
    params: list,
    x: np.ndarray,
    y: np.ndarray,
) -> tuple[float, list[float]]:
    inputs = [list(map(value, row)) for row in x.tolist()]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y.tolist(), scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in params)
    total = data_loss + reg_loss
    for p in params:
        p.grad = 0.0
    total.backward()
    grads = [p.grad for p in params]
    for p in params:
        p.data -= LEARNING_RATE * p.grad
    return total.data, grads


class LeanNumpyStep:
    """The step as the leanest numpy can write it: the floor for any engine on this model.

    The parameters live in one flat array, in `nn.MLP`'s order (each neuron's weights, then its
    bias), seen as one ``(n_out, n_in + 1)`` matrix per layer; the gradients likewise. A step is a
    matrix product per layer forward and two back, the hinge loss, the L2 term and the SGD update,
    all on arrays.
    """

    def __init__(self, weights: Sequence[float], sizes: Sequence[int], x: np.ndarray, y: np.ndarray):
        self.theta = np.array(weights, dtype=np.float64)
        self.grad = np.zeros_like(self.theta)
        self.x, self.y = x, y
        self.layers, self.grads = [], []
        start = 0
        for nin, nout in zip(sizes[:-1], sizes[1:], strict=True):
            end = start + nout * (nin + 1)
            self.layers.append(self.theta[start:end].reshape(nout, nin + 1))
            self.grads.append(self.grad[start:end].reshape(nout, nin + 1))
            start = end

    def __call__(self) -> tuple[float, np.ndarray]:
        """One step; returns the loss and the gradient (a flat array in parameter order)."""
        outputs = [self.x]
        for depth, layer in enumerate(self.layers):
            pre = outputs[-1] @ layer[:, :-1].T + layer[:, -1]
            outputs.append(np.maximum(pre, 0.0) if depth < len(self.layers) - 1 else pre)
        margins = 1.0 - self.y * outputs[-1][:, 0]
        n = len(self.y)
        loss = np.maximum(margins, 0.0).sum() / n + ALPHA * np.dot(self.theta, self.theta)
        upstream = ((margins > 0) * (-self.y / n))[:, None]
        for depth in range(len(self.layers) - 1, -1, -1):
            layer, grad = self.layers[depth], self.grads[depth]
            if depth < len(self.layers) - 1:
                upstream = upstream * (outputs[depth + 1] > 0)
            grad[:, :-1] = upstream.T @ outputs[depth]
            grad[:, -1] = upstream.sum(axis=0)
            if depth:
                upstream = upstream @ layer[:, :-1]
        self.grad += 2.0 * ALPHA * self.theta
        self.theta -= LEARNING_RATE * self.grad
        return float(loss), self.grad


class MoonsStep:
    """The six variants of W1 as zero-argument callables, plus the agreement check."""

    def __init__(self, points: int = 100, seed: int = 1):
        self.x, labels = nn.datasets.make_moons(points, noise=0.1, seed=seed)
        self.y = 2.0 * labels - 1.0
        template = nn.MLP(2, [16, 16, 1], rng=seed, init="uniform")
        self.weights = [p.data for p in template.parameters()]
        self.samples = np.column_stack([self.x, self.y])

        self.mg_model = mg_nn.MLP(2, [16, 16, 1])
        for p, w in zip(self.mg_model.parameters(), self.weights, strict=True):
            p.data = w
        self.op_model = _OpForOpMLP(self.weights, [2, 16, 16, 1])
        self.fused_model = self._copy(template)
        self.fused_opt = nn.SGD(self.fused_model.parameters(), lr=LEARNING_RATE)
        self.compiled_model = self._copy(template)
        self.compiled_params = self.compiled_model.parameters()
        self.compiled_opt = nn.SGD(self.compiled_params, lr=LEARNING_RATE)
        self.compiled_theta = np.array(self.weights)
        scale = 1.0 / points
        self.compiled_loss = autodiff.compile(
            lambda x0, x1, label: (1 - label * self.compiled_model([x0, x1])[0]).relu() * scale,
            params=self.compiled_params,
        )
        self.network = nn.reference.network_of(template)
        self.lean_numpy = LeanNumpyStep(self.weights, [2, 16, 16, 1], self.x, self.y)

    @staticmethod
    def _copy(template: nn.MLP) -> nn.MLP:
        model = nn.MLP(2, [16, 16, 1], rng=0, init="uniform")
        model.load_state_dict(template.state_dict())
        return model

    def micrograd(self) -> tuple[float, list[float]]:
        """micrograd 0.1.0's own step."""
        return _micrograd_style_step(mg_engine.Value, self.mg_model, self.mg_model.parameters(), self.x, self.y)

    def op_for_op(self) -> tuple[float, list[float]]:
        """W1(a): our Values, built op for op as micrograd builds its graph."""
        return _micrograd_style_step(Value, self.op_model, self.op_model.params, self.x, self.y)

    def fused(self) -> tuple[float, list[float]]:
        """W1(b): `nn.MLP` as shipped, one `dot` node per neuron, `nn.hinge_loss`, `nn.SGD`."""
        params = self.fused_model.parameters()
        scores = [self.fused_model(row)[0] for row in self.x.tolist()]
        loss = nn.hinge_loss(scores, self.y.tolist()) + ALPHA * autodiff.dot(params, params)
        self.fused_opt.zero_grad()
        loss.backward()
        grads = [p.grad for p in params]
        self.fused_opt.step()
        return loss.data, grads

    def compiled(self) -> tuple[float, np.ndarray]:
        """W1(c): the same `nn.MLP` compiled once (`autodiff.compile`), its parameters in one array.

        The batch's loss and gradient come from the compiled function called with ``params=``;
        the L2 term and the SGD step (`nn.SGD.update`) run on the parameter array.
        """
        theta = self.compiled_theta
        result = self.compiled_loss.value_and_grad(self.samples, params=theta)
        grads = result.params + (2.0 * ALPHA) * theta
        loss = float(result.values.sum()) + ALPHA * float(np.dot(theta, theta))
        self.compiled_opt.update(theta, grads)
        return loss, grads

    def numpy_floor(self) -> tuple[float, list[float]]:
        """W1(d): the step as numpy matrix backprop (`nn.reference`), the floor for this model."""
        loss, gradients = nn.reference.hinge_l2_loss_and_gradients(self.network, self.x, self.y, ALPHA)
        for (w, b), (gw, gb) in zip(self.network.layers, gradients, strict=True):
            w -= LEARNING_RATE * gw
            b -= LEARNING_RATE * gb
        return loss, [g for gw, gb in gradients for row, bias in zip(gw, gb, strict=True) for g in (*row, bias)]

    def check_agreement(self, tolerance: float) -> None:
        """Run one step of each variant from the same weights; losses and gradients must agree."""
        reference_loss, reference_grads = self.micrograd()
        for name, step in (
            ("op for op", self.op_for_op),
            ("fused", self.fused),
            ("compiled", self.compiled),
            ("numpy", self.numpy_floor),
            ("lean numpy", self.lean_numpy),
        ):
            loss, grads = step()
            worst = max(abs(a - b) for a, b in zip(grads, reference_grads, strict=True))
            if abs(loss - reference_loss) > tolerance or worst > tolerance:
                message = f"W1 {name}: loss {loss!r} vs {reference_loss!r}, worst gradient error {worst:.3g}"
                raise AssertionError(message)
