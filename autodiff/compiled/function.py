"""Compiled batched replay: trace a per-sample function of Values once, replay it on numpy batches.

`autodiff.compile(f, params=...)` is to a scalar graph what ``jax.jit(jax.vmap(f))`` is to an
array program. On the first call, `f` runs once on `Value` placeholders for one sample; the
recorded graph is then scheduled in *levels* (a node's level is one more than its inputs'), and
the nodes of one level that share an op become **one** vectorized numpy call over all those
nodes and every sample of the batch at once. The rules come from the op table, evaluated on the
`NUMPY` backend: no op is written twice.

Parameters (shared scalars such as a network's weights) are read from their `Value`'s current
`data` at every call, so an optimizer can update them between calls. Any other Value that `f`
uses without receiving it (a captured constant) is frozen at its value when traced. As with
``jax.jit``, Python control flow on ``.data`` inside `f` is frozen at the branch the first sample
took; ops such as ``relu`` and ``max`` are data-dependent *inside* the op and replay correctly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from autodiff.core._op_calls import apply_to_values
from autodiff.core.backends import FLOAT, NUMPY
from autodiff.core.graph import topological_order
from autodiff.core.ops import VARIADIC, Op
from autodiff.core.value import Value

__all__ = ["BatchGradients", "CompiledFunction", "compile"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class BatchGradients:
    """What `CompiledFunction.value_and_grad` returns for a batch.

    `values`: ``f`` on every sample, shape ``(batch,)``. `params`: the gradient of
    ``Σ_b weight_b · f(sample_b)`` with respect to each parameter, shape ``(n_params,)``.
    `inputs`: the gradient of each sample's weighted output with respect to that sample's
    inputs, shape ``(batch, n_inputs)``.
    """

    values: Array
    params: Array
    inputs: Array


class _Group:
    """Nodes of one level with the same op (and input count): one vectorized call."""

    def __init__(self, op: Op, arg: Any, rows: NDArray[np.intp], inputs: NDArray[np.intp], node_args: list[Any]):
        self.op, self.arg = op, arg
        self.node_args = node_args  # each node's own argument, to re-run one sample as the Value graph would
        self.rows = rows  # the rows of the group's outputs, shape (k,)
        self.inputs = inputs  # the rows of their inputs, shape (k, n_inputs)
        # backward sends contribution (j, i) to row inputs[i, j]; rows shared by several nodes
        # are summed with one sorted reduceat instead of a slow np.add.at
        targets = inputs.T.ravel()
        self.order = np.argsort(targets, kind="stable")
        self.targets, self.starts = np.unique(targets[self.order], return_index=True)
        self.shared = len(self.targets) < len(targets)

    def scatter(self, grads: Array, contributions: Array) -> None:
        """Add each input's contribution (shape ``(n_inputs · k, batch)``) into its row of `grads`."""
        if self.shared:
            grads[self.targets] += np.add.reduceat(contributions[self.order], self.starts, axis=0)
        else:
            grads[self.targets] += contributions[self.order]


