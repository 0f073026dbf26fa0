"""Tool names in persona files: parsing tool lists, mapping other tools' names, narrowing.

A persona's ``tools`` only narrows what the run offers; it never adds a tool devagent does not
have, and it never widens permissions. Names follow Claude Code (case-sensitive); a few common
spellings (``read``, ``multi_edit``, ``Agent``) are accepted as the same tool. Which tools
devagent has comes from the tool catalog (``known_tools``), so a new tool is known here at once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

# Claude Code tools devagent does not provide: a persona may name them, they are just skipped.
# A name here that devagent gains later counts as devagent's: ``known_tools`` is asked first.
FOREIGN_TOOLS = frozenset(
    {
        "WebFetch",
        "WebSearch",
        "TodoRead",
        "AskUserQuestion",
        "Skill",
        "SlashCommand",
        "ListMcpResourcesTool",
        "ReadMcpResourceTool",
    }
)

# Granting one tool grants its companions: they need the same permission and are useless
# apart (a background shell cannot be read without BashOutput).
COMPANIONS: dict[str, tuple[str, ...]] = {
    "Edit": ("MultiEdit", "ApplyPatch"),
    "Bash": ("BashOutput", "KillShell"),
}

# Other spellings of devagent's tool names (besides any name in lower case).
_SPELLINGS: dict[str, str] = {
    "multi_edit": "MultiEdit",
    "apply_patch": "ApplyPatch",
    "bash_output": "BashOutput",
    "kill_shell": "KillShell",
    "todo_write": "TodoWrite",
    "agent": "Task",
}

GEMINI_TOOLS: dict[str, tuple[str, ...]] = {
    "read_file": ("Read",),
    "read_many_files": ("Read",),
    "write_file": ("Write",),
    "replace": ("Edit",),
    "run_shell_command": ("Bash",),
    "grep_search": ("Grep",),
    "search_file_content": ("Grep",),
    "glob": ("Glob",),
    "list_directory": ("LS",),
    "write_todos": ("TodoWrite",),
    "web_fetch": ("WebFetch",),
    "google_web_search": ("WebSearch",),
}

OPENCODE_TOOLS: dict[str, tuple[str, ...]] = {
    "read": ("Read",),
    "write": ("Write",),
    "edit": ("Edit", "MultiEdit"),
    "patch": ("ApplyPatch",),
    "apply_patch": ("ApplyPatch",),
    "bash": ("Bash", "BashOutput", "KillShell"),
    "grep": ("Grep",),
    "glob": ("Glob",),
    "list": ("LS",),
    "todowrite": ("TodoWrite",),
    "task": ("Task",),
    "webfetch": ("WebFetch",),
    "websearch": ("WebSearch",),
}

NameOrigin = Literal["devagent", "foreign", "mcp", "unknown"]
_SPECIFIER = re.compile(r"^(?P<base>[^()\s]+)\s*\(.*\)$", re.S)


@functools.cache
def known_tools() -> tuple[str, ...]:
    """The name of every tool devagent has, in the order the model sees them.

    The catalog loads every tool module, so it is imported on first use: listing personas
    does not need it.
    """
    from devagent.tools.catalog import TOOL_TYPES

    return tuple(tool.name for tool in TOOL_TYPES)


@functools.cache
def _variants() -> dict[str, str]:
    return {**{name.lower(): name for name in known_tools()}, **_SPELLINGS}


@functools.cache
def opencode_permission_tools() -> dict[str, tuple[str, ...]]:
    """opencode's ``permission`` keys as devagent tools: ``edit`` covers every tool that
    changes files (every tool of kind ``edit``)."""
    from devagent.tools.catalog import TOOL_TYPES

    edits = tuple(tool.name for tool in TOOL_TYPES if tool.kind == "edit")
    return {**OPENCODE_TOOLS, "edit": edits}


def split_rules(text: str) -> list[str]:
    """Split a comma string on commas outside parentheses: ``Bash(a, b), Read``."""
    items: list[str] = []
    depth = 0
    start = 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif char == "," and depth == 0:
            items.append(text[start:index])
            start = index + 1
    items.append(text[start:])
    return items


class UnreadableToolList(ValueError):
    """A ``tools`` value that is not a list of tool names; the message says what it is.

    A persona with one gets no tools at all (fail closed): whatever it meant to allow, every
    tool is certainly more than that.
    """


# A tool name, a Claude rule (``Bash(git diff:*)``) or a wildcard; quotes, brackets, braces and
# semicolons are signs of a list that was not read as intended.
_NAME = re.compile(r"^[\w*][^\s\[\]{}()\"'`;,]*(?:\s*\(.*\))?$", re.S)
_QUOTES = ('"', "'")


def _unquote(item: str) -> str:
    item = item.strip()
    if len(item) >= 2 and item[0] in _QUOTES and item[-1] == item[0]:
        return item[1:-1].strip()
    return item


def _clean(item: str) -> list[str]:
    item = _unquote(item)
    if not item:
        return []
    words = item.split() if "(" not in item and any(ch.isspace() for ch in item) else [item]
    for word in words:
        if not _NAME.match(word):
            raise UnreadableToolList(f"{word!r} is not a tool name")
    return words


def _items(value: object) -> list[str]:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("[") != text.endswith("]"):
            raise UnreadableToolList(f"the list {text[:40]!r} is not closed")
        return split_rules(text[1:-1] if text.startswith("[") else text)
    if isinstance(value, list | tuple):
        wrong = next((item for item in value if not isinstance(item, str)), None)
        if wrong is not None or None in value:
            shown = "" if wrong is None else f" {wrong!r}"
            raise UnreadableToolList(f"the list holds {_kind(wrong)}{shown}, not a tool name")
        return [str(item) for item in value]
    raise UnreadableToolList(f"it is {_kind(value)} ({str(value)[:40]}), not a list of names")


def _kind(value: object) -> str:
    kinds = {bool: "a true/false value", dict: "a mapping", list: "a nested list"}
    found = next((text for kind, text in kinds.items() if isinstance(value, kind)), None)
    if found is not None:
        return found
    if value is None:
        return "an empty item"
    return "a number" if isinstance(value, int | float) else f"a {type(value).__name__}"


def parse_tool_list(value: object) -> list[str] | None:
    """Tool names from a comma string, a flow list written as text, or a YAML list.

    None (no list) for a missing value; ``[]`` means "no tools". ``UnreadableToolList`` for
    anything else: a mapping, a number, a list holding non-strings, an unclosed list, an item
    that is not a name (a stray quote, brace or semicolon).
    """
    if value is None:
        return None
    names: list[str] = []
    for item in _items(value):
        for name in _clean(item):
            if name not in names:
                names.append(name)
    return names


def base_name(name: str) -> str:
    """``Bash(git diff:*)`` → ``Bash``; anything else unchanged."""
    match = _SPECIFIER.match(name)
    return match.group("base") if match else name


def canonical(name: str) -> str:
    """Our spelling of a tool name (``read`` → ``Read``); unknown names unchanged."""
    base = base_name(name)
    if base in known_tools() or base.startswith("mcp__"):
        return base
    return _variants().get(base.lower(), base)


def classify(name: str) -> NameOrigin:
    """Whether ``name`` is a devagent tool, a Claude tool we lack, an MCP tool, or unknown."""
    base = canonical(name)
    if base in known_tools():
        return "devagent"
    if base in FOREIGN_TOOLS:
        return "foreign"
    if base.startswith(("mcp__", "mcp_")):
        return "mcp"
    return "unknown"


def map_names(names: Iterable[str], table: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Translate another tool's names through ``table``; unmapped names are kept as declared."""
    mapped: list[str] = []
    for name in names:
        for ours in table.get(name, (name,)):
            if ours not in mapped:
                mapped.append(ours)
    return mapped


def _granted(declared: Iterable[str]) -> set[str]:
    granted: set[str] = set()
    for name in declared:
        ours = canonical(name)
        granted.add(ours)
        granted.update(COMPANIONS.get(ours, ()))
    return granted


def narrow_tools(
    tools: Sequence[str] | None, disallowed: Sequence[str], available: Sequence[str]
) -> tuple[list[str] | None, list[str]]:
    """The tools to offer (None = every available tool) and the declared names unavailable.

    Offered names keep the order of ``available``. ``disallowed`` always removes, together
    with the removed tools' companions.
    """
    removed = _granted(disallowed)
    if tools is None:
        if not removed:
            return None, []
        return [name for name in available if name not in removed], []
    granted = _granted(tools) - removed
    offered = [name for name in available if _grants(granted, name) and name not in removed]
    missing = [name for name in tools if not _grants({canonical(name)}, *available)]
    return offered, missing


def _grants(granted: set[str], *names: str) -> bool:
    """Whether ``granted`` holds one of ``names``, or a whole MCP server (``mcp__server``)
    whose tools one of them is."""
    servers = {g + "__" for g in granted if g.startswith("mcp__") and g.count("__") == 1}
    return any(n in granted or n.startswith(tuple(servers)) for n in names)
