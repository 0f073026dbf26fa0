"""The package's import graph, read from source with ``ast`` (nothing is imported).

Modules are named relative to the package: ``agent``, ``ui.repl``, ``personas`` for
``personas/__init__.py`` and ``__init__`` for the package root. Every import counts: module level,
inside functions, under ``if TYPE_CHECKING:``, absolute and relative. The edges of one statement:

- ``import devagent.a.b`` → ``a.b``;
- ``from devagent.a import n`` → ``a`` (its ``__init__`` runs and is asked for ``n``), plus
  ``a.n`` when that is a module;
- ``from devagent import n`` → ``__init__``, plus ``n`` when that is a module.

Parent packages that Python initialises on the way to a submodule are not edges: that would make
every package that re-exports its submodules a cycle. A module's edge to itself is dropped (a
package ``__init__`` importing its own submodules through its own name).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT_PACKAGE = "devagent"
ROOT_MODULE = "__init__"

Graph = Mapping[str, frozenset[str]]


def module_names(package: Path) -> dict[str, Path]:
    """Every module under ``package``, by name."""
    found: dict[str, Path] = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts) or ROOT_MODULE] = path
    return found


def _inner(dotted: str) -> str | None:
    """``devagent.a.b`` → ``a.b``; ``devagent`` → ``__init__``; other packages → None."""
    if dotted == ROOT_PACKAGE:
        return ROOT_MODULE
    if dotted.startswith(ROOT_PACKAGE + "."):
        return dotted.removeprefix(ROOT_PACKAGE + ".")
    return None


def _absolute(node: ast.ImportFrom, name: str, package: bool) -> str:
    """The absolute dotted module an ``ImportFrom`` names, relative levels resolved."""
    if node.level == 0:
        return node.module or ""
    here = [] if name == ROOT_MODULE else name.split(".")
    base = here if package else here[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([ROOT_PACKAGE, *base, *([node.module] if node.module else [])])


def _child(parent: str, leaf: str) -> str:
    return leaf if parent == ROOT_MODULE else f"{parent}.{leaf}"


def statement_targets(
    node: ast.Import | ast.ImportFrom, name: str, package: bool, known: Iterable[str]
) -> tuple[set[str], set[str]]:
    """(package modules, top-level outside libraries) one import statement reaches."""
    modules = set(known)
    inside: set[str] = set()
    outside: set[str] = set()
    if isinstance(node, ast.Import):
        for alias in node.names:
            target = _inner(alias.name)
            if target is None:
                outside.add(alias.name.split(".")[0])
            else:
                inside.add(target)
        return inside, outside
    dotted = _absolute(node, name, package)
    target = _inner(dotted)
    if target is None:
        outside.add(dotted.split(".")[0])
        return inside, outside
    inside.add(target)
    inside.update(c for a in node.names if (c := _child(target, a.name)) in modules)
    return inside, outside


def imports_of(
    source: str, name: str, package: bool, known: Iterable[str]
) -> tuple[frozenset[str], frozenset[str]]:
    """(package modules, outside libraries) that the module ``name`` imports anywhere."""
    known = frozenset(known)
    inside: set[str] = set()
    outside: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            found_inside, found_outside = statement_targets(node, name, package, known)
            inside |= found_inside
            outside |= found_outside
    inside.discard(name)
    return frozenset(inside), frozenset(outside)


def find_cycle(graph: Graph) -> list[str] | None:
    """One import cycle as a closed path (``[a, b, a]``), or None when the graph has none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, frozenset())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None
