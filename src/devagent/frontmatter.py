"""Frontmatter splitting and parsing: strict YAML first, then a reader for files as written.

Shared by personas (``*.md`` agent files) and skills (``SKILL.md``), which are often not valid
YAML: descriptions hold unquoted ``: ``, ``<example>`` blocks with ``user:`` lines at column 0,
``**bold**`` values. When strict parsing fails, the
tolerant reader starts a new field only at a known or key-shaped line at the block's
indentation and keeps every other line as part of the current value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

FENCE = re.compile(r"^(?P<indent>[ \t]*)-{3,}[ \t]*$")
KEY_LINE = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)[ \t]*:(?:[ \t]+(?P<rest>.*))?$")
# Only these tags hold dialogue lines; others (``<br>``, ``List<T>``) never nest fields.
BLOCK_TAG = re.compile(r"<(/?)(example|examples|commentary|context|user|assistant)\s*>", re.I)
ESCAPES = re.compile(r"\\(.)")
ESCAPE_MAP = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "/": "/", "0": "\0"}

# Keys that always start a field, whatever surrounds them: the persona keys of Claude Code,
# Gemini CLI and opencode, and the skill keys of the Agent Skills format and Claude Code.
KNOWN_KEYS = frozenset(
    {
        "name",
        "description",
        "tools",
        "allowed-tools",
        "allowed_tools",
        "allowedTools",
        "disallowedTools",
        "disallowed-tools",
        "disallowed_tools",
        "model",
        "color",
        "permissionMode",
        "skills",
        "memory",
        "hooks",
        "mcpServers",
        "kind",
        "temperature",
        "max_turns",
        "timeout_mins",
        "mode",
        "permission",
        "prompt",
        "hidden",
        "disable",
        "maxSteps",
        "license",
        "compatibility",
        "metadata",
        "user-invocable",
        "disable-model-invocation",
        "argument-hint",
    }
)

# Words that open dialogue lines inside descriptions (``user: "..."``); never a new field.
DIALOGUE_WORDS = frozenset(
    {"user", "assistant", "human", "ai", "system", "context", "commentary", "example", "examples"}
)
BLOCK_INDICATOR = re.compile(r"^[|>][-+0-9]*$")
# libyaml's loader where PyYAML was built with it: the same results, several times faster.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FrontmatterError(ValueError):
    """The text has no usable frontmatter block; the message says what is missing."""


@dataclass(frozen=True)
class Frontmatter:
    """The fields and body of one persona or skill file.

    ``recovered`` is set when strict YAML failed and the tolerant reader produced ``fields``;
    ``notes`` says why, for ``agents lint``.
    """

    fields: dict[str, object]
    body: str
    recovered: bool = False
    notes: list[str] = field(default_factory=list)


def normalize_text(text: str) -> str:
    """Drop a byte-order mark and turn CRLF and bare CR into LF."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _strip_indent(line: str, indent: str) -> str:
    """``line`` without the whole-file ``indent``, or without what it has of it."""
    return line[len(indent) :] if line.startswith(indent) else line.lstrip(" \t")


def split(text: str) -> tuple[list[str], str]:
    """The frontmatter lines and the body of ``text``.

    Leading blank lines are skipped; a file indented as a whole is dedented by its opening
    fence's indentation; fences are three or more dashes. Raises ``FrontmatterError``.
    """
    lines = normalize_text(text).split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    opening = FENCE.match(lines[start]) if start is not None else None
    if start is None or opening is None:
        raise FrontmatterError("no frontmatter: the file must start with a '---' line")
    indent = opening.group("indent")
    end = next((i for i in range(start + 1, len(lines)) if FENCE.match(lines[i])), None)
    if end is None:
        raise FrontmatterError("frontmatter is not closed: add a '---' line after the fields")
    front = [_strip_indent(line, indent) if line.strip() else "" for line in lines[start + 1 : end]]
    body_lines = [_strip_indent(line, indent) for line in lines[end + 1 :]]
    return front, "\n".join(body_lines).strip("\n").rstrip()


def parse(text: str) -> Frontmatter:
    """Split ``text`` and read its fields, strictly if the YAML allows, else tolerantly."""
    front, body = split(text)
    source = "\n".join(front)
    try:
        loaded = _load(source) if source.strip() else {}
    except yaml.YAMLError as exc:
        fields, notes = read_tolerant(front)
        reason = _yaml_reason(exc)
        note = f"frontmatter is not valid YAML ({reason}); it was read leniently"
        return Frontmatter(fields, body, True, [note, *notes])
    if not isinstance(loaded, dict):
        fields, notes = read_tolerant(front)
        note = "frontmatter is not a YAML mapping; it was read leniently"
        return Frontmatter(fields, body, True, [note, *notes])
    fields = {str(key): value for key, value in loaded.items()}
    return Frontmatter(_prefer_text(fields, front), body)


