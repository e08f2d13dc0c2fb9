"""The steps a compiled program runs over its numpy buffers: op groups, matrix products, fused chains.

Each step reads and writes rows of the ``(rows, batch)`` value matrix (a slice where the rows are
contiguous, so most reads are views) and, going back, adds into the same rows of the gradient
matrix and into the leaf gradient vector. Every rule comes from the op table on the `NUMPY`
backend: no op is written twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from autodiff.core.backends import NUMPY
from autodiff.core.ops import Op
from autodiff.core.value import Value, apply

__all__ = ["Chain", "Group", "MatMul", "Rows", "Step", "rows_of"]

Array = NDArray[np.float64]
Index = NDArray[np.intp]
Rows = slice | Index
"""Rows of the value matrix: a slice where they are contiguous and ascending, else an index array."""


def rows_of(indices: Sequence[int]) -> Rows:
    """`indices` as a slice when they are contiguous and ascending, else as an index array."""
    first = indices[0]
    if list(indices) == list(range(first, first + len(indices))):
        return slice(first, first + len(indices))
    return np.array(indices, dtype=np.intp)


def _is_unique(rows: Rows) -> bool:
    return isinstance(rows, slice) or len(np.unique(rows)) == len(rows)


def _times(partial: Any, gradient: Array) -> Any:
    """``partial * gradient``, skipping the product for the partial 1 of sums."""
    return gradient if type(partial) is float and partial == 1.0 else partial * gradient


def _add_into(target: Array, rows: Rows, contribution: Any, unique: bool) -> None:
    """``target[rows] += contribution``, also where `rows` names a row more than once."""
    if unique or isinstance(rows, slice):
        target[rows] += contribution
    else:
        np.add.at(target, rows, np.broadcast_to(contribution, target[rows].shape))


class Group:
    """Nodes of one level with the same op: one vectorised call over all of them and the whole batch.

    `inputs` holds the rows of each input position; `private` says that each node has a single
    reader, so a fused chain may pass its gradient on without storing it.
    """

    def __init__(self, op: Op, arg: Any, out: Rows, inputs: list[Rows], node_args: list[Any], private: bool):
        self.op, self.arg, self.out, self.inputs, self.private = op, arg, out, inputs, private
        self.node_args = node_args  # each node's own argument, to re-run one sample as the Value graph would
        self.unique = [_is_unique(rows) for rows in inputs]
        self.size = len(node_args)

    def describe(self) -> str:
        """The step in a few words, e.g. ``group mul ×16``."""
        return f"group {self.op.name} ×{self.size}"

    def read(self, values: Array) -> list[Array]:
        """Each input position's rows, shape ``(size, batch)`` each."""
        return [values[rows] for rows in self.inputs]

    def apply(self, inputs: list[Array]) -> Any:
        """The op's numpy forward rule on `inputs`; on a floating-point error, what the Value graph raises."""
        try:
            return self._forward(inputs)
        except FloatingPointError:
            return self._forward_as_the_value_graph(inputs)

    def forward(self, values: Array) -> None:
        """Compute the group's rows of `values`."""
        values[self.out] = self.apply(self.read(values))

    def partials(self, values: Array, inputs: list[Array]) -> Sequence[Any]:
        """The op's local derivatives, one per input position (numbers or arrays)."""
        return self.op.partials_of(NUMPY, inputs, values[self.out], self.arg)

    def backward(self, values: Array, grads: Array) -> None:
        """Add the group's contributions to its inputs' gradients."""
        upstream = grads[self.out]
        partials = self.partials(values, self.read(values))
        for rows, unique, partial in zip(self.inputs, self.unique, partials, strict=True):
            _add_into(grads, rows, _times(partial, upstream), unique)

    def _forward(self, inputs: list[Array]) -> Any:
        return self.op.forward_of(NUMPY, inputs, self.arg)

    def _forward_as_the_value_graph(self, inputs: list[Array]) -> Array:
        """The outputs after numpy signalled an error: raise what the Value graph would raise.

        Each non-finite result is recomputed on floats by the Value graph's own path, sample by
        sample; the first exception is raised again naming its sample. Where floats give inf or
        NaN without raising (a product that overflows, inf − inf), numpy's result stands.
        """
        with np.errstate(all="ignore"):
            out = np.broadcast_to(self._forward(inputs), inputs[0].shape)
        finite = np.isfinite(out)
        for sample in np.flatnonzero(~finite.all(axis=0)).tolist():
            for position in np.flatnonzero(~finite[:, sample]).tolist():
                floats = [float(x[position, sample]) for x in inputs]
                try:
                    apply(self.op, *[Value(x) for x in floats], arg=self.node_args[position])
                except (ArithmeticError, ValueError) as error:
                    raise type(error)(f"compiled replay, sample {sample} of the batch: {error}") from None
        return out


