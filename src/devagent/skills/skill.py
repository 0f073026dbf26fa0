"""The Skill type and how one ``SKILL.md`` folder becomes one, leniently.

A skill is a folder holding ``SKILL.md``: frontmatter (``name``, ``description``, optional
``license``, ``compatibility``, ``metadata``, ``allowed-tools``, and Claude Code's
``user-invocable``, ``disable-model-invocation``, ``argument-hint``) and a Markdown body, the
instructions. Files are read as other agents read them: a missing ``name`` is the folder's
name, a missing ``description`` the body's first paragraph, frontmatter that is not valid YAML
is read leniently. What the Agent Skills specification requires but a file does not meet
becomes a warning (``Skill.warnings``); only a file with nothing to load raises
``SkillError``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from devagent.frontmatter import Frontmatter, FrontmatterError, normalize_text, parse
from devagent.permissions import InvalidRuleError, Rule

SKILL_FILE = "SKILL.md"
MAX_SKILL_BYTES = 1_000_000
NAME_MAX = 64
DESCRIPTION_MAX = 1024
COMPATIBILITY_MAX = 500
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

Scope = Literal["project", "user", "path"]
Severity = Literal["error", "warning"]


class SkillError(Exception):
    """This folder cannot be a skill; the message says why and what to change."""


@dataclass(frozen=True)
class Problem:
    """Something wrong with one skill. ``error`` means it did not load."""

    path: Path
    message: str
    severity: Severity = "error"


@dataclass(frozen=True)
class Skill:
    """One skill as found. ``folder`` is where its relative references resolve; ``source``
    says which search folder it came from (``.claude/skills``, ``~/.codex/skills``)."""

    name: str
    description: str
    folder: Path
    body: str
    scope: Scope = "path"
    source: str = ""
    license: str | None = None
    compatibility: str | None = None
    metadata: Mapping[str, object] = field(default_factory=dict)
    allowed_tools: tuple[str, ...] = ()
    user_invocable: bool = True
    model_invocable: bool = True
    argument_hint: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def path(self) -> Path:
        """The ``SKILL.md`` file."""
        return self.folder / SKILL_FILE


def split_tool_rules(value: object) -> list[str]:
    """``allowed-tools`` as rule texts: a list, or one string of rules separated by commas or
    spaces outside parentheses (``Bash(git status:*) Read, Grep``)."""
    if isinstance(value, list):
        return [rule for item in value for rule in split_tool_rules(item)]
    if not isinstance(value, str):
        return []
    rules: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in value:
        if (ch == "," or ch.isspace()) and depth == 0:
            rules.append("".join(current))
            current = []
            continue
        depth += 1 if ch == "(" else -1 if ch == ")" and depth > 0 else 0
        current.append(ch)
    rules.append("".join(current))
    return [rule.strip() for rule in rules if rule.strip()]


def first_paragraph(body: str) -> str:
    """The first paragraph of Markdown text that is not a heading, joined into one line."""
    lines: list[str] = []
    for line in body.splitlines():
        stripped = line.strip()
        if not stripped:
            if lines:
                break
            continue
        if stripped.startswith("#") and not lines:
            continue
        lines.append(stripped)
    return " ".join(lines)


def load_skill(folder: Path, scope: Scope = "path", source: str = "") -> Skill:
    """The skill in ``folder``; ``SkillError`` when its ``SKILL.md`` cannot be one."""
    text = _read(folder / SKILL_FILE)
    try:
        front = parse(text)
    except FrontmatterError as exc:
        if "not closed" in str(exc):
            raise SkillError(f"{exc}; the file cannot be read as a skill") from exc
        front = Frontmatter({}, normalize_text(text).strip(), True, [f"{exc}; read as body only"])
    return _skill_from(folder, front, scope, source)


def _read(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SKILL_BYTES + 1)
    except OSError as exc:
        raise SkillError(f"cannot read {path.name}: {exc.strerror or exc}") from exc
    if len(data) > MAX_SKILL_BYTES:
        raise SkillError(f"{path.name} is over {MAX_SKILL_BYTES // 1_000_000} MB; not loaded")
    if b"\x00" in data:
        raise SkillError(f"{path.name} is not text (it holds NUL bytes)")
    return data.decode("utf-8", errors="replace")


def _text(fields: Mapping[str, object], key: str) -> str | None:
    value = fields.get(key)
    if value is None:
        return None
    return value.strip() if isinstance(value, str) else str(value).strip()


def _flag(fields: Mapping[str, object], key: str, default: bool, warnings: list[str]) -> bool:
    value = fields.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    warnings.append(f"{key} should be true or false, not {value!r}; using {default}")
    return default


def _skill_from(folder: Path, front: Frontmatter, scope: Scope, source: str) -> Skill:
    fields, warnings = front.fields, list(front.notes)
    name = _text(fields, "name") or ""
    if not name:
        warnings.append(f"no name: the folder's name {folder.name!r} is used")
        name = folder.name
    description = _text(fields, "description") or ""
    if not description:
        description = first_paragraph(front.body)
        warnings.append("no description: the body's first paragraph is used")
    if not description and not front.body.strip():
        raise SkillError("no description and no body: there is nothing to load")
    metadata = fields.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        warnings.append("metadata should be a mapping of keys to strings; it is ignored")
        metadata = None
    rules, bad = _rules(fields, warnings)
    return Skill(
        name=name,
        description=description,
        folder=folder,
        body=front.body,
        scope=scope,
        source=source,
        license=_text(fields, "license"),
        compatibility=_text(fields, "compatibility"),
        metadata={str(k): v for k, v in (metadata or {}).items()},
        allowed_tools=tuple(rules),
        user_invocable=_flag(fields, "user-invocable", True, warnings),
        model_invocable=not _flag(fields, "disable-model-invocation", False, warnings),
        argument_hint=_text(fields, "argument-hint"),
        warnings=tuple(warnings + bad),
    )


def _rules(fields: Mapping[str, object], warnings: list[str]) -> tuple[list[str], list[str]]:
    raw = fields.get("allowed-tools")
    if raw is None:
        return [], []
    if not isinstance(raw, str | list):
        warnings.append("allowed-tools should be a string or a list of rules; it is ignored")
        return [], []
    good: list[str] = []
    bad: list[str] = []
    for rule in split_tool_rules(raw):
        try:
            good.append(Rule.parse(rule, "skill").text)
        except InvalidRuleError as exc:
            bad.append(f"allowed-tools: {exc}; ignored")
    return good, bad


def spec_warnings(skill: Skill) -> list[str]:
    """What the Agent Skills specification requires and ``skill`` does not meet."""
    found: list[str] = []
    name = skill.name
    if not 1 <= len(name) <= NAME_MAX:
        found.append(f"name must be 1-{NAME_MAX} characters (it has {len(name)})")
    if not _NAME.match(name):
        if "--" in name:
            found.append(f"name {name!r} must not contain '--'")
        found.append(
            f"name {name!r} may hold only lowercase letters, digits and single hyphens, "
            "and may not start or end with a hyphen"
        )
    if name != skill.folder.name:
        found.append(f"name {name!r} differs from its folder's name {skill.folder.name!r}")
    if not 1 <= len(skill.description) <= DESCRIPTION_MAX:
        found.append(
            f"description must be 1-{DESCRIPTION_MAX} characters (it has {len(skill.description)})"
        )
    if skill.compatibility is not None and len(skill.compatibility) > COMPATIBILITY_MAX:
        found.append(
            f"compatibility must be at most {COMPATIBILITY_MAX} characters (it has "
            f"{len(skill.compatibility)})"
        )
    return found
