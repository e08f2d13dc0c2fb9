"""A traced graph compiled into steps over numpy buffers: matrix products, fused chains, op groups.

The graph of one sample becomes the rows of a ``(rows, batch)`` value matrix: the inputs first,
then the leaves that ops read (parameters and captured constants, broadcast over the batch), then
the computed nodes, step after step, so that most steps read and write contiguous blocks of rows
(views, not copies). Nodes are scheduled in *levels* (one more than their inputs' highest), and
the nodes of one level that share an op become one step:

- `MatMul`: ``dot`` (or ``linear``) nodes whose weights are leaves and whose other half is one
  shared vector of per-sample values, a layer of neurons: one matrix product forward, two back.
  Recognised from the graph alone, so a hand-built network compiles as `nn.MLP` does.
- `Chain`: elementwise groups that each consume the whole block the one before wrote, in order
  (``+ b`` then ``relu``): one step, through which the gradient flows without being stored where
  only the next link reads it.
- `Group`: any other nodes of one op: one vectorised call of the op's numpy rule.

The buffers are allocated once per program (the leaf vector and its gradient) and once per
batch size (the value and gradient matrices), and reused by every call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from autodiff.compiled.steps import Chain, Group, MatMul, Rows, Step, rows_of
from autodiff.core.graph import topological_order
from autodiff.core.ops import OPS, Op
from autodiff.core.value import Value

__all__ = ["Buffers", "Program"]

Array = NDArray[np.float64]
_DOT, _LINEAR = OPS["dot"], OPS["linear"]
_BATCH_SIZES_KEPT = 8
"""Buffers are kept for this many batch sizes at most."""


class Buffers:
    """The value and gradient matrices of one batch size, reused by every call."""

    def __init__(self, n_rows: int, batch: int) -> None:
        self.values = np.zeros((n_rows, batch))
        self.grads = np.zeros((n_rows, batch))


class Program:
    """A traced graph as steps over a ``(rows, batch)`` value matrix, with its leaves in one vector.

    The leaf vector holds the parameters (in `params` order), then the captured constants; the
    leaves that element-wise steps read also get rows of the value matrix (`leaf_rows`, filled
    from the vector at each call), while matrix products read their weights from the vector.
    """

    def __init__(self, outputs: Sequence[Value], placeholders: Sequence[Value], params: Sequence[Value]) -> None:
        order: list[Value] = []
        seen: set[Value] = set()
        for output in outputs:
            for node in topological_order(output):
                if node not in seen:
                    seen.add(node)
                    order.append(node)
        self.ops = {n.op for n in order if n.op is not None}
        self.n_inputs, self.n_params = len(placeholders), len(params)
        is_input = {v: i for i, v in enumerate(placeholders)}
        leaf_index: dict[Value, int] = {p: i for i, p in enumerate(params)}
        constants = [n for n in order if n.op is None and n not in is_input and n not in leaf_index]
        for node in constants:
            leaf_index[node] = len(leaf_index)
        self.leaves = np.zeros(len(leaf_index))
        self.leaves[self.n_params:] = [n.data for n in constants]
        self.leaf_grads = np.zeros(len(leaf_index))

        readers: dict[Value, int] = defaultdict(int)
        for node in order:
            for parent in node.parents:
                readers[parent] += 1
        for output in outputs:
            readers[output] += 1  # its seeded gradient is one more reader

        # number the nodes step by step; a group's nodes follow their first computed input, so
        # that a group reading a whole block reads it as one slice, and leaves in first-read order
        node_number: dict[Value, int] = {}
        leaf_number: dict[Value, int] = {}
        planned: list[Planned] = []
        for (_, op, _, _), nodes in sorted(_grouped(order).items(), key=lambda item: item[0][0]):
            for layer, members, shared in _split(op, nodes, leaf_index):
                if layer and op is _DOT:  # in the order of their weights, so W is a view of the leaves
                    members.sort(key=lambda n: [leaf_index[w] for w in _weights_of(n, shared)])
                if not layer:
                    members.sort(key=lambda n: [node_number.get(p, -1) for p in n.parents])
                    for parent in (p for n in members for p in n.parents):
                        if parent in leaf_index and parent not in leaf_number:
                            leaf_number[parent] = len(leaf_number)
                for node in members:
                    node_number[node] = len(node_number)
                planned.append((layer, members, shared))
        for output in outputs:  # an output that is a leaf needs a row of its own
            if output in leaf_index and output not in leaf_number:
                leaf_number[output] = len(leaf_number)
        first_node = self.n_inputs + len(leaf_number)

        def row(v: Value) -> int:
            if v in is_input:
                return is_input[v]
            if v in leaf_number:
                return self.n_inputs + leaf_number[v]
            return first_node + node_number[v]

        self.n_rows = first_node + len(node_number)
        self.leaf_rows = slice(self.n_inputs, first_node)
        by_row = sorted(leaf_number, key=leaf_number.__getitem__)
        self.leaf_of_row = np.array([leaf_index[v] for v in by_row], dtype=np.intp)
        self.output_rows = rows_of([row(o) for o in outputs])
        self.first_output = row(outputs[0])
        steps: list[Step] = []
        for layer, members, shared in planned:
            out = rows_of([row(n) for n in members])
            if layer:
                assert isinstance(out, slice)  # a layer's nodes are numbered together
                if members[0].op is _LINEAR:
                    weights: Any = np.array([n.arg for n in members], dtype=np.float64)
                else:
                    weights = np.array([[leaf_index[w] for w in _weights_of(n, shared)] for n in members])
                steps.append(MatMul(out, rows_of([row(v) for v in shared]), weights, members[0].op is _LINEAR,
                                    self.leaves, self.leaf_grads))
                continue
            first = members[0]
            assert first.op is not None  # leaves have no step
            arg: Any = first.arg
            if isinstance(arg, tuple):  # linear's coefficients: shape (n_inputs, size, 1), one per node
                arg = np.array([n.arg for n in members], dtype=np.float64).T[:, :, None]
            inputs = [rows_of([row(n.parents[j]) for n in members]) for j in range(len(first.parents))]
            steps.append(Group(first.op, arg, out, inputs, [n.arg for n in members],
                               private=all(readers[n] == 1 for n in members)))
        self.steps = _chained(steps, self.leaf_rows)
        self._buffers: dict[int, Buffers] = {}

    def describe(self) -> list[str]:
        """Each step in a few words, in order: what the compiler recognised."""
        return [step.describe() for step in self.steps]

    def buffers(self, batch: int) -> Buffers:
        """The value and gradient matrices for `batch` samples, made at the first call of that size."""
        found = self._buffers.get(batch)
        if found is None:
            if len(self._buffers) == _BATCH_SIZES_KEPT:
                del self._buffers[next(iter(self._buffers))]  # the size seen first goes first
            found = self._buffers[batch] = Buffers(self.n_rows, batch)
        return found


def _grouped(order: list[Value]) -> dict[tuple[int, Op, int, Any], list[Value]]:
    level: dict[Value, int] = {}
    members: dict[tuple[int, Op, int, Any], list[Value]] = defaultdict(list)
    for node in order:
        if node.op is None:
            level[node] = 0
            continue
        level[node] = 1 + max(level[p] for p in node.parents)
        # tuple arguments (linear's coefficients) stack into an array; scalars must match
        arg_key = None if isinstance(node.arg, tuple) else node.arg
        members[(level[node], node.op, len(node.parents), arg_key)].append(node)
    return members


Planned = tuple[bool, list[Value], tuple[Value, ...]]
"""Nodes that become one step: whether they are a layer, the nodes, and a layer's shared vector."""