def _load(text: str) -> object:
    return yaml.load(text, Loader=_LOADER)  # a safe loader, C or Python


def _yaml_reason(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return f"{exc.problem} at frontmatter line {mark.line + 1}, column {mark.column + 1}"
    return " ".join(str(exc).split())


def _prefer_text(fields: dict[str, object], front: list[str]) -> dict[str, object]:
    """Keep name and description as written when YAML typed them (``description: Yes``)."""
    odd = {k for k in ("name", "description") if k in fields and _is_typed_scalar(fields[k])}
    for line in front:
        found = _key_of(line)
        if found is not None and found[0] in odd and found[1]:
            fields[found[0]] = _raw_text(found[1], [])
            odd.discard(found[0])
    return fields


def _is_typed_scalar(value: object) -> bool:
    """True for what YAML turned from text into something else (numbers, dates, booleans)."""
    return not isinstance(value, str | list | dict)


def _key_of(line: str) -> tuple[str, str] | None:
    match = KEY_LINE.match(line)
    if match is None:
        return None
    return match.group("key"), (match.group("rest") or "").strip()


@dataclass
class _Field:
    key: str
    first: str
    rest: list[str] = field(default_factory=list)
    open_tags: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        self.rest.append(line)
        self.track_tags(line)

    def track_tags(self, text: str) -> None:
        for match in BLOCK_TAG.finditer(text):
            closing, tag = match.group(1), match.group(2).lower()
            if not closing:
                self.open_tags.append(tag)
            elif tag in self.open_tags:
                del self.open_tags[len(self.open_tags) - 1 - self.open_tags[::-1].index(tag) :]


def _starts_field(line: str, current: _Field | None) -> tuple[str, str] | None:
    """The (key, first value) when ``line`` opens a new field, else None."""
    if not line or line[0] in " \t":
        return None
    found = _key_of(line)
    if found is None:
        return None
    key = found[0]
    if key in KNOWN_KEYS or current is None:
        return found
    shaped = key[0].islower() and key.lower() not in DIALOGUE_WORDS
    return found if shaped and not current.open_tags else None


def read_tolerant(front: list[str]) -> tuple[dict[str, object], list[str]]:
    """Read ``key: value`` fields the way hand-written frontmatter means them.

    Returns the fields and notes about lines that had to be ignored or keys given twice.
    """
    fields: list[_Field] = []
    notes: list[str] = []
    current: _Field | None = None
    for number, line in enumerate(front, start=1):
        opened = _starts_field(line, current)
        if opened is not None:
            current = _Field(opened[0], opened[1])
            current.track_tags(opened[1])
            fields.append(current)
        elif current is not None:
            current.add(line)
        elif line.strip() and not line.lstrip().startswith("#"):
            notes.append(f"frontmatter line {number} is outside any field and was ignored")
    result: dict[str, object] = {}
    for item in fields:
        if item.key in result:
            notes.append(f"key {item.key!r} is given more than once; the last one is used")
        result[item.key] = field_value(item.first, item.rest)
    return result, notes


def field_value(first: str, rest: list[str]) -> object:
    """The value of one field: its YAML meaning if it has one on its own, else its text."""
    snippet = "\n".join([f"k: {first}", *rest])
    try:
        loaded = _load(snippet)
    except yaml.YAMLError:
        loaded = None
    if isinstance(loaded, dict) and list(loaded) == ["k"]:
        return loaded["k"]
    if BLOCK_INDICATOR.match(first):
        return _block_scalar(first, rest)
    return _raw_text(first, rest)


def _block_scalar(indicator: str, rest: list[str]) -> str:
    lines = _dedent(rest)
    if indicator.startswith("|"):
        return "\n".join(lines).strip("\n")
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n".join(paragraphs)


def _dedent(lines: list[str]) -> list[str]:
    widths = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
    cut = min(widths, default=0)
    return [line[cut:] for line in lines]


def _raw_text(first: str, rest: list[str]) -> str:
    text = "\n".join([first, *rest]).strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return ESCAPES.sub(lambda m: ESCAPE_MAP.get(m.group(1), m.group(0)), text[1:-1])
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    return text
