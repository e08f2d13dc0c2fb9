"""Style law: no private name (``_x``) crosses a module boundary.

A module of `autodiff`, `nn` or `rl` may use its own private names only. No other module (another
module of the packages, a test, a benchmark, an example) imports them, reads them through the
module (``module._x``, ``monkeypatch.setattr("pkg.module._x", ...)``), or reads a private attribute
that a class of another module sets (``compiled._programs``, a subclass's ``self._x``). If two
modules need to share a helper, it gets a public, self-explaining name with a docstring.
"""

import ast
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("autodiff", "nn", "rl")
"""The packages whose private names stay inside their modules."""
READERS = (*PACKAGES, "tests", "benchmarks", "examples", "docs_hooks")
"""The folders whose modules must not use those private names."""

ATTRIBUTE_FUNCTIONS = ("getattr", "setattr", "hasattr", "delattr")
"""Calls that reach an attribute by name: ``setattr(module, "_x", ...)``, monkeypatch's included."""


def is_private(name: str) -> bool:
    """Whether `name` is private: a leading underscore, not a dunder, not Jupyter's display protocol."""
    if not name.startswith("_") or name == "_" or (name.startswith("__") and name.endswith("__")):
        return False
    return not (name.startswith(("_repr_", "_ipython_")) and name.endswith("_"))  # IPython calls these


def private_attributes(tree: ast.Module) -> set[str]:
    """The private attributes a module's classes own: ``self._x = ...``, class-level names, ``__slots__``."""
    owned = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and _is_self(node.value):
            owned.add(node.attr)
        elif isinstance(node, ast.ClassDef):
            for statement in node.body:
                if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    owned.add(statement.name)
                targets = statement.targets if isinstance(statement, ast.Assign) else (
                    [statement.target] if isinstance(statement, ast.AnnAssign) else [])
                for target in targets:
                    if isinstance(target, ast.Name):
                        owned.add(target.id)
                        if target.id == "__slots__" and statement.value is not None:
                            owned |= {c.value for c in ast.walk(statement.value)
                                      if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return {name for name in owned if is_private(name)}


def crossings(sources: Mapping[str, str], packages: tuple[str, ...] = PACKAGES) -> list[str]:
    """Every use of a private name of a module of `packages` outside it, as ``module:line: what``.

    `sources` maps dotted module names to their source code; the modules of `packages` among them
    are the owners of private names, every module is a reader.
    """
    trees = {module: ast.parse(source) for module, source in sources.items()}
    owners: dict[str, set[str]] = {}
    for module, tree in trees.items():
        if module.split(".")[0] in packages:
            for name in private_attributes(tree):
                owners.setdefault(name, set()).add(module)
    found = []
    for module, tree in trees.items():
        own = private_attributes(tree)

        def foreign(name: str, module: str = module, own: set[str] = own) -> bool:
            return name not in own and bool(owners.get(name, set()) - {module})

        found += [(module, line, what) for line, what in _uses(tree, packages, foreign)]
    return [f"{module}:{line}: {what}" for module, line, what in sorted(found)]


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in ("self", "cls")


def _root(node: ast.expr) -> ast.expr:
    """The start of a dotted chain: ``a`` of ``a.b.c``."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node


def _ours(module: str, packages: tuple[str, ...]) -> bool:
    return module.split(".")[0] in packages


def _uses(
    tree: ast.Module, packages: tuple[str, ...], foreign_attribute: Callable[[str], bool]
) -> Iterator[tuple[int, str]]:
    imported: dict[str, str] = {}  # a name bound by an import of one of our modules -> what it names
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            origin = "." * node.level + (node.module or "")
            for alias in node.names:
                if is_private(alias.name):
                    yield node.lineno, f"from {origin} import {alias.name}"
                if node.level or _ours(origin, packages):
                    imported[alias.asname or alias.name] = f"{origin}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _ours(alias.name, packages):
                    bound = alias.asname or alias.name.split(".")[0]
                    imported[bound] = alias.name if alias.asname else bound
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            root = _root(node.value)
            if isinstance(root, ast.Name) and root.id in imported:
                owner = imported[root.id] + ast.unparse(node.value)[len(root.id):]
                yield node.lineno, f"{ast.unparse(node)} (a private name of {owner})"
            elif foreign_attribute(node.attr):
                yield node.lineno, f"{ast.unparse(node)} (a private attribute of another module's class)"
        elif isinstance(node, ast.Call):
            function = ast.unparse(node.func)
            reaches_by_name = function.endswith(ATTRIBUTE_FUNCTIONS) or function.split(".")[-1] in ("patch", "object")
            if not reaches_by_name or not node.args:
                continue
            target = node.args[0]
            if isinstance(target, ast.Constant) and isinstance(target.value, str):
                parts = target.value.split(".")
                if _ours(target.value, packages) and any(is_private(part) for part in parts):
                    yield node.lineno, f"{function}({target.value!r})"
            elif len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
                root = _root(target)
                named = isinstance(root, ast.Name) and root.id in imported
                if is_private(node.args[1].value) and (named or foreign_attribute(node.args[1].value)):
                    yield node.lineno, f"{function}({ast.unparse(target)}, {node.args[1].value!r})"


def _project_sources() -> dict[str, str]:
    sources = {}
    for folder in READERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            sources[module.removesuffix(".__init__")] = path.read_text(encoding="utf-8")
    return sources


def test_no_private_name_crosses_a_module_boundary():
    found = crossings(_project_sources())
    assert found == [], "give each a public, self-explaining name with a docstring in the module that owns it"


PLANTED = {
    "pkg.engine": '''
class Node:
    __slots__ = ("_left", "data")

    def __init__(self):
        self._cache = {}
        self._left = None

    def _walk(self):
        return self._cache, self._left  # its own private names: fine

    def _repr_svg_(self):
        return ""


_HELPER = 1
''',
    "pkg.walker": '''
import pkg.engine
import pkg.engine as engine
from pkg import engine as same_engine
from pkg.engine import _HELPER, Node


class Walker(Node):
    def run(self):
        return self._cache  # set by Node, in another module


def walk(node):
    setattr(engine, "_HELPER", 2)
    return node._left, engine._HELPER, pkg.engine._HELPER, same_engine._HELPER, Node._walk, node._repr_svg_()
''',
    "tests.test_pkg": '''
import pkg.engine


def test_it(monkeypatch):
    monkeypatch.setattr("pkg.engine._HELPER", 3)
    monkeypatch.setattr(pkg.engine, "_HELPER", 3)
    monkeypatch.setattr("other.module._thing", 3)  # not one of the packages
''',
}


def test_the_check_finds_each_kind_of_planted_crossing():
    assert crossings(PLANTED, packages=("pkg",)) == [
        "pkg.walker:5: from pkg.engine import _HELPER",
        "pkg.walker:10: self._cache (a private attribute of another module's class)",
        "pkg.walker:14: setattr(engine, '_HELPER')",
        "pkg.walker:15: Node._walk (a private name of pkg.engine.Node)",
        "pkg.walker:15: engine._HELPER (a private name of pkg.engine)",
        "pkg.walker:15: node._left (a private attribute of another module's class)",
        "pkg.walker:15: pkg.engine._HELPER (a private name of pkg.engine)",
        "pkg.walker:15: same_engine._HELPER (a private name of pkg.engine)",
        "tests.test_pkg:6: monkeypatch.setattr('pkg.engine._HELPER')",
        "tests.test_pkg:7: monkeypatch.setattr(pkg.engine, '_HELPER')",
    ]
