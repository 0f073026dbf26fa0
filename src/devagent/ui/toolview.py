"""Tool calls as the user sees them: one-line headers, short result summaries, the todo list.

    ● Edit src/app.py (+3 −1)
      ⎿ Edited src/app.py: replaced 1.

Headers are built from the call's input before it runs; summaries from its result text (the
full text stays available through ``ChatView.last_tool_details``). The chat shows most results
as a few lines of output instead (``ui.preview``), keeping these summaries for Read, edits and
the todo list. A few tools have their own
label (Bash, ApplyPatch, Grep, Glob, TodoWrite, Task); any other tool is shown by its kind:
``read`` and ``edit`` tools by their path, ``edit`` results in one line. Everything shown
passes through ``sanitize``, so tool output cannot move the cursor or recolour the terminal.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from devagent.bashparse import escape_controls
from devagent.toolkinds import ToolKind
from devagent.ui.console import sanitize

BULLET = "●"
ELBOW = "  ⎿ "
INDENT = "    "
MAX_ARG_CHARS = 160
TODO_MARKS = {"completed": "☒", "in_progress": "◐", "pending": "☐"}

_PATCH_FILE = re.compile(r"^\*\*\* (?:Add|Update|Delete) File: (.+)$", re.M)
_EXIT_NOTE = re.compile(r"^\[(?:exit code (\d+)|killed by (\S+) \(exit code (\d+)\))\]$")
_CAT_N_LINE = re.compile(r"^ *\d+\t")


# --- headers --------------------------------------------------------------------------------


def shown_path(raw: str, workspace: Path | None) -> str:
    """A tool's path argument as the user would type it: relative inside the workspace."""
    if workspace is None or not os.path.isabs(raw):
        return raw
    try:
        rel = os.path.relpath(raw, workspace)
    except ValueError:
        return raw
    return raw if rel.startswith("..") else rel


def line_counts(old: str, new: str) -> tuple[int, int]:
    """Lines added and removed when ``old`` becomes ``new``."""
    added = removed = 0
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    return added, removed


def edit_counts(name: str, tool_input: Mapping[str, Any]) -> tuple[int, int] | None:
    """(+added, −removed) lines a file tool's input implies, when it can be told from it."""
    if name == "Edit":
        return line_counts(_str(tool_input, "old_string"), _str(tool_input, "new_string"))
    if name == "MultiEdit":
        edits = tool_input.get("edits")
        pairs = [
            line_counts(_str(e, "old_string"), _str(e, "new_string"))
            for e in (edits if isinstance(edits, list) else [])
            if isinstance(e, Mapping)
        ]
        return sum(p[0] for p in pairs), sum(p[1] for p in pairs)
    if name == "Write":
        return len(_str(tool_input, "content").splitlines()), 0
    if name == "ApplyPatch":
        lines = _str(tool_input, "input").splitlines()
        plus = sum(1 for ln in lines if ln.startswith("+"))
        minus = sum(1 for ln in lines if ln.startswith("-"))
        return plus, minus
    return None


def tool_label(
    name: str,
    tool_input: Mapping[str, Any],
    workspace: Path | None = None,
    kind: ToolKind = "other",
) -> str:
    """What a call acts on, in a few words: a path, a command, a pattern."""
    if name == "Bash":
        return _first_line(_str(tool_input, "command"))
    if name == "ApplyPatch":
        return ", ".join(_PATCH_FILE.findall(_str(tool_input, "input"))) or "patch"
    if name in ("Grep", "Glob"):
        return _search_label(name, tool_input, workspace)
    if name == "TodoWrite":
        todos = tool_input.get("todos")
        count = len(todos) if isinstance(todos, list) else 0
        return f"{count} item{'' if count == 1 else 's'}"
    if name == "Task":
        agent, what = _str(tool_input, "subagent_type"), _str(tool_input, "description")
        return f"{agent}: {what}" if agent and what else agent or what
    if kind == "skill":
        return _str(tool_input, "skill")
    if kind in ("read", "edit"):
        paths = (_str(tool_input, key) for key in ("file_path", "notebook_path", "path"))
        return shown_path(next((p for p in paths if p), ""), workspace)
    return _fallback_label(tool_input)


class OneLine:
    """A ``Text`` drawn on one row, cut with an ellipsis at the console's width.

    (``console.print`` merges consecutive ``Text`` objects and drops their own ``no_wrap``,
    so the setting travels in this wrapper instead.)
    """

    def __init__(self, text: Text) -> None:
        self.text = text

    @property
    def plain(self) -> str:
        return self.text.plain

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.text.__rich_console__(
            console, options.update(no_wrap=True, overflow="ellipsis")
        )


