"""The Persona type and how one file becomes one (Claude Code, Gemini CLI or opencode keys).

A file that cannot be a persona (no frontmatter, no name, no description, a remote agent)
raises ``PersonaError`` with a message written for the person who owns the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from devagent.config import is_known_model
from devagent.frontmatter import FrontmatterError
from devagent.frontmatter import parse as parse_frontmatter
from devagent.personas.tools import (
    GEMINI_TOOLS,
    OPENCODE_TOOLS,
    UnreadableToolList,
    map_names,
    narrow_tools,
    opencode_permission_tools,
    parse_tool_list,
)

Scope = Literal["project", "user", "builtin", "path"]
Dialect = Literal["claude", "gemini", "opencode"]
Severity = Literal["error", "warning"]

TOOLS_KEYS = ("tools", "allowed-tools", "allowed_tools", "allowedTools")
DISALLOWED_KEYS = ("disallowedTools", "disallowed-tools", "disallowed_tools")
CLAUDE_KEYS = frozenset({"name", "description", "model", "color", *TOOLS_KEYS, *DISALLOWED_KEYS})
GEMINI_KEYS = frozenset({"name", "description", "model", "tools", "kind"})
OPENCODE_KEYS = frozenset({"name", "description", "model", "tools", "permission", "color"})
USED_KEYS: dict[Dialect, frozenset[str]] = {
    "claude": CLAUDE_KEYS,
    "gemini": GEMINI_KEYS,
    "opencode": OPENCODE_KEYS,
}
# Providers whose ``provider/model`` ids name a model devagent can run.
OUR_PROVIDERS = ("anthropic",)


class PersonaError(Exception):
    """This file cannot be a persona; the message says why and what to change."""


@dataclass(frozen=True)
class Problem:
    """Something wrong with one file. ``error`` means it did not load."""

    path: Path
    message: str
    severity: Severity = "error"


def slugify(name: str) -> str:
    """The ``--agent`` spelling of a name: lowercase, runs of other characters as ``-``."""
    slug = re.sub(r"[^a-z0-9_]+", "-", name.strip().lower()).strip("-")
    return slug or "agent"


@dataclass(frozen=True)
class Persona:
    """One persona: what it is for, which tools and model it asks for, and its prompt.

    ``tools`` None means every tool; ``[]`` means none. ``model`` is an alias, a model id or
    ``inherit``; ``declared_model`` is what the file said. ``extra`` keeps keys devagent does
    not use; ``warnings`` says what was recovered or ignored while loading. ``tools_problem``
    says why a tool list could not be read: such a persona gets no tools (fail closed), and
    every run that uses it shows the reason.
    """

    name: str
    description: str
    body: str
    path: Path
    tools: list[str] | None = None
    disallowed_tools: list[str] = field(default_factory=list)
    model: str = "inherit"
    declared_model: str | None = None
    color: str | None = None
    scope: Scope = "path"
    source: str = "path"
    dialect: Dialect = "claude"
    extra: dict[str, object] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    recovered: bool = False
    tools_problem: str | None = None

    @property
    def slug(self) -> str:
        return slugify(self.name)


def effective_tools(
    persona: Persona, available: Sequence[str]
) -> tuple[list[str] | None, list[str]]:
    """(tools to offer, None = all of ``available``; declared names that are not available)."""
    return narrow_tools(persona.tools, persona.disallowed_tools, available)


@dataclass(frozen=True)
class Origin:
    """Where a file was found: its scope, source label and key dialect."""

    scope: Scope = "path"
    source: str = "path"
    dialect: Dialect = "claude"


@dataclass
class _Draft:
    """Fields gathered by a dialect reader before the Persona is built."""

    name: str
    description: str
    tools: list[str] | None = None
    disallowed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    tools_problem: str | None = None

    def read_tools(self, key: str, value: object) -> list[str] | None:
        """``parse_tool_list(value)``; an unreadable list leaves the persona no tools."""
        try:
            return parse_tool_list(value)
        except UnreadableToolList as exc:
            self.tools_problem = (
                f"its {key!r} line cannot be read ({exc}), so it gets no tools; "
                "write a list of names like `tools: Read, Grep`"
            )
            self.warnings.append(self.tools_problem)
            self.tools = []
            return []


def dialect_for(path: Path) -> Dialect:
    """The key dialect of a file, from the tool that owns its ``agents`` folder."""
    for folder in path.parents:
        if folder.name in ("agents", "agent"):
            owner = folder.parent.name
            if owner == ".gemini":
                return "gemini"
            return "opencode" if owner in (".opencode", "opencode") else "claude"
    return "claude"


def load_persona(
    path: Path, origin: Origin | None = None, aliases: Mapping[str, str] | None = None
) -> Persona:
    """Read and parse one persona file. Raises ``PersonaError``."""
    origin = origin or Origin(dialect=dialect_for(path))
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise PersonaError(f"cannot read the file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise PersonaError(f"not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc
    return parse_persona(text, path, origin, aliases)


def parse_persona(
    text: str,
    path: Path,
    origin: Origin | None = None,
    aliases: Mapping[str, str] | None = None,
) -> Persona:
    """Build a persona from a file's text. Raises ``PersonaError``."""
    origin = origin or Origin()
    try:
        front = parse_frontmatter(text)
    except FrontmatterError as exc:
        raise PersonaError(str(exc)) from exc
    fields = front.fields
    draft = _READERS[origin.dialect](fields, path)
    model, declared, model_warning = resolve_persona_model(fields.get("model"), aliases)
    warnings = [*front.notes, *draft.warnings, *([model_warning] if model_warning else [])]
    color = fields.get("color")
    return Persona(
        name=draft.name,
        description=draft.description,
        body=front.body,
        path=path,
        tools=draft.tools,
        disallowed_tools=draft.disallowed,
        model=model,
        declared_model=declared,
        color=None if color is None else str(color),
        scope=origin.scope,
        source=origin.source,
        dialect=origin.dialect,
        extra={k: v for k, v in fields.items() if k not in USED_KEYS[origin.dialect]},
        warnings=warnings,
        recovered=front.recovered,
        tools_problem=draft.tools_problem,
    )


