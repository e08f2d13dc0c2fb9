"""The lecture's network: neurons σ(wᵀx + b), layers of neurons, and a multilayer perceptron."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import cast

import autodiff
from autodiff import OPS, CompiledFunction, Value, dot
from autodiff.core.value import variadic_node
from nn.activations import Activation, activation_named
from nn.checks import is_int, is_real
from nn.init import as_rng, init_named, weight_bound
from nn.module import Module, numbered_parameters

__all__ = ["MLP", "Layer", "Neuron"]

Inputs = Sequence[Value | float]
"""What a neuron, layer or MLP takes: a sequence of numbers or Values (a list, tuple or 1-D array)."""


class Neuron(Module):
    """One neuron: σ(wᵀx + b) for a sequence x of `nin` numbers or Values.

    `w` holds the `nin` weights and `b` the bias, all `Value` leaves; wᵀx is one fused
    `autodiff.dot` node. `activation` is one of `nn.ACTIVATIONS`. The weights are drawn from
    `init` (see `nn.init`; None picks the activation's default) with `rng` (a `random.Random`, an
    int seed or None); the bias starts at 0. `fan_out` is the size of the layer the neuron
    belongs to, which Glorot's (``"xavier"``) initialisation needs.
    """

    def __init__(
        self,
        nin: int,
        *,
        activation: str = "relu",
        init: str | None = None,
        rng: random.Random | int | None = None,
        fan_out: int = 1,
    ) -> None:
        self.nin = _positive_int(nin, "Neuron nin")
        self._activation = activation_named(activation)
        self.init = None if init is None else init_named(init)
        generator = as_rng(rng)
        bound = weight_bound(init or self._activation.init, self.nin, _positive_int(fan_out, "Neuron fan_out"),
                             self._activation.gain)
        self.w = [Value(generator.uniform(-bound, bound)) for _ in range(self.nin)]
        self.b = Value(0.0)
        self.name_parameters()

    @property
    def activation(self) -> str:
        """The name of the activation function σ."""
        return self._activation.name

    def forward(self, x: Inputs) -> Value:
        """σ(wᵀx + b) as a `Value`; `x` must hold `nin` numbers or Values (one sample, not a batch)."""
        return self._output(*_checked_inputs(self, x, self.nin))

    def _output(self, x: Inputs, kind: str) -> Value:
        # forward without the input check, for a layer that has checked x once for all its neurons;
        # the same node autodiff.dot makes, without its per-call type checks
        if kind == _VALUES:
            weighted_sum = variadic_node(_DOT, self.w + cast("list[Value]", x), None)
        elif kind == _NUMBERS:
            weighted_sum = variadic_node(_LINEAR, self.w, x)
        else:
            weighted_sum = dot(self.w, x)
        pre_activation = weighted_sum + self.b
        apply = self._activation.apply
        return pre_activation if apply is None else apply(pre_activation)

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``w.0`` … ``w.{nin−1}``, then ``b``."""
        return [*((f"w.{k}", w) for k, w in enumerate(self.w)), ("b", self.b)]

    def __repr__(self) -> str:
        return f"Neuron({self.nin}{_options(self._activation, self.init)})"


