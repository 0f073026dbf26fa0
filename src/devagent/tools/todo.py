"""The TodoWrite tool and the run's todo list it maintains (the plan shown to the user).

The list lives in ``ctx.state_for("todos", list)`` as ``TodoItem`` values. Each call
replaces its contents in place, so a UI holding that list object sees every update.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, cast, get_args

from devagent.toolkinds import ToolKind
from devagent.tools.base import Args, Tool, ToolContext, ToolError, ToolResult

TodoStatus = Literal["pending", "in_progress", "completed"]
STATE_KEY = "todos"
_STATUSES: tuple[str, ...] = get_args(TodoStatus)
_MAX_ITEMS = 200


@dataclass(frozen=True)
class TodoItem:
    content: str
    status: TodoStatus
    active_form: str | None = None


def todos_of(ctx: ToolContext) -> list[TodoItem]:
    """The run's todo list (the same list object on every call)."""
    return ctx.state_for(STATE_KEY, list[TodoItem])


def _status(value: object) -> TodoStatus:
    if isinstance(value, str) and value in _STATUSES:
        return cast(TodoStatus, value)
    raise ValueError(value)


def _item(number: int, raw: object) -> TodoItem:
    if not isinstance(raw, dict):
        raise ToolError(f"Todo {number} must be an object with content and status.")
    content = raw.get("content")
    if not isinstance(content, str) or not content.strip():
        raise ToolError(f"Todo {number} has empty content; describe the task in a few words.")
    try:
        status = _status(raw.get("status"))
    except ValueError:
        raise ToolError(
            f"Todo {number} has status {raw.get('status')!r}; use one of {', '.join(_STATUSES)}."
        ) from None
    active = raw.get("activeForm")
    active_form = active.strip() if isinstance(active, str) and active.strip() else None
    return TodoItem(content.strip(), status, active_form)


def _confirmation(items: list[TodoItem]) -> str:
    counts = Counter(item.status for item in items)
    text = (
        f"Todo list updated: {len(items)} items ({counts['completed']} completed, "
        f"{counts['in_progress']} in progress, {counts['pending']} pending)."
    )
    if counts["in_progress"] > 1:
        text += (
            f" Note: {counts['in_progress']} items are in_progress; keep exactly one "
            "in_progress at a time and mark finished ones completed."
        )
    return text


class TodoWriteTool(Tool):
    name: ClassVar[str] = "TodoWrite"
    description: ClassVar[str] = (
        "Create or update the task list shown to the user. Use it for work with three or "
        "more steps: send the whole list each time (it replaces the previous one). Keep "
        "exactly one item in_progress while working, and mark each item completed as soon "
        "as it is done. content says what to do ('Run the tests'); activeForm says it as "
        "ongoing work ('Running the tests'). Skip it for trivial one-step tasks."
    )
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "todos": {
                "type": "array",
                "description": "The complete, updated list.",
                "items": {
                    "type": "object",
                    "properties": {
                        "content": {"type": "string", "minLength": 1},
                        "status": {"type": "string", "enum": list(_STATUSES)},
                        "activeForm": {"type": "string"},
                    },
                    "required": ["content", "status"],
                },
            }
        },
        "required": ["todos"],
        "additionalProperties": False,
    }
    kind: ClassVar[ToolKind] = "todo"

    def run(self, args: Args, ctx: ToolContext) -> ToolResult:
        raw = args["todos"]
        if not isinstance(raw, list):
            raise ToolError("todos must be a list of {content, status, activeForm?} objects.")
        if len(raw) > _MAX_ITEMS:
            raise ToolError(f"The list has {len(raw)} items; keep it under {_MAX_ITEMS}.")
        items = [_item(n, entry) for n, entry in enumerate(raw, start=1)]
        todos = todos_of(ctx)
        todos[:] = items
        return ToolResult(_confirmation(items))