class MatMul:
    """A layer of ``dot``/``linear`` nodes: leaf weights (or constant ones) times one shared vector.

    Forward ``out = W @ x``; backward ``grad x += Wᵀ @ g`` and ``grad W += g @ xᵀ``, where the
    gradient rows `g` already carry each sample's weight, so the sum over the batch is inside the
    product. `weights` indexes the program's leaf vector, shape ``(size, n)``; weights stored
    neuron after neuron (`nn.MLP`'s order) are read and written through a view of it, others
    gathered. `constant` is W itself for ``linear`` nodes, whose coefficients are constants.
    """

    def __init__(self, out: slice, x: Rows, weights: Index | Array, constant: bool, leaves: Array,
                 leaf_grads: Array) -> None:
        self.out, self.x, self.shape = out, x, weights.shape
        self.leaves, self.leaf_grads = leaves, leaf_grads
        self.x_unique = _is_unique(x)
        self.w_grad: Array | None = None
        self.gather: Index | None = None
        if constant:
            self.w = np.asarray(weights, dtype=np.float64)
            return
        index = np.asarray(weights, dtype=np.intp)
        view = _strided(index, len(leaves))
        if view is None:
            self.gather, self.w = index, np.empty(self.shape)
            self.unique_weights = len(np.unique(index)) == index.size
        else:
            self.w, self.w_grad = view(leaves), view(leaf_grads)

    def describe(self) -> str:
        """The step in a few words, e.g. ``matmul 16×2``."""
        return f"matmul {self.shape[0]}×{self.shape[1]}"

    def forward(self, values: Array) -> None:
        """Compute the layer's rows of `values`."""
        if self.gather is not None:
            np.take(self.leaves, self.gather, out=self.w)
        np.matmul(self.w, values[self.x], out=values[self.out])

    def backward(self, values: Array, grads: Array) -> None:
        """Add the layer's contributions to its input vector's and its weights' gradients."""
        upstream = grads[self.out]
        _add_into(grads, self.x, self.w.T @ upstream, self.x_unique)
        if self.w_grad is not None:
            self.w_grad += upstream @ values[self.x].T
        elif self.gather is not None:
            _add_into(self.leaf_grads, self.gather, upstream @ values[self.x].T, self.unique_weights)


def _strided(weights: Index, length: int) -> Callable[[Array], Array] | None:
    """A view maker for W when ``weights[i, j] == start + i · stride + j`` within `length`, else None."""
    rows, n = weights.shape
    start = int(weights[0, 0])
    stride = int(weights[1, 0]) - start if rows > 1 else n
    expected = start + stride * np.arange(rows)[:, None] + np.arange(n)[None, :]
    if stride < n or start + rows * stride > length or not np.array_equal(weights, expected):
        return None
    return lambda vector: vector[start:start + rows * stride].reshape(rows, stride)[:, :n]


class Chain:
    """Elementwise groups run as one step, each link consuming the whole block the one before wrote.

    The links after the first read nothing else but inputs and leaves (the bias of ``x + b``), so
    the whole chain can run where its first link stands. `main[i]` is the input position through which
    link i reads the link before. Going back, the gradient flows down the chain and is only
    stored in the rows of links whose outputs have other readers (`Group.private`).
    """

    def __init__(self, links: list[Group], main: list[int]) -> None:
        self.links, self.main = links, main

    def describe(self) -> str:
        """The step in a few words, e.g. ``chain add → relu ×16``."""
        return f"chain {' → '.join(link.op.name for link in self.links)} ×{self.links[0].size}"

    def forward(self, values: Array) -> None:
        """Compute every link's rows of `values`, handing each result to the next link directly."""
        result = None
        for link, main in zip(self.links, self.main, strict=True):
            inputs = link.read(values)
            if result is not None:
                inputs[main] = result
            result = link.apply(inputs)
            values[link.out] = result

    def backward(self, values: Array, grads: Array) -> None:
        """Send the gradient down the chain, adding what the leaves and the chain's input receive."""
        last = len(self.links) - 1
        flowing: Any = grads[self.links[last].out]
        for index in range(last, -1, -1):
            link, main = self.links[index], self.main[index]
            if index < last and not link.private:
                grads[link.out] += flowing
                flowing = grads[link.out]
            partials = link.partials(values, link.read(values))
            for position, (rows, unique, partial) in enumerate(zip(link.inputs, link.unique, partials, strict=True)):
                if position != main or index == 0:
                    _add_into(grads, rows, _times(partial, flowing), unique)
            if index:
                flowing = _times(partials[main], flowing)


Step = Group | MatMul | Chain
"""One step of a compiled program."""
