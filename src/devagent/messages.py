"""The conversation's types: content blocks, messages, usage and the assistant's reply.

Messages and blocks are kept in the Messages API's own JSON shape (plain dicts), so a
transcript line, a request body and a resumed history are the same data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Block = dict[str, Any]
Message = dict[str, Any]
Role = Literal["user", "assistant"]

StopReason = Literal[
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
]


@dataclass
class Usage:
    """Token counts; `add` accumulates across requests.

    ``estimated`` is true when a server reported no usage and the adapter guessed the counts
    from the text's length; a total that includes any estimate is itself an estimate, so the
    UI and the cost can say so. It is not part of ``as_dict`` (the JSON output's fixed keys).
    ``web_search_requests`` counts the searches the API's server-side web search ran (the
    reply's ``usage.server_tool_use.web_search_requests``); they are priced per search.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    estimated: bool = False
    web_search_requests: int = 0

    def add(self, other: Usage) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_creation_input_tokens += other.cache_creation_input_tokens
        self.cache_read_input_tokens += other.cache_read_input_tokens
        self.estimated = self.estimated or other.estimated
        self.web_search_requests += other.web_search_requests

    def as_dict(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
        }


@dataclass
class AssistantReply:
    """A complete assistant message: its blocks, why it stopped, and what it cost."""

    content: list[Block]
    stop_reason: str
    usage: Usage
    model: str
    message_id: str = ""
    # tool_use id -> why its input could not be used (invalid JSON, cut off by max_tokens)
    input_errors: dict[str, str] = field(default_factory=dict)

    def as_message(self) -> Message:
        return {"role": "assistant", "content": self.content}

    def text(self) -> str:
        return "".join(b.get("text", "") for b in self.content if b.get("type") == "text")

    def tool_uses(self) -> list[Block]:
        return [b for b in self.content if b.get("type") == "tool_use"]


@dataclass(frozen=True)
class ToolSpec:
    """What the model is told about one tool."""

    name: str
    description: str
    input_schema: dict[str, Any]

    def as_api(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": self.input_schema,
        }


@dataclass
class ModelRequest:
    """Everything one model call needs; the adapter adds caching and transport details.

    ``server_tools`` are tool definitions the API runs itself, sent as given after ``tools``
    (``{"type": "web_search_20250305", "name": "web_search", ...}``). ``cache`` false asks for
    no prompt caching: a one-off request (WebFetch reading a page) would only pay for the write.
    """

    system: str
    messages: list[Message]
    tools: list[ToolSpec] = field(default_factory=list)
    max_tokens: int = 16000
    server_tools: list[dict[str, Any]] = field(default_factory=list)
    cache: bool = True


def is_prompt(message: Message) -> bool:
    """A user message carrying the user's words; one holding only tool results is not."""
    if message.get("role") != "user":
        return False
    content = message.get("content")
    if isinstance(content, str):
        return True
    return isinstance(content, list) and not any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in content
    )


def text_block(text: str) -> Block:
    return {"type": "text", "text": text}


def tool_result_block(
    tool_use_id: str, content: str, is_error: bool = False, attachments: Sequence[Block] = ()
) -> Block:
    """A ``tool_result``; with ``attachments`` (images) its content is a list of blocks, the
    text first."""
    body: str | list[Block] = [text_block(content), *attachments] if attachments else content
    block: Block = {"type": "tool_result", "tool_use_id": tool_use_id, "content": body}
    if is_error:
        block["is_error"] = True
    return block