def tool_header(
    name: str,
    tool_input: Mapping[str, Any],
    workspace: Path | None = None,
    kind: ToolKind = "other",
) -> OneLine:
    """``● Name label (+a −r)`` on one line, cut with an ellipsis at the console's width."""
    header = Text()
    header.append(f"{BULLET} ", style="bold cyan")
    header.append(name, style="bold")
    label = sanitize(escape_controls(tool_label(name, tool_input, workspace, kind)))
    if label:
        header.append(" " + _cut(label))
    counts = edit_counts(name, tool_input)
    if counts is not None and name != "Write":
        header.append(" (")
        header.append(f"+{counts[0]}", style="green")
        header.append(" ")
        header.append(f"−{counts[1]}", style="red")
        header.append(")")
    elif counts is not None:
        header.append(" (")
        header.append(f"+{counts[0]}", style="green")
        header.append(")")
    return OneLine(header)


def _search_label(name: str, tool_input: Mapping[str, Any], workspace: Path | None) -> str:
    pattern = _str(tool_input, "pattern")
    label = f'"{pattern}"' if name == "Grep" else pattern
    path = _str(tool_input, "path")
    if path:
        label += f" in {shown_path(path, workspace)}"
    glob = _str(tool_input, "glob")
    if glob:
        label += f" ({glob})"
    return label


def _fallback_label(tool_input: Mapping[str, Any]) -> str:
    for key in ("file_path", "path", "url", "query", "pattern", "command", "description", "prompt"):
        value = tool_input.get(key)
        if isinstance(value, str) and value.strip():
            return _first_line(value)
    return ""


# --- result summaries -----------------------------------------------------------------------


def result_summary(
    name: str,
    tool_input: Mapping[str, Any],
    content: str,
    is_error: bool,
    kind: ToolKind = "other",
) -> OneLine | Text:
    """The line under a header: ``  ⎿ 42 lines``, ``  ⎿ exit code 1 · 12 lines``,
    ``  ⎿ Error: …`` (red). TodoWrite shows its checklist instead."""
    if is_error:
        return _elbow(f"Error: {_cut(_first_line(content) or 'failed')}", "red")
    if name == "TodoWrite":
        todos = tool_input.get("todos")
        return todo_checklist(todos if isinstance(todos, list) else [])
    return _elbow(_summary_text(name, content, kind), "dim")


def denied_summary(reason: str) -> OneLine:
    """``  ⎿ denied: reason``."""
    return _elbow(f"denied: {_cut(_first_line(reason))}", "yellow")


def _summary_text(name: str, content: str, kind: ToolKind) -> str:
    if name == "Bash":
        return _bash_summary(content)
    body = content.rstrip("\n")
    lines = body.splitlines()
    if name == "Read" and lines and _CAT_N_LINE.match(lines[0]):
        return _count(len(lines), "line")
    if name == "Glob" and len(lines) > 1:
        return _count(len(lines), "file")
    # An edit's result opens with what it did; the rest (the changed region) is detail.
    if len(lines) <= 1 or kind == "edit":
        return _cut(_first_sentence(_first_line(body))) or "done"
    return _count(len(lines), "line")


def split_bash_notes(content: str) -> tuple[str, list[str]]:
    """A Bash result's output, and the ``[…]`` notes the tool added after it (exit code,
    timeout, processes left running)."""
    parts = content.rstrip("\n").split("\n\n")
    notes: list[str] = []
    while len(parts) > 1 and parts[-1].startswith("[") and parts[-1].endswith("]"):
        notes.insert(0, parts.pop())
    return "\n\n".join(parts), notes


def _bash_summary(content: str) -> str:
    output, notes = split_bash_notes(content)
    status = ""
    for note in notes:
        match = _EXIT_NOTE.match(note)
        if match and match.group(1):
            status = f"exit code {match.group(1)}"
        elif match:
            status = f"killed by {match.group(2)} (exit code {match.group(3)})"
    size = (
        "no output" if output in ("", "(no output)") else _count(len(output.splitlines()), "line")
    )
    return f"{status} · {size}" if status else size


def todo_checklist(todos: Sequence[object]) -> OneLine | Text:
    """The plan as a checklist under the header: ☒ done, ◐ in progress, ☐ pending."""
    text = Text()
    items = [t for t in todos if isinstance(t, Mapping)]
    if not items:
        return _elbow("(empty list)", "dim")
    for index, item in enumerate(items):
        status = _str(item, "status")
        text.append(ELBOW if index == 0 else INDENT)
        mark = TODO_MARKS.get(status, "☐")
        style = {"completed": "dim strike", "in_progress": "bold"}.get(status, "")
        text.append(f"{mark} {sanitize(_str(item, 'content'))}", style=style)
        if index < len(items) - 1:
            text.append("\n")
    return text


# --- helpers --------------------------------------------------------------------------------


def _elbow(message: str, style: str) -> OneLine:
    text = Text(ELBOW)
    text.append(sanitize(message), style=style)
    return OneLine(text)


def _str(mapping: Mapping[str, Any], key: str) -> str:
    value = mapping.get(key)
    return value if isinstance(value, str) else ""


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    return lines[0].strip() + (" …" if len(lines) > 1 else "")


def _first_sentence(line: str) -> str:
    cut = line.find(". ")
    return line if cut < 0 else line[: cut + 1]


def _cut(text: str, limit: int = MAX_ARG_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
