"""Where personas are found, which one wins on a name, and what `agents lint` reports.

Search order, first wins on a name (compared as slugs, so ``Code Reviewer`` and
``code-reviewer`` are the same persona):

1. project ``.devagent/agents/``  (each folder from the current directory up to the workspace)
2. project ``.claude/agents/``    (same walk)
3. project ``.gemini/agents/``    (Gemini CLI keys, same walk)
4. project ``.opencode/agents/`` and ``.opencode/agent/`` (opencode keys, same walk)
5. ``$DEVAGENT_HOME/agents/``
6. ``~/.claude/agents/``
7. the built-in personas bundled from the repository's ``agents/``

Files are ``*.md`` anywhere below a search folder (hidden folders skipped), in path order. A
persona that loses on its name is kept in ``Catalog.shadowed``; a file that cannot be a
persona becomes a ``Problem``. Nothing here raises for a bad file.
"""

from __future__ import annotations

import difflib
import importlib.resources
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from devagent.errors import UsageError
from devagent.fsutil import folders_up, unique_by_path
from devagent.personas.persona import (
    Dialect,
    Origin,
    Persona,
    PersonaError,
    Problem,
    dialect_for,
    load_persona,
    slugify,
)
from devagent.personas.tools import classify, known_tools

PROJECT_DIRS: tuple[tuple[str, Dialect], ...] = (
    (".devagent/agents", "claude"),
    (".claude/agents", "claude"),
    (".gemini/agents", "gemini"),
    (".opencode/agents", "opencode"),
    (".opencode/agent", "opencode"),
)


@dataclass(frozen=True)
class SearchDir:
    """One folder searched for personas, with what its files are."""

    path: Path
    origin: Origin


@dataclass(frozen=True)
class Shadowed:
    """A persona that lost on its name to one found earlier in the search order."""

    persona: Persona
    by: Persona


@dataclass
class Catalog:
    """The personas found: winners in search order, the shadowed, and the files that failed."""

    personas: list[Persona] = field(default_factory=list)
    shadowed: list[Shadowed] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    _by_slug: dict[str, Persona] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for persona in self.personas:
            self._by_slug.setdefault(persona.slug, persona)

    def __iter__(self) -> Iterator[Persona]:
        return iter(self.personas)

    def names(self) -> list[str]:
        return [persona.name for persona in self.personas]

    def add(self, persona: Persona) -> None:
        """Keep ``persona`` unless a persona with the same slug is already here."""
        winner = self._by_slug.get(persona.slug)
        if winner is None:
            self.personas.append(persona)
            self._by_slug[persona.slug] = persona
        else:
            self.shadowed.append(Shadowed(persona, winner))

    def get(self, name: str) -> Persona | None:
        """The persona called ``name`` (exactly, or as its ``--agent`` slug), else None."""
        exact = next((p for p in self.personas if p.name == name), None)
        return exact or self._by_slug.get(slugify(name))

    def close_matches(self, name: str, limit: int = 3) -> list[str]:
        """Names close to ``name``, best first, for "did you mean" messages."""
        by_slug = {p.slug: p.name for p in self.personas}
        close = difflib.get_close_matches(slugify(name), list(by_slug), n=limit, cutoff=0.5)
        contained = [s for s in by_slug if slugify(name) in s and s not in close]
        return [by_slug[slug] for slug in [*close, *contained][:limit]]

    def find(self, name: str) -> Persona:
        """The persona called ``name``; a ``UsageError`` naming close matches otherwise."""
        persona = self.get(name)
        if persona is not None:
            return persona
        close = self.close_matches(name)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UsageError(
            f"Unknown agent {name!r}.{hint} Run `devagent agents list` to see every agent."
        )


def bundled_agents_dir() -> Path | None:
    """The built-in personas: inside the installed wheel, else the source tree's ``agents/``."""
    packaged = importlib.resources.files("devagent") / "bundled_agents"
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    # src/devagent/personas/catalog.py -> the repository root is three folders up.
    source_tree = Path(__file__).resolve().parents[3] / "agents"
    return source_tree if source_tree.is_dir() else None


def search_dirs(
    cwd: Path,
    workspace: Path,
    home: Path,
    user_home: Path | None = None,
    builtin_dir: Path | None = None,
) -> list[SearchDir]:
    """The folders to search, in order (see the module docstring); missing ones included."""
    found: list[SearchDir] = []
    for relative, dialect in PROJECT_DIRS:
        for folder in folders_up(cwd, workspace):
            found.append(SearchDir(folder / relative, Origin("project", relative, dialect)))
    user_home = Path.home() if user_home is None else user_home
    found.append(SearchDir(home / "agents", Origin("user", "$DEVAGENT_HOME/agents")))
    found.append(SearchDir(user_home / ".claude" / "agents", Origin("user", "~/.claude/agents")))
    builtin = bundled_agents_dir() if builtin_dir is None else builtin_dir
    if builtin is not None:
        found.append(SearchDir(builtin, Origin("builtin", "builtin")))
    return unique_by_path(found, lambda d: d.path)


