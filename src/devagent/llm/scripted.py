"""A deterministic model for fast loop tests: it replays scripted replies and records requests.

It fails loudly on an unexpected call (more requests than scripted) and, through
``assert_consumed``, on replies that were never asked for.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from typing import Any

from devagent.events import EventSink, TextDelta
from devagent.messages import AssistantReply, Block, ModelRequest, Usage

ScriptStep = AssistantReply | Exception | Callable[[ModelRequest], AssistantReply]

_ids = itertools.count(1)


class ScriptExhausted(AssertionError):
    """The loop asked the scripted model for more replies than were scripted."""


def text_reply(text: str, *, usage: Usage | None = None) -> AssistantReply:
    return AssistantReply([{"type": "text", "text": text}], "end_turn", usage or Usage(10, 5), "")


def tool_reply(*calls: tuple[str, dict[str, Any]], text: str = "") -> AssistantReply:
    """A reply asking for one or more tool calls: ``tool_reply(("Read", {"file_path": "a"}))``."""
    content: list[Block] = [{"type": "text", "text": text}] if text else []
    for name, tool_input in calls:
        content.append(
            {
                "type": "tool_use",
                "id": f"toolu_s{next(_ids):04d}",
                "name": name,
                "input": tool_input,
            }
        )
    return AssistantReply(content, "tool_use", Usage(10, 5), "")


class ScriptedModel:
    """Replays ``steps`` in order; an Exception step is raised, a callable gets the request."""

    def __init__(self, steps: list[ScriptStep], name: str = "claude-sonnet-5-5") -> None:
        self.name = name
        self._steps = list(steps)
        self.requests: list[ModelRequest] = []

    def stream(self, request: ModelRequest, on_event: EventSink) -> AssistantReply:
        self.requests.append(copy.deepcopy(request))
        if not self._steps:
            raise ScriptExhausted(f"unexpected model call #{len(self.requests)}")
        step = self._steps.pop(0)
        if isinstance(step, Exception):
            raise step
        reply = step(request) if callable(step) else step
        reply = copy.deepcopy(reply)
        reply.model = reply.model or self.name
        for block in reply.content:
            if block.get("type") == "text":
                on_event(TextDelta(block["text"]))
        return reply

    def assert_consumed(self) -> None:
        if self._steps:
            raise AssertionError(f"{len(self._steps)} scripted replies were never requested")
