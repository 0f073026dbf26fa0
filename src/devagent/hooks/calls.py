"""What the agent loop asks of hooks around a tool call and at the end of an answer.

- ``before_tool`` (PreToolUse, after the call's input was validated, before the permission
  check): a block becomes the call's error result with the hook's stderr or reason for the
  model (``ToolError``); ``continue: false`` ends the run (``HookStopped``); ``updatedInput``
  replaces the keys it names and is validated again, and the permission check, the tool and
  PostToolUse then see the changed input; the permission decision goes to
  ``devagent.hooks.permission.with_hook``.
- ``after_tool`` (PostToolUse, after a call succeeded): a block or ``additionalContext`` is
  added to the result the model gets (the tool already ran).
- ``stop_feedback`` (Stop, or SubagentStop in a sub-agent, when the model answers without a
  tool call): a block returns the text the loop sends the model before going on, with
  ``stop_hook_active`` set on the next Stop; at most ``MAX_STOP_BLOCKS`` in a row, then the
  answer stands and the user is told.

What a hook shows the user (``systemMessage``, failures, timeouts) is emitted as a ``Notice``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from devagent.events import EventSink, Notice
from devagent.hooks.dispatch import Hooks
from devagent.hooks.outcome import HookOutcome, HookPermission
from devagent.tools.base import Tool, ToolError
from devagent.tools.schema import validate_input

MAX_STOP_BLOCKS = 8


class HookStopped(ToolError):
    """A hook said ``continue: false``: the call is not run and the run ends."""

    def __init__(self, event: str, reason: str) -> None:
        super().__init__(f"Not run: a {event} hook stopped the run ({reason}).")
        self.reason = f"Stopped by a {event} hook: {reason}"


@dataclass(frozen=True)
class Gate:
    """A call as PreToolUse hooks left it: the input to run and their permission decision."""

    args: dict[str, Any]
    permission: HookPermission | None = None
    reason: str = ""


def show(outcome: HookOutcome, emit: EventSink) -> None:
    for text in outcome.notices:
        emit(Notice(text, "warn"))


def before_tool(
    hooks: Hooks,
    tool: Tool,
    tool_use_id: str,
    args: dict[str, Any],
    cancel: threading.Event,
    emit: EventSink,
) -> Gate:
    fields = {"tool_name": tool.name, "tool_input": args, "tool_use_id": tool_use_id}
    outcome = hooks.fire("PreToolUse", fields, target=tool.name, cancel=cancel)
    show(outcome, emit)
    if outcome.stop_reason is not None:
        raise HookStopped("PreToolUse", outcome.stop_reason)
    if outcome.blocked:
        raise ToolError(
            f"A PreToolUse hook blocked this call; it was not run. The hook said:\n{outcome.reason}"
        )
    if outcome.updated_input is not None:
        changed = {**args, **outcome.updated_input}
        try:
            args = validate_input(tool.name, changed, tool.input_schema)
        except ToolError as exc:
            raise ToolError(f"A PreToolUse hook changed this call's input badly: {exc}") from exc
    return Gate(args, outcome.permission, outcome.permission_reason)


def after_tool(
    hooks: Hooks,
    tool_name: str,
    tool_use_id: str,
    args: dict[str, Any],
    content: str,
    cancel: threading.Event,
    emit: EventSink,
) -> tuple[str, str | None]:
    """The result text the model gets, and a stop reason when a hook ended the run."""
    fields = {
        "tool_name": tool_name,
        "tool_input": args,
        "tool_response": {"content": content, "is_error": False},
        "tool_use_id": tool_use_id,
    }
    outcome = hooks.fire("PostToolUse", fields, target=tool_name, cancel=cancel)
    show(outcome, emit)
    if outcome.blocked:
        content += f"\n\nPostToolUse hook feedback:\n{outcome.reason}"
    if outcome.add_context():
        content += f"\n\nPostToolUse hook context:\n{outcome.add_context()}"
    stop = outcome.stop_reason
    return content, None if stop is None else f"Stopped by a PostToolUse hook: {stop}"


def stop_feedback(
    hooks: Hooks, blocked_before: int, cancel: threading.Event, emit: EventSink
) -> str | None:
    """What to tell the model when a Stop hook blocks the answer; None: let it stand."""
    event = hooks.stop_event
    outcome = hooks.fire(event, {"stop_hook_active": blocked_before > 0}, cancel=cancel)
    show(outcome, emit)
    if outcome.stop_reason is not None or not outcome.blocked:
        return None
    if blocked_before >= MAX_STOP_BLOCKS:
        emit(
            Notice(
                f"{event} hooks blocked the answer {blocked_before} times in a row; "
                f"stopping anyway. Last reason: {outcome.reason}",
                "warn",
            )
        )
        return None
    return f"{event} hook feedback (finish this before you stop):\n{outcome.reason}"