def persona_files(folder: Path) -> list[Path]:
    """Every ``*.md`` file below ``folder`` in path order, skipping hidden folders."""
    if not folder.is_dir():
        return []
    files: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files += [Path(root) / n for n in names if n.lower().endswith(".md")]
    return sorted(files, key=lambda path: path.relative_to(folder).parts)


def discover(
    cwd: Path,
    workspace: Path,
    home: Path,
    user_home: Path | None = None,
    *,
    builtin_dir: Path | None = None,
    aliases: Mapping[str, str] | None = None,
) -> Catalog:
    """Every persona visible from ``cwd``: ``home`` is ``$DEVAGENT_HOME``, ``user_home`` is ~."""
    catalog = Catalog()
    for folder in search_dirs(cwd, workspace, home, user_home, builtin_dir):
        for path in persona_files(folder.path):
            try:
                catalog.add(load_persona(path, folder.origin, aliases))
            except PersonaError as exc:
                catalog.problems.append(Problem(path, str(exc)))
    return catalog


def persona_problems(persona: Persona, available: Sequence[str] | None = None) -> list[Problem]:
    """Warnings about a persona that loaded: recovered YAML, unused keys, odd tools, model.

    ``available`` are the tools a run offers (default: every tool devagent has).
    """
    available = known_tools() if available is None else available
    found = [Problem(persona.path, warning, "warning") for warning in persona.warnings]
    if persona.extra:
        keys = ", ".join(sorted(persona.extra))
        found.append(Problem(persona.path, f"keys devagent does not use (kept): {keys}", "warning"))
    declared = [*(persona.tools or []), *persona.disallowed_tools]
    unknown = [name for name in declared if classify(name) == "unknown"]
    missing = [name for name in persona.tools or [] if classify(name) == "foreign"]
    missing = [name for name in missing if name not in available]
    if unknown:
        found.append(Problem(persona.path, f"unknown tool names: {', '.join(unknown)}", "warning"))
    if missing:
        text = f"tools devagent does not provide (skipped): {', '.join(missing)}"
        found.append(Problem(persona.path, text, "warning"))
    found += [
        Problem(persona.path, text, "warning") for text in _missing_servers(persona, available)
    ]
    return found


def mcp_server_of(name: str) -> str | None:
    """The server part of ``mcp__SERVER__TOOL`` (or ``mcp__SERVER``); None for other names."""
    parts = name.split("__")
    return parts[1] if len(parts) >= 2 and parts[0] == "mcp" and parts[1] else None


def _missing_servers(persona: Persona, available: Sequence[str]) -> list[str]:
    """One line per MCP server the persona names that is not configured (no tool of it is
    ``available``), with the tools it names."""
    offered = {mcp_server_of(name) for name in available}
    by_server: dict[str, list[str]] = {}
    for name in persona.tools or []:
        server = mcp_server_of(name)
        if server is not None and server not in offered:
            by_server.setdefault(server, []).append(name)
    return [
        f"MCP server {server} is not configured (its tools are skipped): {', '.join(names)}"
        for server, names in by_server.items()
    ]


def lint(
    paths: Sequence[Path],
    aliases: Mapping[str, str] | None = None,
    available: Sequence[str] | None = None,
) -> list[Problem]:
    """Problems in the persona files at ``paths`` (files or folders), in path order.

    Errors are files that cannot load; everything else is a warning.
    """
    files, problems = lint_targets(paths)
    first_by_slug: dict[str, Persona] = {}
    for path in files:
        try:
            persona = load_persona(path, Origin(dialect=dialect_for(path)), aliases)
        except PersonaError as exc:
            problems.append(Problem(path, str(exc)))
            continue
        problems += persona_problems(persona, available)
        first = first_by_slug.setdefault(persona.slug, persona)
        if first is not persona:
            text = f"duplicate name {persona.name!r}: {first.path} has it too and wins"
            problems.append(Problem(path, text, "warning"))
    return problems


def lint_targets(paths: Sequence[Path]) -> tuple[list[Path], list[Problem]]:
    """The persona files at ``paths`` (folders expanded) and the paths that do not exist."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            files += persona_files(path)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(path, "no such file or folder"))
    return files, problems
