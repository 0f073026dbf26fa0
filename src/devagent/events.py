"""What the agent loop emits while it runs; UIs subscribe, the loop never prints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from devagent.messages import AssistantReply, Block, Usage
from devagent.toolkinds import ToolKind


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ReasoningDelta:
    """Reasoning a model streams alongside its answer (OpenAI-compatible ``reasoning_content``).

    For the human only, to be shown dim: it is not part of the reply's content, so it is never
    stored in the history nor sent back to the model.
    """

    text: str


@dataclass(frozen=True)
class Retrying:
    attempt: int
    delay_s: float
    reason: str


@dataclass(frozen=True)
class AssistantMessageDone:
    reply: AssistantReply


@dataclass(frozen=True)
class ToolStarted:
    """A call is about to run. ``kind`` is the tool's own, so a view renders any tool, new
    ones included, without knowing its name; events built without it say ``other``."""

    tool_use_id: str
    name: str
    input: dict[str, Any]
    kind: ToolKind = "other"


@dataclass(frozen=True)
class ToolFinished:
    tool_use_id: str
    name: str
    content: str
    is_error: bool
    kind: ToolKind = "other"


@dataclass(frozen=True)
class ToolResultsSent:
    """The user message carrying every tool_result of one assistant turn."""

    blocks: list[Block]


@dataclass(frozen=True)
class PermissionDenied:
    tool_use_id: str
    tool_name: str
    tool_input: dict[str, Any]
    reason: str
    kind: ToolKind = "other"


@dataclass(frozen=True)
class TurnUsage:
    usage: Usage
    total: Usage
    cost_usd: float


@dataclass(frozen=True)
class Notice:
    """A one-line status for the human (a warning, a stop reason)."""

    text: str
    level: str = "info"
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CompactionNotice:
    """What compaction is doing, as the sentence to show: ``starting`` (``trigger`` says why:
    ``auto`` when the last request filled most of the window, ``overflow`` when the API refused
    one as too long), ``done``, or ``skipped`` (it failed; the full history goes on)."""

    stage: Literal["starting", "done", "skipped"]
    text: str
    level: Literal["info", "warn"] = "info"
    trigger: Literal["auto", "overflow", "manual"] = "auto"


Event = (
    TextDelta
    | ReasoningDelta
    | Retrying
    | AssistantMessageDone
    | ToolStarted
    | ToolFinished
    | ToolResultsSent
    | PermissionDenied
    | TurnUsage
    | Notice
    | CompactionNotice
)
EventSink = Callable[[Event], None]


def discard(_event: Event) -> None:
    """An EventSink that drops everything."""
