"""The architecture holds: imports go one way, heavy libraries stay where they belong, and the
code is ruff-clean and passes mypy --strict."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "devagent"

# Lower layers never import higher ones: cli → ui → agent → domain → foundation.
FOUNDATION = {
    "__init__",
    "errors",
    "messages",
    "events",
    "config",
    "approval",
    "toolkinds",
    "fsutil",
}
TOP = {"__main__", "cli", "runtime", "commands"}
UI_LIBRARIES = {"rich", "prompt_toolkit", "typer", "click"}


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    return ".".join(rel.parts)


def layer(name: str) -> int:
    head = name.split(".")[0]
    if name in FOUNDATION:
        return 0
    if head in TOP:
        return 4
    if head == "ui":
        return 3
    if head in ("agent", "subagents", "review", "assembly", "conversation"):
        return 2
    return 1


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_go_one_way(name: str) -> None:
    for target in imports(MODULES[name]):
        if not target.startswith("devagent."):
            continue
        inner = target.removeprefix("devagent.")
        assert layer(inner) <= layer(name), f"{name} (layer {layer(name)}) imports {inner}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_only_the_adapter_imports_the_sdk(name: str) -> None:
    heavy = {t.split(".")[0] for t in imports(MODULES[name])} & {"anthropic", "httpx2"}
    if name != "llm.anthropic":
        assert not heavy, f"{name} imports {heavy}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if layer(n) <= 2))
def test_nothing_below_ui_imports_terminal_libraries(name: str) -> None:
    used = {t.split(".")[0] for t in imports(MODULES[name])} & UI_LIBRARIES
    assert not used, f"{name} imports {used}"


def test_importing_the_package_has_no_side_effects() -> None:
    code = "import devagent, sys; print(sorted(m for m in sys.modules if m.startswith('devagent')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['devagent']" and out.stderr == ""


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (it comes with the test extras)")
    return found


def test_ruff_is_clean() -> None:
    ruff = _tool("ruff")
    targets = ["src", "tests", "bench", "completions"]
    present = [t for t in targets if (ROOT / t).exists()]
    check = subprocess.run([ruff, "check", *present], cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = subprocess.run(
        [ruff, "format", "--check", "src"], cwd=ROOT, capture_output=True, text=True
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_strict_is_clean() -> None:
    mypy = _tool("mypy")
    done = subprocess.run([mypy], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
