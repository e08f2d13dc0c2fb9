"""Optimizers with the semantics of ``torch.optim``: ``opt.zero_grad(); loss.backward(); opt.step()``."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable

from autodiff import Value

__all__ = ["SGD", "Adam", "Optimizer"]


class Optimizer:
    """The base of the optimizers: the parameters it updates, its learning rate and `zero_grad`.

    `params` is the list of parameter Values (e.g. ``model.parameters()``), fixed at
    construction. `lr` may be changed between steps (a learning-rate schedule); it must stay > 0.
    """

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        if hasattr(params, "named_parameters"):
            raise TypeError(f"{type(self).__name__}() takes the parameters, not the module: pass model.parameters()")
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}() got an empty parameter list")
        for p in self.params:
            if not isinstance(p, Value):
                raise TypeError(f"{type(self).__name__}() takes Values as parameters, got {type(p).__name__}")
        if len(set(self.params)) != len(self.params):
            raise ValueError(f"{type(self).__name__}() got the same parameter twice: it would be updated twice")
        self.lr = lr

    @property
    def lr(self) -> float:
        """The learning rate (step size), > 0."""
        return self._lr

    @lr.setter
    def lr(self, lr: float) -> None:
        self._lr = _hyperparameter(lr, "lr", lambda x: x > 0, "> 0")

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0, before the next ``backward()``."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its grad."""
        raise NotImplementedError(f"{type(self).__name__} must define step()")


class SGD(Optimizer):
    """Stochastic gradient descent, as ``torch.optim.SGD`` (without dampening).

    With g = grad + `weight_decay` · p: without momentum p ← p − lr · g; with `momentum` μ a
    buffer b ← μ b + g (b = g on the first step) and p ← p − lr · b, or with `nesterov`
    p ← p − lr · (g + μ b).
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        *,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _hyperparameter(momentum, "momentum", lambda x: x >= 0, ">= 0")
        self.weight_decay = _hyperparameter(weight_decay, "weight_decay", lambda x: x >= 0, ">= 0")
        if nesterov and not self.momentum:
            raise ValueError("SGD(nesterov=True) needs a momentum > 0")
        self.nesterov = bool(nesterov)
        self._buffers: list[float] | None = None

    def step(self) -> None:
        """One update of every parameter from its grad."""
        lr, momentum, decay = self.lr, self.momentum, self.weight_decay
        if not momentum:
            for p in self.params:
                p.data -= lr * (p.grad + decay * p.data if decay else p.grad)
            return
        first = self._buffers is None
        buffers = self._buffers = self._buffers or [0.0] * len(self.params)
        for i, p in enumerate(self.params):
            g = p.grad + decay * p.data if decay else p.grad
            buffers[i] = g if first else momentum * buffers[i] + g
            p.data -= lr * (g + momentum * buffers[i] if self.nesterov else buffers[i])


class Adam(Optimizer):
    """Adam (Kingma & Ba, Algorithm 1), as ``torch.optim.Adam``.

    With g = grad + `weight_decay` · p (L2 added to the gradient, not AdamW's decoupled decay):
    m ← β₁ m + (1 − β₁) g, v ← β₂ v + (1 − β₂) g², and after t steps
    p ← p − lr · m̂ / (√v̂ + eps) with m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ). `steps` is t,
    the number of updates made so far.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        *,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(f"Adam betas must be a pair (beta1, beta2), got {betas!r}")
        in_range: Callable[[float], bool] = lambda x: 0 <= x < 1
        self.betas = (_hyperparameter(betas[0], "betas[0]", in_range, "in [0, 1)"),
                      _hyperparameter(betas[1], "betas[1]", in_range, "in [0, 1)"))
        self.eps = _hyperparameter(eps, "eps", lambda x: x > 0, "> 0")
        self.weight_decay = _hyperparameter(weight_decay, "weight_decay", lambda x: x >= 0, ">= 0")
        self.steps = 0
        self._m = [0.0] * len(self.params)
        self._v = [0.0] * len(self.params)

    def step(self) -> None:
        """One update of every parameter from its grad."""
        self.steps += 1
        lr, eps, decay = self.lr, self.eps, self.weight_decay
        beta1, beta2 = self.betas
        correction1 = 1.0 - beta1**self.steps
        correction2 = 1.0 - beta2**self.steps
        m, v, sqrt = self._m, self._v, math.sqrt
        for i, p in enumerate(self.params):
            g = p.grad + decay * p.data if decay else p.grad
            m[i] = beta1 * m[i] + (1.0 - beta1) * g
            v[i] = beta2 * v[i] + (1.0 - beta2) * g * g
            p.data -= lr * (m[i] / correction1) / (sqrt(v[i] / correction2) + eps)


def _hyperparameter(x: object, name: str, valid: Callable[[float], bool], expected: str) -> float:
    if not isinstance(x, numbers.Real) or isinstance(x, bool):
        raise TypeError(f"{name} must be a number, got {type(x).__name__} {x!r:.60}")
    value = float(x)
    if not (math.isfinite(value) and valid(value)):
        raise ValueError(f"{name} must be {expected}, got {x!r}")
    return value
