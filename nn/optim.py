"""Optimizers with the semantics of ``torch.optim``: ``opt.zero_grad(); loss.backward(); opt.step()``."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from autodiff import Value
from nn.checks import finite_float, is_int, is_real, listed, short

__all__ = ["MAX_STEPS", "SGD", "Adam", "Optimizer"]

MAX_STEPS = 2**53
"""The most steps an `Adam` state may have made: the largest count a float holds exactly (βᵗ takes a float t)."""


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
        """Update every parameter from its grad: `update` on arrays read from the Values, written back."""
        params = self.params
        data = np.array([p.data for p in params])
        self.update(data, np.array([p.grad for p in params]))
        for p, x in zip(params, data.tolist(), strict=True):
            p.data = x

    def update(self, data: NDArray[np.float64], grad: NDArray[np.float64]) -> None:
        """The step on arrays: `data` (the parameters' values, in order) is updated in place from `grad`.

        For a training loop that keeps its parameters in an array, such as a compiled function
        called with ``params=``: the same update as `step`, to the last bit, with no Value read
        or written.
        """
        raise NotImplementedError(f"{type(self).__name__} must define update()")

    def state_dict(self) -> dict[str, Any]:
        """The hyperparameters and per-parameter buffers as plain JSON values: what resuming needs."""
        raise NotImplementedError(f"{type(self).__name__} must define state_dict()")

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what `state_dict` returned (hyperparameters included), strictly."""
        raise NotImplementedError(f"{type(self).__name__} must define load_state_dict()")

    def _checked_keys(self, kind: str, state: object, keys: tuple[str, ...]) -> Mapping[str, Any]:
        # the checks every optimizer's load_state_dict starts with; `kind` is the format's name,
        # not type(self).__name__, so a subclass still reads its base's state dicts
        where = f"{type(self).__name__}.load_state_dict()"
        if not isinstance(state, Mapping):
            raise TypeError(f"{where} takes the dict state_dict() returned, got {type(state).__name__}")
        if "optimizer" in state and state["optimizer"] != kind:
            raise ValueError(f"{where} got the state of a {short(state['optimizer'])} optimizer, not of {kind}")
        missing = [key for key in ("optimizer", *keys) if key not in state]
        if missing:
            raise ValueError(f"{where}: the state dict lacks {listed(missing)}")
        unexpected = [str(key) for key in state if key not in ("optimizer", *keys)]
        if unexpected:
            raise ValueError(f"{where}: the state dict has unexpected keys {listed(unexpected)}")
        count = state["num_parameters"]
        if not is_int(count):
            raise TypeError(f"{where}: num_parameters is {short(count)}, not an int")
        if count != len(self.params):
            raise ValueError(f"{where}: the state is for {count} parameters, this optimizer has {len(self.params)}")
        return state


class SGD(Optimizer):
    """Stochastic gradient descent, as ``torch.optim.SGD`` (without dampening).

    With g = grad + `weight_decay` · p: without momentum p ← p − lr · g; with `momentum` μ a
    buffer b ← μ b + g (b = g on the first step) and p ← p − lr · b, or with `nesterov`
    p ← p − lr · (g + μ b). `state_dict` saves b, so a resumed run continues exactly.
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
        self.momentum, self.weight_decay, self.nesterov = _sgd_settings(momentum, weight_decay, nesterov)
        self._buffers: NDArray[np.float64] | None = None

    def update(self, data: NDArray[np.float64], grad: NDArray[np.float64]) -> None:
        """One SGD step on arrays (see `Optimizer.update`)."""
        lr, momentum, decay = self.lr, self.momentum, self.weight_decay
        g = grad + decay * data if decay else grad
        if not momentum:
            data -= lr * g
            return
        if self._buffers is None:
            self._buffers = np.array(g, dtype=np.float64)
        else:
            self._buffers = momentum * self._buffers + g
        data -= lr * (g + momentum * self._buffers if self.nesterov else self._buffers)

    def state_dict(self) -> dict[str, Any]:
        """The hyperparameters and the momentum buffer b (one float per parameter, in order) as JSON values.

        ``momentum_buffer`` is None before the first step with momentum.
        """
        return {
            "optimizer": "SGD",
            "lr": self.lr,
            "momentum": self.momentum,
            "weight_decay": self.weight_decay,
            "nesterov": self.nesterov,
            "num_parameters": len(self.params),
            "momentum_buffer": None if self._buffers is None else self._buffers.tolist(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what `state_dict` returned, hyperparameters included, to continue a run exactly.

        The optimizer must have been built on the same number of parameters, in the same order.
        Raises `ValueError` for another optimizer's state, a different number of parameters,
        missing or unexpected keys, or a non-finite value, and `TypeError` for a value of the wrong
        type; nothing changes unless every check passes.
        """
        state = self._checked_keys("SGD", state, _SGD_KEYS)
        lr = _hyperparameter(state["lr"], "lr", lambda x: x > 0, "> 0")
        momentum, decay, nesterov = _sgd_settings(state["momentum"], state["weight_decay"], state["nesterov"])
        buffer = state["momentum_buffer"]
        buffers = None if buffer is None else _floats(buffer, "momentum_buffer", len(self.params))
        self.lr, self.momentum, self.weight_decay, self.nesterov = lr, momentum, decay, nesterov
        self._buffers = None if buffers is None else np.array(buffers)


class Adam(Optimizer):
    """Adam (Kingma & Ba, Algorithm 1), as ``torch.optim.Adam``.

    With g = grad + `weight_decay` · p (L2 added to the gradient, not AdamW's decoupled decay):
    m ← β₁ m + (1 − β₁) g, v ← β₂ v + (1 − β₂) g², and after t steps
    p ← p − lr · m̂ / (√v̂ + eps) with m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ). `steps` is t,
    the number of updates made so far. `state_dict` saves t, m and v, so a resumed run continues exactly.
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
        self.betas, self.eps, self.weight_decay = _adam_settings(betas, eps, weight_decay)
        self.steps = 0
        self._m = np.zeros(len(self.params))
        self._v = np.zeros(len(self.params))

    def update(self, data: NDArray[np.float64], grad: NDArray[np.float64]) -> None:
        """One Adam step on arrays (see `Optimizer.update`)."""
        self.steps += 1
        lr, eps, decay = self.lr, self.eps, self.weight_decay
        beta1, beta2 = self.betas
        correction1 = 1.0 - beta1**self.steps
        correction2 = 1.0 - beta2**self.steps
        g = grad + decay * data if decay else grad
        self._m = beta1 * self._m + (1.0 - beta1) * g
        self._v = beta2 * self._v + (1.0 - beta2) * g * g
        data -= lr * (self._m / correction1) / (np.sqrt(self._v / correction2) + eps)

    def state_dict(self) -> dict[str, Any]:
        """The hyperparameters, `steps` and the moments m, v (one float per parameter, in order) as JSON values."""
        return {
            "optimizer": "Adam",
            "lr": self.lr,
            "betas": list(self.betas),
            "eps": self.eps,
            "weight_decay": self.weight_decay,
            "steps": self.steps,
            "num_parameters": len(self.params),
            "exp_avg": self._m.tolist(),
            "exp_avg_sq": self._v.tolist(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what `state_dict` returned, hyperparameters included, to continue a run exactly.

        The optimizer must have been built on the same number of parameters, in the same order.
        Raises `ValueError` for another optimizer's state, a different number of parameters,
        missing or unexpected keys, or a non-finite value, and `TypeError` for a value of the wrong
        type; nothing changes unless every check passes.
        """
        state = self._checked_keys("Adam", state, _ADAM_KEYS)
        lr = _hyperparameter(state["lr"], "lr", lambda x: x > 0, "> 0")
        betas, eps, decay = _adam_settings(state["betas"], state["eps"], state["weight_decay"])
        steps = state["steps"]
        if not is_int(steps):
            raise TypeError(f"steps must be an int, got {short(steps)}")
        if not 0 <= steps <= MAX_STEPS:
            shown = steps if steps.bit_length() < 64 else f"an integer of {steps.bit_length()} bits"
            raise ValueError(f"steps must be in [0, {MAX_STEPS}], got {shown}")
        m = _floats(state["exp_avg"], "exp_avg", len(self.params))
        v = _floats(state["exp_avg_sq"], "exp_avg_sq", len(self.params))
        negative = [i for i, x in enumerate(v) if x < 0]
        if negative:
            # a mean of squares: a negative one would make √v̂ fail at the next step
            raise ValueError(f"exp_avg_sq[{negative[0]}] is {v[negative[0]]!r}, but it must be >= 0")
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, decay
        self.steps, self._m, self._v = steps, np.array(m), np.array(v)


def _sgd_settings(momentum: object, weight_decay: object, nesterov: object) -> tuple[float, float, bool]:
    # the checks of SGD's constructor and of its load_state_dict, in one place
    checked_momentum = _hyperparameter(momentum, "momentum", lambda x: x >= 0, ">= 0")
    decay = _hyperparameter(weight_decay, "weight_decay", lambda x: x >= 0, ">= 0")
    if not isinstance(nesterov, bool):
        raise TypeError(f"nesterov must be true or false, got {short(nesterov)}")
    if nesterov and not checked_momentum:
        raise ValueError("SGD: nesterov=True needs a momentum > 0")
    return checked_momentum, decay, nesterov


def _adam_settings(betas: object, eps: object, weight_decay: object) -> tuple[tuple[float, float], float, float]:
    # the checks of Adam's constructor and of its load_state_dict, in one place
    if not isinstance(betas, tuple | list):
        raise TypeError(f"Adam betas must be a pair (beta1, beta2), got {short(betas)}")
    if len(betas) != 2:
        raise ValueError(f"Adam betas must be a pair (beta1, beta2), got {short(betas)}")
    in_range: Callable[[float], bool] = lambda x: 0 <= x < 1
    pair = (_hyperparameter(betas[0], "betas[0]", in_range, "in [0, 1)"),
            _hyperparameter(betas[1], "betas[1]", in_range, "in [0, 1)"))
    checked_eps = _hyperparameter(eps, "eps", lambda x: x > 0, "> 0")
    decay = _hyperparameter(weight_decay, "weight_decay", lambda x: x >= 0, ">= 0")
    return pair, checked_eps, decay


_SGD_KEYS = ("lr", "momentum", "weight_decay", "nesterov", "num_parameters", "momentum_buffer")
_ADAM_KEYS = ("lr", "betas", "eps", "weight_decay", "steps", "num_parameters", "exp_avg", "exp_avg_sq")


def _floats(values: object, name: str, count: int) -> list[float]:
    # a per-parameter buffer read back from a state dict: `count` finite floats
    if not isinstance(values, list | tuple):
        raise TypeError(f"{name} must be a list of numbers, got {short(values)}")
    if len(values) != count:
        raise ValueError(f"{name} has {len(values)} entries, but there are {count} parameters")
    floats = []
    for i, value in enumerate(values):
        try:
            floats.append(finite_float(value))
        except (TypeError, ValueError) as error:
            raise type(error)(f"{name}[{i}] {error}") from None
    return floats


def _hyperparameter(x: object, name: str, valid: Callable[[float], bool], expected: str) -> float:
    if not is_real(x):
        raise TypeError(f"{name} must be a number, got {type(x).__name__} {x!r:.60}")
    try:
        value = float(x)
    except OverflowError:  # an int such as 10**400; its repr may be too long to print
        raise ValueError(f"{name} must be {expected}, got an integer too large for a float") from None
    if not (math.isfinite(value) and valid(value)):
        raise ValueError(f"{name} must be {expected}, got {x!r}")
    return value
