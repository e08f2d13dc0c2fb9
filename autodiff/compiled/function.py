"""`autodiff.compile`: trace a per-sample function of Values once, run it on numpy batches.

`autodiff.compile(f, params=...)` is to a scalar graph what ``jax.jit(jax.vmap(f))`` is to an
array program. On the first call, `f` runs once on `Value` placeholders for one sample; the
recorded graph is then compiled (`autodiff.compiled.program`) into matrix products where its
nodes form layers of neurons, fused chains of element-wise ops, and one vectorised numpy call per
group of same-op nodes elsewhere. The rules come from the op table, evaluated on the `NUMPY`
backend: no op is written twice. Results equal the Value graph's up to float rounding (a matrix
product may add in another order).

Parameters (shared scalars such as a network's weights) are read from their `Value`'s current
`data` at every call, so an optimizer can update them between calls, unless the call passes them
as one array (``params=``), which skips reading the Values: a training loop that keeps its weights
in an array calls it so. Any other Value that `f` uses without receiving it (a captured constant)
is frozen at its value when traced. As with ``jax.jit``, Python control flow on ``.data`` inside
`f` is frozen at the branch the first sample took; ops such as ``relu`` and ``max`` are
data-dependent *inside* the op and replay correctly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from autodiff.compiled.program import Buffers, Program
from autodiff.core.backends import FLOAT, NUMPY
from autodiff.core.graph import topological_order
from autodiff.core.ops import Op
from autodiff.core.value import Value

__all__ = ["BatchGradients", "CompiledFunction", "compile"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class BatchGradients:
    """What `CompiledFunction.value_and_grad` returns for a batch.

    `values`: ``f`` on every sample, shape ``(batch,)`` (``(batch, n_outputs)`` for an ``f`` with
    several outputs). `params`: the gradient of ``Σ_b weight_b · f(sample_b)`` with respect to
    each parameter, shape ``(n_params,)``.
    `inputs`: the gradient of each sample's weighted output with respect to that sample's
    inputs, shape ``(batch, n_inputs)``.
    """

    values: Array
    params: Array
    inputs: Array


class CompiledFunction:
    """A per-sample function of Values run on numpy batches; made by `autodiff.compile`.

    Call it on a batch ``X`` of shape ``(batch, n_inputs)`` to get ``f`` on every sample: shape
    ``(batch,)`` when ``f`` returns one Value, ``(batch, n_outputs)`` when it returns a sequence.
    `value_and_grad` and `backward` differentiate ``f`` weighted and summed over the batch. Each call
    may pass ``params=``, the parameters' values as an array in `params` order, instead of reading
    them from the Values.
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
        self._programs: dict[int, tuple[Program, bool]] = {}

    def __repr__(self) -> str:
        name = getattr(self.f, "__name__", repr(self.f))
        return f"CompiledFunction({name}, params={len(self.params)})"

    def steps(self, X: ArrayLike) -> list[str]:
        """The steps compiled for batches like `X`, in a few words each (tracing on its first sample if needed).

        For example ``['matmul 16×2', 'chain add → relu ×16', ...]``: what was recognised as matrix
        products and fused chains, and what runs as groups of one op.
        """
        return self.program(X).describe()

    def program(self, X: ArrayLike) -> Program:
        """The `Program` compiled for batches like `X`, traced on its first sample at the first call of its width.

        One program serves every batch size; its `Program.buffers` keeps the matrices of a few batch sizes.
        """
        program, _ = self._program(self._batch(X))
        return program

    def _batch(self, X: ArrayLike) -> Array:
        batch = np.asarray(X, dtype=np.float64)
        if batch.ndim != 2 or batch.shape[0] == 0:
            raise ValueError(f"a compiled function takes a batch of shape (batch, n_inputs), got shape {batch.shape}")
        return batch

    def _program(self, batch: Array) -> tuple[Program, bool]:
        n_inputs = batch.shape[1]
        if n_inputs not in self._programs:
            placeholders = [Value(x, name=f"input.{i}") for i, x in enumerate(batch[0].tolist())]
            result = self.f(*placeholders)
            scalar = isinstance(result, Value)
            returned: list[object] = [result] if scalar else list(result) if isinstance(result, Sequence) else []
            outputs = [o for o in returned if isinstance(o, Value)]
            if not outputs or len(outputs) != len(returned):
                raise TypeError("compile(): f must return a Value or a non-empty sequence of Values")
            program = Program(outputs, placeholders, self.params)
            _check_vectorized(outputs)
            self._programs[n_inputs] = (program, scalar)
        return self._programs[n_inputs]

    def _run(self, X: ArrayLike, params: ArrayLike | None) -> tuple[Program, bool, Buffers]:
        batch = self._batch(X)
        program, scalar = self._program(batch)
        buffers = program.buffers(batch.shape[0])
        leaves, values = program.leaves, buffers.values
        if params is None:
            leaves[:program.n_params] = [p.data for p in self.params]
        else:
            given = np.asarray(params, dtype=np.float64)
            if given.shape != (program.n_params,):
                raise ValueError(f"params= must hold one number per parameter, shape ({program.n_params},), "
                                 f"got shape {given.shape}")
            leaves[:program.n_params] = given
        values[:program.n_inputs] = batch.T
        values[program.leaf_rows] = leaves[program.leaf_of_row, None]
        with np.errstate(divide="raise", invalid="raise", over="raise", under="ignore"):
            for step in program.steps:
                step.forward(values)
        return program, scalar, buffers

    def __call__(self, X: ArrayLike, *, params: ArrayLike | None = None) -> Array:
        """``f`` on every sample of the batch `X` (shape ``(batch, n_inputs)``)."""
        program, scalar, buffers = self._run(X, params)
        outputs = buffers.values[program.output_rows]  # a view of the buffer where the rows are contiguous
        return outputs[0].copy() if scalar else outputs.T.copy()

    def value_and_grad(
        self,
        X: ArrayLike,
        weights: ArrayLike | Callable[[Array], ArrayLike] | None = None,
        *,
        params: ArrayLike | None = None,
    ) -> BatchGradients:
        """``f`` on every sample and the gradients of ``Σ_b weights_b · f(sample_b)``.

        For a scalar ``f``, `weights` default to ones (a sum over the batch); pass ``1 / batch``
        for a mean. For an ``f`` with several outputs, `weights` has one per sample and output,
        shape ``(batch, n_outputs)``, and the gradients are those of ``Σ_b Σ_o weights_bo ·
        f_o(sample_b)`` (a vector-Jacobian product). `weights` may also be a function of ``f``'s
        values (what calling the compiled function returns) that returns them: a loss computed
        on the outputs with numpy then costs one forward pass, not two.
        """
        program, scalar, buffers = self._run(X, params)
        values, grads = buffers.values, buffers.grads
        batch = values.shape[1]
        outputs = values[program.output_rows]
        shape = (batch,) if scalar else (batch, outputs.shape[0])
        if callable(weights):
            weights = weights(outputs[0].copy() if scalar else outputs.T.copy())
        if weights is None and not scalar:
            raise ValueError("value_and_grad() of an f with several outputs needs weights, one per sample and output")
        seed = np.broadcast_to(1.0 if weights is None else np.asarray(weights, dtype=np.float64), shape)
        grads.fill(0.0)
        program.leaf_grads.fill(0.0)
        if scalar:
            grads[program.first_output] = seed
        else:
            _add_rows(grads, program.output_rows, seed.T)
        # an infinite partial (sqrt at 0) gives inf or NaN gradients, as in PyTorch: numbers, not errors
        with np.errstate(all="ignore"):
            for step in reversed(program.steps):
                step.backward(values, grads)
            program.leaf_grads[program.leaf_of_row] += grads[program.leaf_rows].sum(axis=1)
        returned = values[program.first_output].copy() if scalar else outputs.T.copy()
        return BatchGradients(returned, program.leaf_grads[:program.n_params].copy(), grads[:program.n_inputs].T.copy())

    def backward(self, X: ArrayLike, weights: ArrayLike | None = None, *, params: ArrayLike | None = None) -> float:
        """Add the batch's parameter gradients into each parameter's `.grad`, as ``loss.backward()``.

        Returns the weighted loss ``Σ_b weights_b · f(sample_b)``.
        """
        result = self.value_and_grad(X, weights, params=params)
        for p, g in zip(self.params, result.params.tolist(), strict=True):
            p.grad += g
        w = np.ones_like(result.values) if weights is None else np.broadcast_to(weights, result.values.shape)
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged loss sums to inf or NaN, as on Values
            return float(np.vdot(w, result.values))


