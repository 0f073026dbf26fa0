"""The import-graph reader that the architecture test relies on: it sees every kind of import and
its cycle check reports a planted cycle."""

from __future__ import annotations

from pathlib import Path

from importgraph import find_cycle, imports_of, module_names

KNOWN = frozenset({"__init__", "a", "b", "pkg", "pkg.one", "pkg.two", "pkg.sub", "pkg.sub.deep"})


def test_module_names_cover_packages_and_the_root(tmp_path: Path) -> None:
    for rel in ("__init__.py", "a.py", "pkg/__init__.py", "pkg/one.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    assert sorted(module_names(tmp_path)) == ["__init__", "a", "pkg", "pkg.one"]


def test_function_level_and_type_checking_imports_count() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from devagent.a import Thing\n"
        "def later() -> None:\n"
        "    import devagent.b\n"
        "    import rich.console\n"
    )
    inside, outside = imports_of(source, "pkg.one", False, KNOWN)
    assert inside == {"a", "b"}
    assert outside == {"typing", "rich"}


def test_relative_imports_resolve_from_a_module_and_from_a_package() -> None:
    source = "from . import two\nfrom .. import a\nfrom .sub.deep import x\n"
    assert imports_of(source, "pkg.one", False, KNOWN)[0] == {
        "pkg",
        "pkg.two",
        "__init__",
        "a",
        "pkg.sub.deep",
    }
    from_package = imports_of("from .one import y\nfrom . import two\n", "pkg", True, KNOWN)[0]
    assert from_package == {"pkg.one", "pkg.two"}


def test_from_a_package_import_reaches_the_package_itself() -> None:
    inside, _ = imports_of("from devagent.pkg import one, helper\n", "b", False, KNOWN)
    assert inside == {"pkg", "pkg.one"}
    assert imports_of("from devagent import __version__\n", "a", False, KNOWN)[0] == {"__init__"}


def test_a_package_naming_its_own_submodules_is_no_self_edge() -> None:
    inside, _ = imports_of("from devagent.pkg import one, two\n", "pkg", True, KNOWN)
    assert inside == {"pkg.one", "pkg.two"}


def test_a_planted_cycle_is_reported_as_a_closed_path() -> None:
    graph = {
        "a": frozenset({"b"}),
        "b": frozenset({"c", "d"}),
        "c": frozenset(),
        "d": frozenset({"a"}),
    }
    assert find_cycle(graph) == ["a", "b", "d", "a"]


def test_an_acyclic_graph_has_no_cycle() -> None:
    graph = {"a": frozenset({"b", "c"}), "b": frozenset({"c"}), "c": frozenset()}
    assert find_cycle(graph) is None


def test_a_cycle_hidden_in_lazy_imports_is_found() -> None:
    sources = {
        "pkg": "from devagent.pkg.one import run\n",
        "pkg.one": "def run() -> None:\n    from devagent.b import go\n",
        "b": "if TYPE_CHECKING:\n    from devagent.pkg import Thing\n",
    }
    graph = {
        name: imports_of(text, name, name == "pkg", KNOWN)[0] for name, text in sources.items()
    }
    assert find_cycle(graph) == ["b", "pkg", "pkg.one", "b"]