class _Program:
    """A traced graph laid out as rows of a (n_rows, batch) matrix, and its groups in order."""

    def __init__(self, outputs: Sequence[Value], placeholders: Sequence[Value], params: Sequence[Value]):
        order: list[Value] = []
        seen: set[Value] = set()
        for output in outputs:
            for node in topological_order(output):
                if node not in seen:
                    seen.add(node)
                    order.append(node)
        row = {node: i for i, node in enumerate(order)}
        param_row = {p: i for i, p in enumerate(params)}
        placeholder_index = {v: i for i, v in enumerate(placeholders)}
        self.n_rows = len(order)
        self.n_inputs = len(placeholders)
        leaves = [node for node in order if node.op is None]
        self.param_rows = np.array([row[n] for n in leaves if n in param_row], dtype=np.intp)
        self.param_index = np.array([param_row[n] for n in leaves if n in param_row], dtype=np.intp)
        self.input_rows = np.array([row[n] for n in leaves if n in placeholder_index], dtype=np.intp)
        self.input_index = np.array([placeholder_index[n] for n in leaves if n in placeholder_index], dtype=np.intp)
        constants = [n for n in leaves if n not in param_row and n not in placeholder_index]
        self.constant_rows = np.array([row[n] for n in constants], dtype=np.intp)
        self.constant_values = np.array([n.data for n in constants], dtype=np.float64)
        self.output_rows = np.array([row[o] for o in outputs], dtype=np.intp)
        self.groups = self._schedule(order, row)

    @staticmethod
    def _schedule(order: list[Value], row: dict[Value, int]) -> list[_Group]:
        level: dict[Value, int] = {}
        members: dict[tuple[int, Op, int, Any], list[Value]] = defaultdict(list)
        for node in order:
            if node.op is None:
                level[node] = 0
                continue
            parents = node.parents
            level[node] = 1 + max(level[p] for p in parents)
            # tuple arguments (linear's coefficients) stack into an array; scalars must match
            arg_key = None if isinstance(node.arg, tuple) else node.arg
            members[(level[node], node.op, len(parents), arg_key)].append(node)
        groups = []
        for (_, op, _, arg_key), nodes in sorted(members.items(), key=lambda item: item[0][0]):
            arg = arg_key
            if isinstance(nodes[0].arg, tuple):
                # shape (n_inputs, k, 1): indexing the first axis gives one coefficient per node
                arg = np.array([n.arg for n in nodes], dtype=np.float64).T[:, :, None]
            inputs = np.array([[row[p] for p in n.parents] for n in nodes], dtype=np.intp)
            rows = np.array([row[n] for n in nodes], dtype=np.intp)
            groups.append(_Group(op, arg, rows, inputs, [n.arg for n in nodes]))
        return groups


def _forward(group: _Group, values: Array) -> Array:
    op, inputs = group.op, group.inputs
    if op.arity == 1:
        return op.forward(NUMPY, values[inputs[:, 0]], group.arg)  # type: ignore[no-any-return]
    if op.arity == 2:
        return op.forward(NUMPY, values[inputs[:, 0]], values[inputs[:, 1]], group.arg)  # type: ignore[no-any-return]
    return op.forward(NUMPY, values[inputs.T], group.arg)  # type: ignore[no-any-return]


def _forward_as_the_value_graph(group: _Group, values: Array) -> Array:
    """The group's outputs after numpy signalled an error: raise what the Value graph would raise.

    Each non-finite result is recomputed on floats by the Value graph's own path, sample by
    sample; the first exception is raised again naming its sample. Where floats give inf or NaN
    without raising (a product that overflows, inf − inf), numpy's result stands.
    """
    with np.errstate(all="ignore"):
        out = np.broadcast_to(_forward(group, values), (len(group.rows), values.shape[1]))
    finite = np.isfinite(out)
    for sample in np.flatnonzero(~finite.all(axis=0)).tolist():
        for position in np.flatnonzero(~finite[:, sample]).tolist():
            inputs = values[group.inputs[position], sample].tolist()
            error = _value_graph_error(group.op, inputs, group.node_args[position])
            if error is not None:
                raise type(error)(f"compiled replay, sample {sample} of the batch: {error}") from None
    return out


def _value_graph_error(op: Op, inputs: list[float], arg: Any) -> Exception | None:
    """The exception that applying `op` to Values holding `inputs` raises, or None."""
    try:
        apply_to_values(op, [Value(x) for x in inputs], arg)
    except (ArithmeticError, ValueError) as error:
        return error
    return None


def _partials(group: _Group, values: Array) -> Sequence[Any]:
    op, inputs, out = group.op, group.inputs, values[group.rows]
    if op.arity == 1:
        return (op.derivative(NUMPY, values[inputs[:, 0]], out, group.arg),)
    if op.arity == 2:
        return op.derivative(NUMPY, values[inputs[:, 0]], values[inputs[:, 1]], out, group.arg)  # type: ignore[no-any-return]
    return op.derivative(NUMPY, values[inputs.T], out, group.arg)  # type: ignore[no-any-return]


