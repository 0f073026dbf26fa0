"""What a tool printed, in a few lines under its header: enough to see what happened.

    ● Bash python -m pytest
      ⎿ ============================= test session starts ==============================
        platform linux -- Python 3.12.3, pytest-8.3.4
        rootdir: /src/app
        collected 2 items
        … +3 lines (Ctrl-O)
        ============================== 2 passed in 0.10s ===============================

- Output (Bash, Grep, Glob, LS, Task, MCP and other tools): the first ``HEAD_LINES`` lines;
  the rest is counted in ``… +N lines (Ctrl-O)``. Output one line longer is shown whole.
- Test runners' summary lines near the end (pytest, unittest, jest/vitest, cargo, go, mocha)
  stay on screen after that count, so "2 passed" never needs Ctrl-O.
- A Bash command that failed (non-zero exit, killed, timed out): its status, then the count,
  then the last ``TAIL_LINES`` lines, where the reason usually is.
- Other errors: the first ``ERROR_LINES`` lines, in red.
- Read, edit tools and TodoWrite keep their one-line summary or checklist
  (``toolview.result_summary``): the file itself, a diff already approved, a plan.

Colour codes in the output are dropped, a line redrawn with carriage returns shows its last
state (as the terminal showed it), and the rest passes through ``sanitize``. Every row is cut
at the console's width.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rich.text import Text

from devagent.toolkinds import ToolKind
from devagent.ui.console import sanitize
from devagent.ui.toolview import ELBOW, INDENT, OneLine, result_summary, split_bash_notes

HEAD_LINES = 4
TAIL_LINES = 4
ERROR_LINES = 8
SUMMARY_WINDOW = 8
MAX_SUMMARY_LINES = 3
MAX_LINE_CHARS = 400
FILE_CONTENT_TOOLS = frozenset({"Read", "NotebookRead"})

_CSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
_EXIT = re.compile(r"^\[(exit code \d+|killed by \S+ \(exit code \d+\)|timed out after [^:\]]+)")
_TEST_SUMMARY = re.compile(
    r"\b\d+ (?:passed|failed|errors?|skipped|xfailed|xpassed|deselected)\b.* in [\d.]+m?s\b"
    r"|\bno tests ran\b"
    r"|^Ran \d+ tests? in "
    r"|^(?:OK|FAILED)(?: \(.*\))?$"
    r"|^\s*Test(?:s| Files| Suites):?\s+\d+ "
    r"|^test result: "
    r"|^(?:ok|FAIL)\s+\S+\s+[\d.]+s"
    r"|^\s*\d+ (?:passing|failing|pending)\b"
)


def tool_output(
    name: str,
    tool_input: Mapping[str, Any],
    content: str,
    is_error: bool,
    kind: ToolKind = "other",
) -> OneLine | Text:
    """The lines under a call's header (see the module docstring)."""
    if name in FILE_CONTENT_TOOLS or kind in ("edit", "todo"):
        return result_summary(name, tool_input, content, is_error, kind)
    if name == "Bash":
        return _bash(content, is_error)
    lines = _lines(content)
    if is_error:
        return _error(lines)
    if not lines:
        return _rows([("done", "dim")])
    return _rows(_head(lines))


def _bash(content: str, is_error: bool) -> OneLine | Text:
    output, notes = split_bash_notes(content)
    status = next((m.group(1) for m in map(_EXIT.match, notes) if m), None)
    lines = [] if output.strip() == "(no output)" else _lines(output)
    if status is None and is_error:
        return _error(lines)
    if status is None:
        return _rows(_head(lines) if lines else [("no output", "dim")])
    rows = [(status + ("" if lines else " · no output"), "red")]
    hidden = len(lines) - TAIL_LINES
    if hidden > 1:
        rows.append((_more(hidden), "dim"))
        lines = lines[-TAIL_LINES:]
    return _rows([*rows, *((line, "") for line in lines)])


def _error(lines: list[str]) -> OneLine:
    lines = lines or ["failed"]
    rows = [("Error: " + lines[0], "red"), *((line, "red") for line in lines[1:])]
    if len(rows) > ERROR_LINES + 1:
        rows = [*rows[:ERROR_LINES], (_more(len(rows) - ERROR_LINES), "dim")]
    return _rows(rows)


def _head(lines: list[str]) -> list[tuple[str, str]]:
    """The first lines, the count of the rest, and any test summary among the last ones."""
    rest = lines[HEAD_LINES:]
    kept = [line for line in rest[-SUMMARY_WINDOW:] if _TEST_SUMMARY.search(line)]
    kept = kept[-MAX_SUMMARY_LINES:]
    if len(rest) - len(kept) <= 1:
        return [(line, "") for line in lines]
    rows = [(line, "") for line in lines[:HEAD_LINES]]
    rows.append((_more(len(rest) - len(kept)), "dim"))
    return rows + [(line, "") for line in kept]


def _lines(text: str) -> list[str]:
    """``text`` as the terminal would have shown it, one entry per row, safe to print."""
    rows = []
    for line in text.replace("\r\n", "\n").strip("\n").split("\n"):
        line = _CSI.sub("", line).rstrip("\r")
        line = line.rsplit("\r", 1)[-1]
        rows.append(sanitize(line[:MAX_LINE_CHARS]).rstrip())
    return rows if any(rows) else []


def _more(count: int) -> str:
    return f"… +{count} line{'' if count == 1 else 's'} (Ctrl-O)"


def _rows(rows: list[tuple[str, str]]) -> OneLine:
    text = Text()
    for index, (line, style) in enumerate(rows):
        text.append(ELBOW if index == 0 else INDENT)
        text.append(line, style=style)
        if index < len(rows) - 1:
            text.append("\n")
    return OneLine(text)