def _add_rows(grads: Array, rows: Any, seed: Array) -> None:
    # an output may be returned twice: its seeds add up
    if isinstance(rows, slice):
        grads[rows] += seed
    else:
        np.add.at(grads, rows, seed)


def compile(  # noqa: A001 - the name users know from jax.jit and torch.compile
    f: Callable[..., Value | Sequence[Value]], *, params: Sequence[Value]
) -> CompiledFunction:
    """Trace the per-sample function `f` once and run it on numpy batches.

    `f` takes one `Value` per input column and returns a Value or a sequence of Values; `params`
    are the shared leaf Values it uses (a model's ``parameters()``, each once), whose gradients
    are summed over the batch. See `CompiledFunction` and this module's docstring for the rules.

    Python control flow on ``.data`` inside `f` is frozen at the branch the *first* sample took,
    for every sample: ``compile(lambda x: x * 2 if x.data > 0 else x * -3, params=[])`` on the
    rows ``[[1], [-1]]`` gives ``[2, -2]``, not ``[2, 3]``. Branch inside ops instead
    (``relu``, ``abs``, ``autodiff.max``), which replay per sample.
    """
    return CompiledFunction(f, params)


def _check_vectorized(outputs: Sequence[Value]) -> None:
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
    if not derivative:
        return (op.forward_of(m, inputs, arg),)
    return tuple(op.partials_of(m, inputs, out, arg))