class CompiledFunction:
    """A per-sample function of Values, replayed on numpy batches; made by `autodiff.compile`.

    Call it on a batch ``X`` of shape ``(batch, n_inputs)`` to get ``f`` on every sample: shape
    ``(batch,)`` when ``f`` returns one Value, ``(batch, n_outputs)`` when it returns a sequence.
    `value_and_grad` and `backward` differentiate a scalar ``f`` summed over the batch.
    """

    def __init__(self, f: Callable[..., Value | Sequence[Value]], params: Sequence[Value]):
        self.f = f
        self.params = list(params)
        first_position: dict[Value, int] = {}
        for position, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"compile() params must be Values, got {type(p).__name__}")
            shown = f"params[{position}]" + (f" ({p.name})" if p.name is not None else "")
            if p.op is not None:
                # a computed node's inputs are what f really depends on: its own gradient would stay 0
                raise ValueError(
                    f"compile() {shown} is the result of {p.op.name}, not a leaf: pass the leaf Values "
                    "f uses (a model's parameters()); a computed node's gradient would always be 0"
                )
            if p in first_position:
                raise ValueError(
                    f"compile() {shown} is the same Value as params[{first_position[p]}]: pass each "
                    "parameter once (only one of the copies would get the gradient)"
                )
            first_position[p] = position
        self._programs: dict[int, tuple[_Program, bool]] = {}

    def __repr__(self) -> str:
        name = getattr(self.f, "__name__", repr(self.f))
        return f"CompiledFunction({name}, params={len(self.params)})"

    def _program(self, batch: Array) -> tuple[_Program, bool]:
        n_inputs = batch.shape[1]
        if n_inputs not in self._programs:
            placeholders = [Value(x, name=f"input.{i}") for i, x in enumerate(batch[0].tolist())]
            result = self.f(*placeholders)
            scalar = isinstance(result, Value)
            returned: list[object] = [result] if scalar else list(result) if isinstance(result, Sequence) else []
            outputs = [o for o in returned if isinstance(o, Value)]
            if not outputs or len(outputs) != len(returned):
                raise TypeError("compile(): f must return a Value or a non-empty sequence of Values")
            program = _Program(outputs, placeholders, self.params)
            _check_vectorized(program, outputs)
            self._programs[n_inputs] = (program, scalar)
        return self._programs[n_inputs]

    def _run(self, X: ArrayLike) -> tuple[_Program, bool, Array]:
        batch = np.asarray(X, dtype=np.float64)
        if batch.ndim != 2 or batch.shape[0] == 0:
            raise ValueError(f"a compiled function takes a batch of shape (batch, n_inputs), got shape {batch.shape}")
        program, scalar = self._program(batch)
        values = np.empty((program.n_rows, batch.shape[0]))
        values[program.param_rows] = np.array([p.data for p in self.params])[program.param_index, None]
        values[program.input_rows] = batch.T[program.input_index]
        values[program.constant_rows] = program.constant_values[:, None]
        with np.errstate(divide="raise", invalid="raise", over="raise", under="ignore"):
            for group in program.groups:
                try:
                    values[group.rows] = _forward(group, values)
                except FloatingPointError:
                    values[group.rows] = _forward_as_the_value_graph(group, values)
        return program, scalar, values

    def __call__(self, X: ArrayLike) -> Array:
        """``f`` on every sample of the batch `X` (shape ``(batch, n_inputs)``)."""
        program, scalar, values = self._run(X)
        outputs = values[program.output_rows]
        return outputs[0].copy() if scalar else outputs.T.copy()

    def value_and_grad(self, X: ArrayLike, weights: ArrayLike | None = None) -> BatchGradients:
        """``f`` on every sample and the gradients of ``Σ_b weights_b · f(sample_b)``.

        `weights` default to ones (a sum over the batch); pass ``1 / batch`` for a mean.
        ``f`` must return a single Value.
        """
        program, scalar, values = self._run(X)
        if not scalar:
            raise ValueError("value_and_grad() needs f to return one Value (a scalar loss per sample)")
        batch = values.shape[1]
        grads = np.zeros_like(values)
        grads[program.output_rows[0]] = 1.0 if weights is None else np.broadcast_to(weights, (batch,))
        # an infinite partial (sqrt at 0) gives inf or NaN gradients, as in PyTorch: numbers, not errors
        with np.errstate(all="ignore"):
            for group in reversed(program.groups):
                upstream = grads[group.rows]
                partials = _partials(group, values)
                contributions = np.empty((len(partials),) + upstream.shape)
                for position, partial in enumerate(partials):
                    contributions[position] = partial
                contributions *= upstream
                group.scatter(grads, contributions.reshape(-1, batch))
            param_grads = np.zeros(len(self.params))
            np.add.at(param_grads, program.param_index, grads[program.param_rows].sum(axis=1))
        input_grads = np.zeros((batch, program.n_inputs))
        input_grads[:, program.input_index] = grads[program.input_rows].T
        return BatchGradients(values[program.output_rows[0]].copy(), param_grads, input_grads)

    def backward(self, X: ArrayLike, weights: ArrayLike | None = None) -> float:
        """Add the batch's parameter gradients into each parameter's `.grad`, as ``loss.backward()``.

        Returns the weighted loss ``Σ_b weights_b · f(sample_b)``.
        """
        result = self.value_and_grad(X, weights)
        for p, g in zip(self.params, result.params.tolist(), strict=True):
            p.grad += g
        w = np.ones_like(result.values) if weights is None else np.broadcast_to(weights, result.values.shape)
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged loss sums to inf or NaN, as on Values
            return float(np.dot(w, result.values))


