"""Module scopes: which module (neuron, layer, ...) each value of a graph belongs to, from names.

A `Value` records no module, only an optional name. Parameters of `nn` modules are named by
their path, as in PyTorch's ``named_parameters()``: ``layers.0.neurons.3.w.1`` is weight 1 of
neuron 3 of layer 0. The *module path* of a name drops the parameter's own name and its indices:
``('layers', '0', 'neurons', '3')``. A *module* is a prefix of that path not followed by an
index (``layers.0`` and ``layers.0.neurons.3``; ``layers`` and ``layers.0.neurons`` are lists).

Values computed inside a module have no name, so their scope is inferred, rules 1-4 in
topological order, then rule 5 in reverse:

1. A named value is in the module of its name (a name without dots, such as ``x``, is at the
   top level).
2. An unnamed value made from parameters of a module (``w · x``, ``... + b``) is *anchored* in
   that module; parameters of several modules put it in their deepest common module.
3. An op of several inputs, all in one module and one of them anchored, is anchored there too
   (the partial sums of ``w0·x0 + w1·x1 + ...``).
4. A function of one input (``tanh``, ``relu``, ``leaky_relu``, ...: not arithmetic with a
   constant such as ``- 1.0`` or ``** 2``) applied to an anchored value joins its module,
   unanchored: that activation ends the module, so a loss computed from a module's output is
   not drawn inside the last neuron.
5. An unnamed value made from a module's values and used only inside that module is in it too
   (Python's ``sum(w * x for ...) + b`` starts with ``0 + w0·x0``).
6. Anything else (unnamed leaves, losses, ...) is at the top level.

A value can be put in a module explicitly by naming it, e.g. ``out.name = "layers.2.neurons.0.out"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autodiff.core.value import Value

__all__ = ["ModulePath", "infer_scopes", "module_path", "modules_of"]

ModulePath = tuple[str, ...]
"""A module's path: the parts of its dotted name, e.g. ``('layers', '0', 'neurons', '3')``."""

TOP_LEVEL: ModulePath = ()


def module_path(name: str) -> ModulePath:
    """The module a value named `name` belongs to: the name less its last part and its indices.

    ``module_path("layers.0.neurons.3.w.1") == ("layers", "0", "neurons", "3")``;
    ``module_path("x") == ()`` (top level).
    """
    parts = name.split(".")
    while parts and parts[-1].isdigit():
        parts.pop()
    return tuple(parts[:-1])


def modules_of(path: ModulePath) -> list[ModulePath]:
    """The modules that contain `path`, outermost first: its prefixes not followed by an index.

    ``modules_of(("layers", "0", "neurons", "3")) == [("layers", "0"), ("layers", "0", "neurons", "3")]``.
    """
    return [path[:end] for end in range(1, len(path) + 1) if end == len(path) or not path[end].isdigit()]


def _common_module(paths: Sequence[ModulePath]) -> ModulePath:
    first = paths[0]
    length = len(first)
    for path in paths[1:]:
        length = min(length, len(path))
        for index in range(length):
            if path[index] != first[index]:
                length = index
                break
    # the deepest module containing every path (a common list such as 'layers' is not a module)
    modules = [module for module in modules_of(first) if len(module) <= length]
    return modules[-1] if modules else TOP_LEVEL


def infer_scopes(order: Sequence[Value]) -> dict[Value, ModulePath]:
    """The module path of every value of `order` (a topological order), by the rules above."""
    scopes: dict[Value, ModulePath] = {}
    anchored: set[Value] = set()
    for value in order:
        if value.name is not None:
            scopes[value] = module_path(value.name)
            continue
        if value.op is None:
            scopes[value] = TOP_LEVEL
            continue
        parents = value.parents
        parameter_paths = [
            scopes[p] for p in parents if p.op is None and p.name is not None and scopes[p]
        ]
        first = scopes[parents[0]]
        if parameter_paths:
            scopes[value] = _common_module(parameter_paths)
            if scopes[value]:
                anchored.add(value)
        elif len(parents) > 1 and first and any(p in anchored for p in parents) and all(
            scopes[p] == first for p in parents
        ):
            scopes[value] = first
            anchored.add(value)
        # arithmetic written with an operator (``- 1.0``, ``** 2``, ``-x``) starts what follows a
        # module (a loss), never ends one: only a function (`Op.syntax` "call") joins it
        elif len(parents) == 1 and parents[0] in anchored and value.op.syntax == "call":
            scopes[value] = first
        else:
            scopes[value] = TOP_LEVEL
    _fill_sandwiched(order, scopes)
    return scopes


def _fill_sandwiched(order: Sequence[Value], scopes: dict[Value, ModulePath]) -> None:
    """Rule 5: put in a module the unnamed values made from it and used only by it."""
    users: dict[Value, list[Value]] = {}
    for value in order:
        for parent in value.parents:
            users.setdefault(parent, []).append(value)
    # users first, so that a chain of such values fills from its end
    for value in reversed(order):
        if scopes[value] or value.op is None or value.name is not None or value not in users:
            continue
        modules = {scopes[user] for user in users[value]}
        module = modules.pop()
        if not modules and module and any(scopes[parent] == module for parent in value.parents):
            scopes[value] = module