def resolve_persona_model(
    value: object, aliases: Mapping[str, str] | None = None
) -> tuple[str, str | None, str | None]:
    """(model to use, model as declared, warning). Unknown models fall back to ``inherit``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "inherit", None, None
    declared = str(value).strip()
    provider, slash, rest = declared.partition("/")
    candidate = rest if slash and provider.lower() in OUR_PROVIDERS else declared
    for spelling in (candidate, candidate.lower()):
        if is_known_model(spelling, aliases):
            return spelling, declared, None
    return "inherit", declared, f"unknown model {declared!r}; the parent's model is used"


def _text(fields: Mapping[str, object], key: str) -> str | None:
    value = fields.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list | dict):
        raise PersonaError(f"{key!r} must be text, not a {type(value).__name__}")
    return str(value)


def _required(fields: Mapping[str, object], key: str, example: str) -> str:
    value = _text(fields, key)
    if value is None:
        raise PersonaError(f"no {key!r} in the frontmatter: add a line like `{key}: {example}`")
    return value


def _claude_tools(fields: Mapping[str, object], draft: _Draft) -> None:
    key = next((k for k in TOOLS_KEYS if k in fields), None)
    if key is not None and fields[key] is None:
        draft.warnings.append(f"{key!r} is empty, so every tool is offered; write `[]` for none")
    elif key is not None:
        draft.tools = draft.read_tools(key, fields[key])
    key = next((k for k in DISALLOWED_KEYS if k in fields), None)
    if key is not None:
        draft.disallowed = draft.read_tools(key, fields[key]) or []


def _read_claude(fields: Mapping[str, object], path: Path) -> _Draft:
    draft = _Draft(
        _required(fields, "name", "my-agent"),
        _required(fields, "description", "what this agent is for"),
    )
    _claude_tools(fields, draft)
    return draft


def _read_gemini(fields: Mapping[str, object], path: Path) -> _Draft:
    if str(fields.get("kind", "local")).strip().lower() == "remote":
        raise PersonaError("a remote (A2A) Gemini agent: devagent runs only local personas")
    draft = _Draft(
        _required(fields, "name", "my-agent"),
        _required(fields, "description", "what this agent is for"),
    )
    declared = draft.read_tools("tools", fields.get("tools"))
    if declared is not None and "*" not in declared and draft.tools_problem is None:
        draft.tools = map_names(declared, GEMINI_TOOLS)
    return draft


def _read_opencode(fields: Mapping[str, object], path: Path) -> _Draft:
    draft = _Draft(
        _text(fields, "name") or path.stem,
        _required(fields, "description", "what this agent is for"),
    )
    tools = fields.get("tools")
    if isinstance(tools, Mapping):
        draft.tools, draft.disallowed = _opencode_switches(tools)
    elif tools is not None:
        declared = draft.read_tools("tools", tools) or []
        draft.tools = [] if draft.tools_problem else map_names(declared, OPENCODE_TOOLS)
    permission = fields.get("permission")
    if isinstance(permission, Mapping):
        denied = [str(k) for k, v in permission.items() if v == "deny"]
        draft.disallowed += map_names(denied, opencode_permission_tools())
    return draft


def _opencode_switches(switches: Mapping[object, object]) -> tuple[list[str] | None, list[str]]:
    """opencode's ``tools: {write: false}``: every tool is on unless switched off."""
    on = [str(k) for k, v in switches.items() if v is True and k != "*"]
    off = [str(k) for k, v in switches.items() if v is False and k != "*"]
    disallowed = map_names(off, OPENCODE_TOOLS)
    if switches.get("*") is False:
        return map_names(on, OPENCODE_TOOLS), disallowed
    return None, disallowed


_READERS: dict[Dialect, Callable[[Mapping[str, object], Path], _Draft]] = {
    "claude": _read_claude,
    "gemini": _read_gemini,
    "opencode": _read_opencode,
}