def compile(  # noqa: A001 - the name users know from jax.jit and torch.compile
    f: Callable[..., Value | Sequence[Value]], *, params: Sequence[Value]
) -> CompiledFunction:
    """Trace the per-sample function `f` once and replay it on numpy batches.

    `f` takes one `Value` per input column and returns a Value or a sequence of Values; `params`
    are the shared leaf Values it uses (a model's ``parameters()``, each once), whose gradients
    are summed over the batch. See `CompiledFunction` and this module's docstring for the rules.

    Python control flow on ``.data`` inside `f` is frozen at the branch the *first* sample took,
    for every sample: ``compile(lambda x: x * 2 if x.data > 0 else x * -3, params=[])`` on the
    rows ``[[1], [-1]]`` gives ``[2, -2]``, not ``[2, 3]``. Branch inside ops instead
    (``relu``, ``abs``, ``autodiff.max``), which replay per sample.
    """
    return CompiledFunction(f, params)


def _check_vectorized(program: _Program, outputs: Sequence[Value]) -> None:
    """Raise at trace time if an op's forward or derivative rule does not run on numpy arrays.

    Each op's rules run on two copies of its first node's inputs (a rule that converts its input
    to a Python float fails on two elements) and must give what its float rules give there.
    """
    checked: set[Op] = set()
    # the traced sample may overflow or sit where a derivative is infinite: numbers, not warnings
    with np.errstate(all="ignore"):
        for output in outputs:
            for node in topological_order(output):
                if node.op is not None and node.op not in checked:
                    checked.add(node.op)
                    _check_rules(node.op, node)


def _check_rules(op: Op, node: Value) -> None:
    floats = [p.data for p in node.parents]
    arrays = [np.array([x, x]) for x in floats]
    for derivative in (False, True):
        which = "derivative" if derivative else "forward"
        try:
            expected = _rule(op, derivative, FLOAT, floats, node.data, node.arg)
        except (ArithmeticError, ValueError):
            expected = None  # a derivative undefined at the traced sample: check only that numpy runs it
        try:
            actual = _rule(op, derivative, NUMPY, arrays, np.array([node.data, node.data]), node.arg)
            per_sample = [np.broadcast_to(a, (2,)) for a in actual]  # one number per sample
            # atol: numpy's and libm's sin, exp... may differ by an ulp near a zero of the result
            ok = expected is None or all(
                np.allclose(a, e, rtol=1e-12, atol=1e-15, equal_nan=True)
                for a, e in zip(per_sample, expected, strict=True)
            )
        except Exception as error:  # any failure means the rule is not vectorized
            raise TypeError(f"compile(): op {op.name!r} has no vectorized (numpy) {which} rule: {error}") from error
        if not ok:
            raise TypeError(f"compile(): op {op.name!r}'s numpy {which} rule disagrees with its float rule")


def _rule(op: Op, derivative: bool, m: Any, inputs: list[Any], out: Any, arg: Any) -> tuple[Any, ...]:
    """`op`'s forward or derivative rule on backend `m`, as a tuple (one entry per partial)."""
    leading = (np.array(inputs) if m is NUMPY else inputs,) if op.arity == VARIADIC else tuple(inputs)
    if not derivative:
        return (op.forward(m, *leading, arg),)
    partials = op.derivative(m, *leading, out, arg)
    return (partials,) if op.arity == 1 else tuple(partials)
