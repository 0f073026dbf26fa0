"""The Messages API wire format, shared by both Anthropic transports.

``llm.anthropic_native`` (httpx, the default for Anthropic's own API) and ``llm.anthropic`` (the
official SDK, for Bedrock and Vertex and as the reference) build the same request body with
``request_params``, read the same server-sent events with ``Accumulator`` and map the same
faults with ``status_error``/``auth_error``, so the two cannot drift apart. Nothing here
imports the SDK or an HTTP client.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from devagent.config import unknown_model_message
from devagent.errors import ModelAuthError, ModelError, UnknownModelError
from devagent.events import EventSink, TextDelta
from devagent.llm.retry import Retryable, status_fault
from devagent.messages import AssistantReply, Block, Message, ModelRequest, Usage

__all__ = [
    "Accumulator",
    "auth_error",
    "body_error_message",
    "body_error_type",
    "in_stream_fault",
    "request_params",
    "status_error",
]

RETRYABLE_STREAM_ERRORS = frozenset({"overloaded_error", "api_error"})
CACHE = {"type": "ephemeral"}
CACHEABLE = frozenset({"text", "tool_use", "tool_result", "image", "document"})


@dataclass
class Accumulator:
    """Builds a reply from the stream's server-sent events and knows whether it completed.

    Events are read as the JSON the API sent, not through the SDK's typed models, so every
    block keeps the exact keys and values it arrived with: block types devagent does not
    know (``server_tool_use``, ``web_search_tool_result``, ``redacted_thinking``, types
    added later) go back to the API unchanged. Deltas extend the block they belong to:
    text, citations, tool input JSON (for any block that streams it), thinking, signature.
    """

    on_event: EventSink
    blocks: dict[int, Block] = field(default_factory=dict)
    partial_json: dict[int, list[str]] = field(default_factory=dict)
    closed: set[int] = field(default_factory=set)
    usage: Usage = field(default_factory=Usage)
    stop_reason: str | None = None
    stopped: bool = False
    message_id: str = ""
    model: str = ""
    error: tuple[str, str] | None = None  # an in-stream ``error`` event: (type, message)

    def feed(self, name: str | None, data: str) -> bool:
        """Take one server-sent event; False once the stream reported an error."""
        if name in (None, "ping") or not data:
            return True
        event = _event_json(data)
        if name == "error":
            self.error = _stream_error(event)
            return False
        handler = _HANDLERS.get(str(event.get("type", "")))
        if handler is not None:
            handler(self, event)
        return True

    def on_message_start(self, event: dict[str, Any]) -> None:
        message = _object(event.get("message"))
        self.message_id = str(message.get("id", ""))
        self.model = str(message.get("model", ""))
        self._take_usage(message.get("usage"))

    def on_block_start(self, event: dict[str, Any]) -> None:
        index = event.get("index")
        if not isinstance(index, int):
            return
        block = dict(_object(event.get("content_block")))
        if block.get("type") == "tool_use":
            block["input"] = {}
            self.partial_json[index] = []
        self.blocks[index] = block

    def on_block_delta(self, event: dict[str, Any]) -> None:
        index, delta = event.get("index"), _object(event.get("delta"))
        block = self.blocks.get(index) if isinstance(index, int) else None
        if block is None or not isinstance(index, int):
            return
        kind = delta.get("type")
        if kind == "text_delta":
            text = str(delta.get("text", ""))
            block["text"] = block.get("text", "") + text
            self.on_event(TextDelta(text))
        elif kind == "input_json_delta":
            self.partial_json.setdefault(index, []).append(str(delta.get("partial_json", "")))
        elif kind == "citations_delta":
            block.setdefault("citations", []).append(delta.get("citation"))
        elif kind == "thinking_delta":
            # Thinking blocks go back to the API verbatim, signature included.
            block["thinking"] = block.get("thinking", "") + str(delta.get("thinking", ""))
        elif kind == "signature_delta":
            block["signature"] = delta.get("signature", "")

    def on_block_stop(self, event: dict[str, Any]) -> None:
        index = event.get("index")
        if isinstance(index, int):
            self.closed.add(index)

    def on_message_delta(self, event: dict[str, Any]) -> None:
        delta = _object(event.get("delta"))
        self.stop_reason = delta.get("stop_reason") or self.stop_reason
        if event.get("usage") is not None:
            self._take_usage(event["usage"])

    def on_message_stop(self, _event: dict[str, Any]) -> None:
        self.stopped = True

    def _take_usage(self, usage: object) -> None:
        """Counts are running totals: the latest report of each replaces the one before."""
        fields = _object(usage)
        for name in Usage().as_dict():
            value = fields.get(name)
            if isinstance(value, int):
                setattr(self.usage, name, value)
        searches = _object(fields.get("server_tool_use")).get("web_search_requests")
        if isinstance(searches, int):
            self.usage.web_search_requests = searches

    def reply(self) -> AssistantReply:
        if self.error is not None:
            raise in_stream_fault(*self.error)
        if not self.stopped or self.stop_reason is None:
            raise Retryable("the stream ended before message_stop", incomplete=True)
        content, errors = self._assemble()
        return AssistantReply(
            content, self.stop_reason, self.usage, self.model, self.message_id, errors
        )

    def _assemble(self) -> tuple[list[Block], dict[str, str]]:
        content: list[Block] = []
        errors: dict[str, str] = {}
        for index in sorted(self.blocks):
            block = self.blocks[index]
            if block.get("type") == "tool_use":
                problem = self._parse_tool_input(index, block)
                if problem:
                    errors[block["id"]] = problem
            elif self.partial_json.get(index):
                # A block the server runs itself (server_tool_use): its input as streamed.
                self._parse_tool_input(index, block)
            content.append(block)
        return content, errors

    def _parse_tool_input(self, index: int, block: Block) -> str | None:
        raw = "".join(self.partial_json.get(index, []))
        if index not in self.closed:
            return "the tool call was cut off before its input was complete"
        try:
            value = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as exc:
            return f"invalid tool input JSON ({exc.msg} at char {exc.pos}): {raw[:500]}"
        if not isinstance(value, dict):
            return f"tool input must be a JSON object, got: {raw[:200]}"
        block["input"] = value
        return None


_HANDLERS: dict[str, Callable[[Accumulator, dict[str, Any]], None]] = {
    "message_start": Accumulator.on_message_start,
    "content_block_start": Accumulator.on_block_start,
    "content_block_delta": Accumulator.on_block_delta,
    "content_block_stop": Accumulator.on_block_stop,
    "message_delta": Accumulator.on_message_delta,
    "message_stop": Accumulator.on_message_stop,
}


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _event_json(data: str) -> dict[str, Any]:
    try:
        event = json.loads(data)
    except json.JSONDecodeError:
        event = None
    if not isinstance(event, dict):
        raise Retryable("the stream sent an event that is not a JSON object", incomplete=True)
    return event


def _stream_error(event: dict[str, Any]) -> tuple[str, str]:
    error = _object(event.get("error"))
    kind = error.get("type")
    message = error.get("message")
    return (
        kind if isinstance(kind, str) else "unknown_error",
        message if isinstance(message, str) else json.dumps(event)[:300],
    )


def in_stream_fault(error_type: str, message: str) -> Exception:
    """An ``error`` event on an HTTP 200 stream: an overload is worth another try."""
    if error_type in RETRYABLE_STREAM_ERRORS:
        return Retryable(f"{error_type} during the stream")
    return ModelError(f"The API reported {error_type} during the stream: {message}")


def _with_cache_breakpoint(messages: list[Message]) -> list[Message]:
    """Mark the last block of the last message so the next turn re-uses this prefix."""
    if not messages:
        return messages
    last = dict(messages[-1])
    content = last["content"]
    if isinstance(content, str):
        content = [{"type": "text", "text": content}]
    if content and content[-1].get("type") in CACHEABLE:
        content = [*content[:-1], {**content[-1], "cache_control": CACHE}]
    last["content"] = content
    return [*messages[:-1], last]


def request_params(model: str, request: ModelRequest) -> dict[str, Any]:
    """The Messages API body, with cache breakpoints on tools, system and the last message
    (none when the request asks for no caching); server tools go after the others."""
    cache = request.cache
    tools = [spec.as_api() for spec in request.tools]
    if tools and cache:
        tools[-1] = {**tools[-1], "cache_control": CACHE}
    tools.extend(request.server_tools)
    params: dict[str, Any] = {
        "model": model,
        "max_tokens": request.max_tokens,
        "messages": _with_cache_breakpoint(request.messages) if cache else request.messages,
    }
    if request.system:
        system: dict[str, Any] = {"type": "text", "text": request.system}
        params["system"] = [{**system, "cache_control": CACHE} if cache else system]
    if tools:
        params["tools"] = tools
    return params


def body_error_type(body: object) -> str | None:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("type"), str):
            return str(error["type"])
    return None


def body_error_message(body: object) -> str | None:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
    return None


def auth_error(status: int) -> ModelAuthError:
    """HTTP 401/403: final, and the server's text is left out (it may echo the key)."""
    return ModelAuthError(
        f"The API rejected the credentials (HTTP {status}). "
        "Check that ANTHROPIC_API_KEY holds a valid key."
    )


def status_error(
    status: int,
    error_type: str | None,
    message: str,
    headers: Mapping[str, str] | None,
    model: str,
) -> Exception:
    """A non-200 answer (or an error the SDK reports with status 200, from inside a stream)
    as ``UnknownModelError``, ``Retryable`` or a final ``ModelError``."""
    if status == 404 and error_type == "not_found_error" and "model" in message.lower():
        return UnknownModelError(unknown_model_message(model))
    if status == 200:
        return in_stream_fault(error_type or "unknown_error", message)
    return status_fault(status, error_type, message, headers)
