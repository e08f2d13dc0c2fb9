"""Hypothesis strategies and an assertion for testing gradients: yours, and the engine's own.

Needs Hypothesis (``pip install "scalar-autodiff[testing]"``); ``import autodiff`` alone does not
import it. The strategies follow `hypothesis.extra.numpy`: plural nouns, keyword-only bounds,
`hypothesis.errors.InvalidArgument` for a bad argument.

>>> from hypothesis import given
>>> from autodiff.testing import assert_gradients_close, finite_floats
>>> @given(x=finite_floats(), w=finite_floats())
... def test_neuron(x, w):
...     assert_gradients_close(lambda x, w: (x * w).tanh(), [x, w])
>>> test_neuron()

- `finite_floats`, `values`: numbers and leaf `Value`s in a range where float64 central
  differences are accurate.
- `op_inputs(op)`: an op of the table with inputs inside its domain, kept a margin away from its
  poles, domain edges and kinks (and, for an op of many inputs, from ties).
- `programs()`: random straight-line programs over the op table whose steps reuse earlier
  results, so their graphs are DAGs with shared nodes; each comes with inputs at which every step
  is inside its op's domain and away from kinks.
- `assert_gradients_close`: `autodiff.gradcheck` as an assertion, for a ``@given`` test; with
  ``kinks="skip"`` it discards examples where an op of your function is at a kink or a tie.
- `check_engine(engine)`, `assert_engine(engine)`: another autodiff engine (a micrograd-style class,
  or an `Adapter`) checked against this one, with shrunk counterexamples and the op at fault.
"""

from autodiff.checking.adapters import (
    Adapter,
    EngineLoadError,
    Spelling,
    load_engine,
    micrograd_style,
    torch_scalars,
)
from autodiff.checking.assertions import assert_gradients_close
from autodiff.checking.engine import assert_engine, check_engine
from autodiff.checking.engine_report import ENGINE_CHECKS, OP_CHECKS, EngineCheckError, EngineReport, Finding
from autodiff.checking.programs import OpCall, Program, Step
from autodiff.checking.strategies import finite_floats, op_inputs, programs, values

__all__ = [
    "ENGINE_CHECKS",
    "OP_CHECKS",
    "Adapter",
    "EngineCheckError",
    "EngineLoadError",
    "EngineReport",
    "Finding",
    "OpCall",
    "Program",
    "Step",
    "Spelling",
    "assert_engine",
    "assert_gradients_close",
    "check_engine",
    "finite_floats",
    "load_engine",
    "micrograd_style",
    "op_inputs",
    "programs",
    "torch_scalars",
    "values",
]
