"""`Module`: the base class of networks, with named parameters, state dicts and ``__call__``."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from autodiff import Value

__all__ = ["Module", "numbered_parameters"]


class Module:
    """A part of a network: it holds named parameters (`Value` leaves) and maps inputs to outputs.

    A subclass defines `forward` and `named_parameters`; calling the module calls `forward`.
    There is no attribute magic: a subclass lists its own parameters (and its children's, with
    a prefix) in `named_parameters`, and a misspelt attribute raises `AttributeError` as usual.
    """

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The module's output for its inputs; what calling the module runs."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """`forward` on the same arguments: ``model(x)`` is ``model.forward(x)``."""
        return self.forward(*args, **kwargs)

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter with its dotted name (e.g. ``layers.0.neurons.3.w.1``), in a fixed order."""
        raise NotImplementedError(f"{type(self).__name__} must define named_parameters()")

    def parameters(self) -> list[Value]:
        """Every parameter, in the order of `named_parameters`: what an optimizer updates."""
        return [parameter for _, parameter in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set the grad of every parameter to 0 (gradients accumulate across ``backward()`` calls)."""
        for parameter in self.parameters():
            parameter.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """The value of every parameter by name: a plain dict that `load_state_dict` takes back."""
        return {name: parameter.data for name, parameter in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, float]) -> None:
        """Set every parameter's value from `state`, strictly: the names must match exactly.

        Raises `KeyError` naming the parameters `state` lacks, `ValueError` naming the keys it has
        that this module does not, and `TypeError` for a value that is not a real number. Nothing
        is changed unless every check passes. Gradients are left as they are.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict() takes a mapping of names to numbers, got {type(state).__name__}")
        named = self.named_parameters()
        names = {name for name, _ in named}
        missing = [name for name, _ in named if name not in state]
        unexpected = [key for key in state if key not in names]
        found = f"{type(self).__name__} has {len(names)} parameters, the state dict {len(state)} entries"
        if missing:
            also = f"; and unexpected keys {_listed(unexpected)}" if unexpected else ""
            raise KeyError(f"state dict is missing parameters {_listed(missing)}{also} ({found})")
        if unexpected:
            raise ValueError(f"state dict has unexpected keys {_listed(unexpected)} ({found})")
        for name, _ in named:
            value = state[name]
            if not isinstance(value, numbers.Real) or isinstance(value, bool):
                raise TypeError(f"state dict entry {name!r} must be a real number, got {type(value).__name__}")
        for name, parameter in named:
            parameter.data = float(state[name])

    def _name_parameters(self) -> None:
        # each parameter Value carries its full name, so graph pictures can label and cluster it;
        # a parent module calls this again after building its children, to add its prefixes
        for name, parameter in self.named_parameters():
            parameter.name = name


def numbered_parameters(prefix: str, children: Sequence[Module]) -> list[tuple[str, Value]]:
    """The named parameters of a list of child modules, the i-th child's under ``{prefix}.{i}.``.

    What a container's `named_parameters` returns, e.g. ``numbered_parameters("layers", self.layers)``.
    """
    return [(f"{prefix}.{i}.{name}", p) for i, child in enumerate(children) for name, p in child.named_parameters()]


def _listed(names: list[str], shown: int = 5) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(map(repr, names[:shown])) + more