class Layer(Module):
    """`nout` neurons reading the same `nin` inputs; calling it returns a list of `nout` Values.

    `neurons` holds the `Neuron`s, all with the same `activation` and `init`, their weights
    drawn in order from one generator made from `rng`.
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        *,
        activation: str = "relu",
        init: str | None = None,
        rng: random.Random | int | None = None,
    ) -> None:
        self.nin = _positive_int(nin, "Layer nin")
        self.nout = _positive_int(nout, "Layer nout")
        self._activation = activation_named(activation)
        self.init = None if init is None else init_named(init)
        generator = as_rng(rng)
        self.neurons = [
            Neuron(self.nin, activation=activation, init=init, rng=generator, fan_out=self.nout)
            for _ in range(self.nout)
        ]
        self.name_parameters()

    @property
    def activation(self) -> str:
        """The name of the activation function σ of every neuron."""
        return self._activation.name

    def forward(self, x: Inputs) -> list[Value]:
        """Each neuron's output, as a list of `nout` Values (also when `nout` is 1), for one sample `x`."""
        return self._outputs(*_checked_inputs(self, x, self.nin))

    def _outputs(self, x: Inputs, kind: str) -> list[Value]:
        # forward without the input check: inside an MLP, x is the previous layer's Values
        return [neuron._output(x, kind) for neuron in self.neurons]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``neurons.{j}.w.{k}`` and ``neurons.{j}.b``, neuron by neuron."""
        return numbered_parameters("neurons", self.neurons)

    def __repr__(self) -> str:
        return f"Layer({self.nin} → {self.nout}{_options(self._activation, self.init)})"


class MLP(Module):
    """A multilayer perceptron: y₀ = x, y_l = σ(W_l y_{l−1} + b_l), the last layer linear.

    ``MLP(2, [16, 16, 1])`` has two hidden layers of 16 neurons with `activation` and a linear
    output layer of 1. Calling it returns a list of ``nouts[-1]`` Values (also for one output).
    `layers` holds the `Layer`s; all weights are drawn in order from one generator made from
    `rng`, so the same seed gives the same network.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        *,
        activation: str = "relu",
        init: str | None = None,
        rng: random.Random | int | None = None,
    ) -> None:
        self.nin = _positive_int(nin, "MLP nin")
        if isinstance(nouts, int) or not isinstance(nouts, Sequence) or not nouts:
            raise TypeError(f"MLP nouts must be a non-empty list of layer sizes such as [16, 16, 1], got {nouts!r}")
        self.nouts = tuple(_positive_int(n, "MLP layer size") for n in nouts)
        self._activation = activation_named(activation)
        self.init = None if init is None else init_named(init)
        generator = as_rng(rng)
        sizes = (self.nin, *self.nouts)
        last = len(self.nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation="linear" if i == last else activation, init=init, rng=generator)
            for i in range(len(self.nouts))
        ]
        self.name_parameters()

    @property
    def activation(self) -> str:
        """The name of the activation function σ of the hidden layers."""
        return self._activation.name

    def compile(self, loss: Callable[..., Value] | None = None) -> CompiledFunction:
        """The network traced once and replayed on numpy batches (see `autodiff.compile`).

        Without `loss`, the result maps inputs of shape ``(batch, nin)`` to outputs of shape
        ``(batch, nouts[-1])``. With ``loss(outputs, *targets) -> Value``, a per-sample loss, it
        takes rows of ``nin`` inputs followed by the targets, and ``compiled.backward(rows,
        weights)`` adds the batch's gradients into the parameters' ``.grad``, as
        ``loss.backward()`` does. The weights are read at every call, so an optimizer may update
        them in between; the architecture is fixed when traced.
        """
        nin = self.nin
        if loss is None:
            return autodiff.compile(lambda *x: self(x), params=self.parameters())
        return autodiff.compile(lambda *row: loss(self(row[:nin]), *row[nin:]), params=self.parameters())

    def forward(self, x: Inputs) -> list[Value]:
        """The output layer's Values, as a list of ``nouts[-1]`` (also when it is 1), for one sample `x`.

        For a batch (an array of shape ``(batch, nin)``), use `compile`.
        """
        x, kind = _checked_inputs(self, x, self.nin)
        for layer in self.layers:
            x = outputs = layer._outputs(x, kind)
            kind = _VALUES
        return outputs

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``layers.{i}.neurons.{j}.w.{k}`` and ``layers.{i}.neurons.{j}.b``, layer by layer."""
        return numbered_parameters("layers", self.layers)

    def __repr__(self) -> str:
        sizes = " → ".join(map(str, (self.nin, *self.nouts)))
        return f"MLP({sizes}{_options(self._activation, self.init)})"


def _positive_int(n: object, what: str) -> int:
    if not is_int(n):
        raise TypeError(f"{what} must be an int, got {type(n).__name__} {n!r:.60}")
    if n < 1:
        raise ValueError(f"{what} must be at least 1, got {n}")
    return n


def _checked_inputs(module: Module, x: object, nin: int) -> tuple[Inputs, str]:
    """`x` as one sample for `module`, and its kind: all Values, all numbers (as floats), or mixed.

    Checked at the module's entry, so a batch or a string fails here with a message about the
    module, not deep inside autodiff.dot.
    """
    try:
        n = len(x)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{module!r} takes a sequence of {nin} numbers or Values, got {type(x).__name__}") from None
    batches = "for a batch, call it on each row or use MLP.compile(), which runs arrays of shape (batch, nin)"
    if getattr(x, "ndim", 1) != 1:
        raise ValueError(f"{module!r} takes one sample, a sequence of {nin} numbers or Values, "
                         f"got an array of shape {getattr(x, 'shape', '?')}; {batches}")
    items = cast("Sequence[Value | float]", x)  # len() worked: a sequence, or at least a sized iterable
    types = set(map(type, items))
    if not types <= _PLAIN_INPUTS:
        for i, xi in enumerate(items):
            if isinstance(xi, Value) or is_real(xi):
                continue
            if hasattr(xi, "__len__") and not isinstance(xi, str):
                raise ValueError(f"{module!r} takes one sample, a sequence of {nin} numbers or Values, got {n} rows "
                                 f"(x[{i}] is {type(xi).__name__} {xi!r:.40}); {batches}")
            raise TypeError(f"{module!r} takes a sequence of {nin} numbers or Values, "
                            f"but x[{i}] is {type(xi).__name__} {xi!r:.40}")
    if n != nin:
        raise ValueError(f"{module!r} takes {nin} inputs, got {n}")
    if types == _JUST_VALUES:
        return list(items), _VALUES
    if not any(issubclass(t, Value) for t in types):  # a subclass of Value must keep its gradient
        return tuple(map(float, items)), _NUMBERS
    return items, _MIXED


_VALUES, _NUMBERS, _MIXED = "values", "numbers", "mixed"
_JUST_VALUES = {Value}
_DOT, _LINEAR = OPS["dot"], OPS["linear"]
_PLAIN_INPUTS = {float, int, Value}


def _options(activation: Activation, init: str | None) -> str:
    return f", activation={activation.name}" + (f", init={init}" if init is not None else "")
