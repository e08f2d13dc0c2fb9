"""scalar-autodiff: exact, fast reverse-mode automatic differentiation over scalar `Value` nodes.

>>> from autodiff import Value
>>> x, w, b = Value(2.0, name="x"), Value(-3.0, name="w"), Value(6.8813735870195432, name="b")
>>> y = (x * w + b).tanh()
>>> y.backward()
>>> round(y.data, 4), round(x.grad, 4), round(w.grad, 4)
(0.7071, -1.5, 1.0)
"""

from importlib import metadata

from autodiff.checking.gradcheck import GradcheckError, gradcheck, numerical_gradient
from autodiff.checking.gradgradcheck import gradgradcheck
from autodiff.compiled.function import BatchGradients, CompiledFunction, compile
from autodiff.core.backends import Backend
from autodiff.core.derivatives import grad, hessian, hvp, jvp
from autodiff.core.graph import topological_order
from autodiff.core.ops import OPS, Constant, Interval, Op
from autodiff.core.value import Value, apply, dot, max, min, no_grad, sum
from autodiff.pictures.drawing import Drawing, draw
from autodiff.pictures.explore import Exploration, explore

try:
    __version__ = metadata.version("scalar-autodiff")
except metadata.PackageNotFoundError:  # run from a clone that pip never installed
    __version__ = "0+unknown"
"""The installed version of the scalar-autodiff package, read from its metadata."""

__all__ = [
    "OPS",
    "Backend",
    "BatchGradients",
    "CompiledFunction",
    "Constant",
    "Drawing",
    "Exploration",
    "GradcheckError",
    "Interval",
    "Op",
    "Value",
    "apply",
    "compile",
    "dot",
    "draw",
    "explore",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "hvp",
    "jvp",
    "max",
    "min",
    "no_grad",
    "numerical_gradient",
    "sum",
    "topological_order",
]
