"""`Module`: the base class of networks, with named parameters, state dicts and ``__call__``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from autodiff import Value
from nn.checks import finite_float, listed

__all__ = ["Module", "numbered_parameters"]


class Module:
    """A part of a network: it holds named parameters (`Value` leaves) and maps inputs to outputs.

    A subclass defines `forward` and `named_parameters`; calling the module calls `forward`.
    There is no attribute magic: a subclass lists its own parameters (and its children's, with
    a prefix) in `named_parameters`, and a misspelt attribute raises `AttributeError` as usual.
    A module that builds children calls `name_parameters` at the end of its ``__init__``, so each
    parameter's `Value.name` is its full name (which `autodiff.draw` labels and clusters by)::

        class Net(nn.Module):
            def __init__(self):
                self.body = nn.MLP(2, [16, 16])
                self.head = nn.Layer(16, 1, activation="linear")
                self.name_parameters()  # the Values become "body.layers.0.neurons.0.w.0", ...

            def forward(self, x):
                return self.head(self.body(x))

            def named_parameters(self):
                return [*((f"body.{name}", p) for name, p in self.body.named_parameters()),
                        *((f"head.{name}", p) for name, p in self.head.named_parameters())]
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
        that this module does not, `TypeError` naming an entry that is not a real number, and
        `ValueError` naming one that is not finite (NaN or ±inf, almost certainly a diverged run
        or a bug) or an integer too large for a float. Every value is converted to a float and
        checked before any is assigned, so nothing is changed unless every check passes.
        Gradients are left as they are.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict() takes a mapping of names to numbers, got {type(state).__name__}")
        named = self.named_parameters()
        names = {name for name, _ in named}
        missing = [name for name, _ in named if name not in state]
        unexpected = [key for key in state if key not in names]
        found = f"{type(self).__name__} has {len(names)} parameters, the state dict {len(state)} entries"
        if missing:
            also = f"; and unexpected keys {listed(unexpected)}" if unexpected else ""
            raise KeyError(f"state dict is missing parameters {listed(missing)}{also} ({found})")
        if unexpected:
            raise ValueError(f"state dict has unexpected keys {listed(unexpected)} ({found})")
        values = []
        for name, _ in named:
            try:
                values.append(finite_float(state[name]))
            except (TypeError, ValueError) as error:
                raise type(error)(f"state dict entry {name!r} {error}") from None
        for (_, parameter), value in zip(named, values, strict=True):
            parameter.data = value

    def name_parameters(self) -> None:
        """Set each parameter Value's `name` to its name in `named_parameters`.

        `Neuron`, `Layer` and `MLP` call it when built. A module holding other modules calls it
        at the end of its ``__init__``: its children named their Values without its prefixes
        (``layers.0.neurons.0.w.0`` instead of ``body.layers.0.neurons.0.w.0``). Graph pictures
        (`autodiff.draw`) label and cluster values by these names.
        """
        for name, parameter in self.named_parameters():
            parameter.name = name


def numbered_parameters(prefix: str, children: Sequence[Module]) -> list[tuple[str, Value]]:
    """The named parameters of a list of child modules, the i-th child's under ``{prefix}.{i}.``.

    What a container's `named_parameters` returns, e.g. ``numbered_parameters("layers", self.layers)``.
    """
    return [(f"{prefix}.{i}.{name}", p) for i, child in enumerate(children) for name, p in child.named_parameters()]
