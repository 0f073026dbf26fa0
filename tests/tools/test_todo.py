"""Specification of TodoWrite: the run's plan, replaced whole on every call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devagent.tools.base import ToolContext, ToolError, ToolResult
from devagent.tools.schema import validate_input
from devagent.tools.todo import TodoItem, TodoWriteTool, todos_of


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext(workspace=tmp_path, cwd=tmp_path)


def todo_write(ctx: ToolContext, todos: list[dict[str, Any]]) -> ToolResult:
    tool = TodoWriteTool()
    args = validate_input(tool.name, {"todos": todos}, tool.input_schema)
    return tool.prepare(args, ctx).execute()


def test_stores_the_list_in_run_state(ctx: ToolContext) -> None:
    result = todo_write(
        ctx,
        [
            {"content": "Read the code", "status": "completed"},
            {"content": "Fix the bug", "status": "in_progress", "activeForm": "Fixing the bug"},
            {"content": "Run the tests", "status": "pending"},
        ],
    )
    assert todos_of(ctx) == [
        TodoItem("Read the code", "completed"),
        TodoItem("Fix the bug", "in_progress", "Fixing the bug"),
        TodoItem("Run the tests", "pending"),
    ]
    assert ctx.state["todos"] is todos_of(ctx)
    assert result.content == ("Todo list updated: 3 items (1 completed, 1 in progress, 1 pending).")
    assert not result.is_error


def test_each_call_replaces_the_list_in_place(ctx: ToolContext) -> None:
    todo_write(ctx, [{"content": "a", "status": "pending"}, {"content": "b", "status": "pending"}])
    held = todos_of(ctx)
    todo_write(ctx, [{"content": "b", "status": "completed"}])
    assert held == [TodoItem("b", "completed")]
    todo_write(ctx, [])
    assert held == []


def test_more_than_one_in_progress_warns_but_stores(ctx: ToolContext) -> None:
    result = todo_write(
        ctx,
        [{"content": "a", "status": "in_progress"}, {"content": "b", "status": "in_progress"}],
    )
    assert "2 items are in_progress" in result.content
    assert [t.status for t in todos_of(ctx)] == ["in_progress", "in_progress"]


def test_blank_content_is_rejected_and_list_kept(ctx: ToolContext) -> None:
    todo_write(ctx, [{"content": "keep", "status": "pending"}])
    with pytest.raises(ToolError, match="Todo 2 has empty content"):
        todo_write(
            ctx, [{"content": "x", "status": "pending"}, {"content": "  ", "status": "pending"}]
        )
    assert todos_of(ctx) == [TodoItem("keep", "pending")]


def test_bad_status_is_rejected(ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match="status"):
        todo_write(ctx, [{"content": "x", "status": "done"}])
    with pytest.raises(ToolError, match="Todo 1 has status 'done'"):
        TodoWriteTool().run({"todos": [{"content": "x", "status": "done"}]}, ctx)


def test_todowrite_never_asks() -> None:
    assert TodoWriteTool.read_only is True
    assert TodoWriteTool.name == "TodoWrite"
