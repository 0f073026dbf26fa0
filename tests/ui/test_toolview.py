"""Golden tests of tool-call headers, result summaries and the todo checklist."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from rich.console import RenderableType

from devagent.toolkinds import ToolKind
from devagent.tools.catalog import tool_type
from devagent.ui.console import make_console
from devagent.ui.toolview import (
    denied_summary,
    edit_counts,
    result_summary,
    todo_checklist,
    tool_header,
)


def show(*texts: RenderableType, width: int = 60, colour: bool = False) -> str:
    out = io.StringIO()
    env = {"FORCE_COLOR": "1", "COLORTERM": "truecolor"} if colour else {}
    console = make_console(file=out, env=env, width=width)
    for text in texts:
        console.print(text)
    return out.getvalue()


def kind_of(name: str) -> ToolKind:
    """The kind the loop reports for a call of devagent's tool ``name``."""
    tool = tool_type(name)
    return "other" if tool is None else tool.kind


def header(name: str, tool_input: Mapping[str, Any], workspace: Path | None = None) -> str:
    return show(tool_header(name, tool_input, workspace, kind_of(name)))


@pytest.mark.parametrize(
    ("name", "tool_input", "expected"),
    [
        ("Read", {"file_path": "src/app.py"}, "● Read src/app.py\n"),
        ("Bash", {"command": "npm test"}, "● Bash npm test\n"),
        (
            "Edit",
            {"file_path": "src/app.py", "old_string": "a\nb\n", "new_string": "a\nB\nc\nd\n"},
            "● Edit src/app.py (+3 −1)\n",
        ),
        (
            "MultiEdit",
            {
                "file_path": "m.py",
                "edits": [
                    {"old_string": "x", "new_string": "y"},
                    {"old_string": "p\nq", "new_string": "p"},
                ],
            },
            "● MultiEdit m.py (+1 −2)\n",
        ),
        ("Write", {"file_path": "new.txt", "content": "1\n2\n3\n"}, "● Write new.txt (+3)\n"),
        (
            "ApplyPatch",
            {
                "input": "*** Begin Patch\n*** Update File: a.py\n@@\n-x\n+y\n+z\n"
                "*** Add File: b.py\n+1\n*** End Patch\n"
            },
            "● ApplyPatch a.py, b.py (+3 −1)\n",
        ),
        (
            "Grep",
            {"pattern": "TODO", "path": "src", "glob": "*.py"},
            '● Grep "TODO" in src (*.py)\n',
        ),
        ("Glob", {"pattern": "**/*.md"}, "● Glob **/*.md\n"),
        ("LS", {"path": "docs"}, "● LS docs\n"),
        ("TodoWrite", {"todos": [{}, {}]}, "● TodoWrite 2 items\n"),
        (
            "Task",
            {"subagent_type": "reviewer", "description": "Review the diff", "prompt": "…"},
            "● Task reviewer: Review the diff\n",
        ),
        (
            "WebFetch",
            {"url": "https://docs.python.org/3/", "prompt": "summarise"},
            "● WebFetch https://docs.python.org/3/\n",
        ),
        ("WebSearch", {"query": "python 3.14 release"}, "● WebSearch python 3.14 release\n"),
        ("Skill", {"skill": "create-plan", "args": "add a cache"}, "● Skill create-plan\n"),
    ],
)
def test_headers(name: str, tool_input: dict[str, Any], expected: str) -> None:
    assert header(name, tool_input) == expected


def test_absolute_paths_inside_the_workspace_are_shown_relative() -> None:
    ws = Path("/w/proj")
    assert header("Read", {"file_path": "/w/proj/src/a.py"}, ws) == "● Read src/a.py\n"
    assert header("Read", {"file_path": "/etc/hosts"}, ws) == "● Read /etc/hosts\n"


def test_a_multi_line_or_hostile_command_stays_on_one_visible_line() -> None:
    command = "printf 'a\\rb' \x1b[2J\u202e\nrm -rf build"
    assert header("Bash", {"command": command}) == "● Bash printf 'a\\rb' \\e[2J\\u202e …\n"


def test_a_long_header_is_cut_at_the_width() -> None:
    out = show(tool_header("Bash", {"command": "echo " + "x" * 100}), width=30)
    assert out == "● Bash echo xxxxxxxxxxxxxxxxx…\n"


def summary(name: str, content: str, *, is_error: bool = False, **tool_input: Any) -> str:
    return show(result_summary(name, tool_input, content, is_error, kind_of(name)))


def test_summaries() -> None:
    read = "".join(f"{n:>6}\tline {n}\n" for n in range(1, 43))
    assert summary("Read", read, file_path="a.py") == "  ⎿ 42 lines\n"
    assert summary("Read", "a.py exists but is empty (0 bytes).") == (
        "  ⎿ a.py exists but is empty (0 bytes).\n"
    )
    bash = "\n".join(f"out {n}" for n in range(12)) + "\n\n[exit code 1]"
    assert summary("Bash", bash) == "  ⎿ exit code 1 · 12 lines\n"
    assert summary("Bash", "hello") == "  ⎿ 1 line\n"
    assert summary("Bash", "(no output)") == "  ⎿ no output\n"
    assert summary("Bash", "partial\n\n[killed by SIGKILL (exit code 137)]") == (
        "  ⎿ killed by SIGKILL (exit code 137) · 1 line\n"
    )
    edited = "Edited src/app.py: replaced 1. The changed region now reads:\n  1 x\n  2 y"
    assert summary("Edit", edited) == "  ⎿ Edited src/app.py: replaced 1.\n"
    assert summary("Glob", "a.py\nb.py\nc.py") == "  ⎿ 3 files\n"
    assert summary("Grep", "No matches found") == "  ⎿ No matches found\n"
    assert summary("Grep", "a.py\nb.py") == "  ⎿ 2 lines\n"


def test_errors_and_denials() -> None:
    error = "File not found: a.py\nUse Glob to find it."
    assert summary("Read", error, is_error=True) == "  ⎿ Error: File not found: a.py …\n"
    assert (
        show(denied_summary("Bash: rm is not allowed")) == "  ⎿ denied: Bash: rm is not allowed\n"
    )
    coloured = show(result_summary("Read", {}, "boom", True), colour=True)
    assert coloured == "  ⎿ \x1b[31mError: boom\x1b[0m\n"


def test_todo_checklist() -> None:
    todos = [
        {"content": "Read the code", "status": "completed"},
        {"content": "Write the tests", "status": "in_progress", "activeForm": "Writing"},
        {"content": "Ship it", "status": "pending"},
    ]
    assert show(todo_checklist(todos)) == (
        "  ⎿ ☒ Read the code\n    ◐ Write the tests\n    ☐ Ship it\n"
    )
    assert show(result_summary("TodoWrite", {"todos": todos}, "Todo list updated", False)) == (
        "  ⎿ ☒ Read the code\n    ◐ Write the tests\n    ☐ Ship it\n"
    )
    assert show(todo_checklist([])) == "  ⎿ (empty list)\n"


def test_todo_checklist_in_colour_marks_done_and_current_items() -> None:
    todos = [{"content": "a", "status": "completed"}, {"content": "b", "status": "in_progress"}]
    assert show(todo_checklist(todos), colour=True) == (
        "  ⎿ \x1b[2;9m☒ a\x1b[0m\n    \x1b[1m◐ b\x1b[0m\n"
    )


def test_edit_counts_for_tools_without_a_diff() -> None:
    assert edit_counts("Read", {"file_path": "a"}) is None
    assert edit_counts("Edit", {"old_string": "same", "new_string": "same"}) == (0, 0)