def _split(op: Op, nodes: list[Value], leaf_index: dict[Value, int]) -> list[Planned]:
    """The nodes of one group: layers (matrix products over a shared vector), then a group of the rest."""
    if op is not _DOT and op is not _LINEAR:
        return [(False, nodes, ())]
    layers: dict[tuple[Value, ...], list[Value]] = defaultdict(list)
    rest: list[Value] = []
    for node in nodes:
        shared = _shared_vector(op, node.parents, leaf_index)
        if shared is None:
            rest.append(node)
        else:
            layers[shared].append(node)
    split: list[Planned] = [(True, members, shared) for shared, members in layers.items()]
    if rest:
        split.append((False, rest, ()))
    return split


def _shared_vector(op: Op, parents: tuple[Value, ...], leaf_index: dict[Value, int]) -> tuple[Value, ...] | None:
    """The per-sample vector a ``dot``/``linear`` node multiplies when its weights are leaves or constants."""
    if op is _LINEAR:
        return parents if not any(x in leaf_index for x in parents) else None
    half = len(parents) // 2
    for shared, weights in ((parents[half:], parents[:half]), (parents[:half], parents[half:])):
        if all(w in leaf_index for w in weights) and not any(x in leaf_index for x in shared):
            return shared
    return None


def _weights_of(node: Value, shared: tuple[Value, ...]) -> tuple[Value, ...]:
    parents, half = node.parents, len(shared)
    return parents[:half] if parents[half:] == shared else parents[half:]


def _chained(steps: list[Step], leaf_rows: slice) -> list[Step]:
    """Fuse each element-wise group with the later groups that consume exactly its block, in order.

    A later link may read nothing else but inputs and leaves, which are set before any step runs,
    so the whole chain can run where its first link stands.
    """

    def set_before_any_step(rows: Rows) -> bool:  # inputs and leaves
        return bool(rows.stop <= leaf_rows.stop if isinstance(rows, slice) else np.all(rows < leaf_rows.stop))

    elementwise = [step for step in steps if isinstance(step, Group) and step.op.arity in (1, 2)]
    reader_of: dict[tuple[int, int], tuple[Group, int]] = {}
    for group in elementwise:
        for position, rows in enumerate(group.inputs):
            others = [r for j, r in enumerate(group.inputs) if j != position]
            if isinstance(rows, slice) and all(set_before_any_step(r) for r in others):
                reader_of.setdefault((rows.start, rows.stop), (group, position))
    absorbed: set[int] = set()
    fused: list[Step] = []
    for step in steps:
        if id(step) in absorbed:
            continue
        if not isinstance(step, Group) or step.op.arity not in (1, 2):
            fused.append(step)
            continue
        links, main = [step], [0]
        while isinstance(links[-1].out, slice):
            block = links[-1].out
            following = reader_of.get((block.start, block.stop))
            if following is None or id(following[0]) in absorbed:
                break
            links.append(following[0])
            main.append(following[1])
            absorbed.add(id(following[0]))
        fused.append(Chain(links, main) if len(links) > 1 else step)
    return fused
