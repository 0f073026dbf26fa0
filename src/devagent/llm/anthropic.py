"""The Anthropic adapter: the only module that imports the ``anthropic`` SDK (lazily).

It owns every retry. The SDK's own retries are switched off (``max_retries=0``) because they
do not cover faults inside a stream and honour any ``retry-after`` uncapped; one layer
(``llm.retry``, shared with the other adapters) retries HTTP 408/409/429/5xx/529, connection
faults, idle timeouts, in-stream ``overloaded_error``/``api_error`` events and streams that
end without ``message_stop``.
A reply is returned only when the stream completed; a tool is never run from a partial one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from devagent.config import unknown_model_message
from devagent.errors import ModelAuthError, ModelError, UnknownModelError
from devagent.events import EventSink, TextDelta
from devagent.llm.retry import Retryable, RetryPolicy, run_with_retries, status_fault
from devagent.messages import AssistantReply, Block, Message, ModelRequest, Usage

if TYPE_CHECKING:
    import anthropic

__all__ = ["AnthropicModel", "RetryPolicy", "request_params"]

RETRYABLE_STREAM_ERRORS = frozenset({"overloaded_error", "api_error"})
CACHE = {"type": "ephemeral"}
CACHEABLE = frozenset({"text", "tool_use", "tool_result", "image", "document"})


@dataclass
class _Accumulator:
    """Builds a reply from raw stream events and knows whether the stream completed."""

    on_event: EventSink
    blocks: dict[int, Block] = field(default_factory=dict)
    partial_json: dict[int, list[str]] = field(default_factory=dict)
    closed: set[int] = field(default_factory=set)
    usage: Usage = field(default_factory=Usage)
    stop_reason: str | None = None
    stopped: bool = False
    message_id: str = ""
    model: str = ""

    def feed(self, event: Any) -> None:
        handler = _HANDLERS.get(getattr(event, "type", ""))
        if handler is not None:
            handler(self, event)

    def on_message_start(self, event: Any) -> None:
        message = event.message
        self.message_id, self.model = message.id, message.model
        self._take_usage(message.usage)

    def on_block_start(self, event: Any) -> None:
        block = _to_dict(event.content_block)
        if block.get("type") == "tool_use":
            block["input"] = {}
            self.partial_json[event.index] = []
        self.blocks[event.index] = block

    def on_block_delta(self, event: Any) -> None:
        block, delta = self.blocks.get(event.index), event.delta
        kind = getattr(delta, "type", "")
        if block is None:
            return
        if kind == "text_delta":
            block["text"] = block.get("text", "") + delta.text
            self.on_event(TextDelta(delta.text))
        elif kind == "input_json_delta":
            self.partial_json.setdefault(event.index, []).append(delta.partial_json)
        elif kind == "thinking_delta":
            # Thinking blocks go back to the API verbatim, signature included.
            block["thinking"] = block.get("thinking", "") + delta.thinking
        elif kind == "signature_delta":
            block["signature"] = delta.signature

    def on_block_stop(self, event: Any) -> None:
        self.closed.add(event.index)

    def on_message_delta(self, event: Any) -> None:
        self.stop_reason = getattr(event.delta, "stop_reason", None) or self.stop_reason
        if getattr(event, "usage", None) is not None:
            self._take_usage(event.usage)

    def on_message_stop(self, _event: Any) -> None:
        self.stopped = True

    def _take_usage(self, usage: Any) -> None:
        for name in Usage.__dataclass_fields__:
            value = getattr(usage, name, None)
            if isinstance(value, int):
                setattr(self.usage, name, value)

    def reply(self) -> AssistantReply:
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


_HANDLERS: dict[str, Callable[[_Accumulator, Any], None]] = {
    "message_start": _Accumulator.on_message_start,
    "content_block_start": _Accumulator.on_block_start,
    "content_block_delta": _Accumulator.on_block_delta,
    "content_block_stop": _Accumulator.on_block_stop,
    "message_delta": _Accumulator.on_message_delta,
    "message_stop": _Accumulator.on_message_stop,
}


def _to_dict(obj: Any) -> Block:
    if isinstance(obj, dict):
        return dict(obj)
    dumped: Block = obj.model_dump(exclude_none=True)
    return dumped


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
    """The Messages API body, with cache breakpoints on tools, system and the last message."""
    tools = [spec.as_api() for spec in request.tools]
    if tools:
        tools[-1] = {**tools[-1], "cache_control": CACHE}
    params: dict[str, Any] = {
        "model": model,
        "max_tokens": request.max_tokens,
        "messages": _with_cache_breakpoint(request.messages),
    }
    if request.system:
        params["system"] = [{"type": "text", "text": request.system, "cache_control": CACHE}]
    if tools:
        params["tools"] = tools
    return params


class AnthropicModel:
    """Streams replies from the Messages API through the official SDK."""

    def __init__(
        self,
        name: str,
        *,
        api_key: str,
        base_url: str | None = None,
        policy: RetryPolicy | None = None,
        idle_timeout: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self._api_key, self._base_url = api_key, base_url
        self._policy = policy or RetryPolicy()
        self._idle_timeout = idle_timeout
        self._sleep = sleep
        self._client: anthropic.Anthropic | None = None

    def _sdk(self) -> anthropic.Anthropic:
        if self._client is None:
            import anthropic  # deferred: importing the SDK costs about a second

            self._client = anthropic.Anthropic(
                api_key=self._api_key,
                base_url=self._base_url,
                max_retries=0,
                timeout=anthropic.Timeout(600.0, connect=10.0, read=self._idle_timeout),
            )
        return self._client

    def stream(self, request: ModelRequest, on_event: EventSink) -> AssistantReply:
        return run_with_retries(
            lambda: self._attempt(request, on_event), self._policy, on_event, self._sleep
        )

    def _attempt(self, request: ModelRequest, on_event: EventSink) -> AssistantReply:
        acc = _Accumulator(on_event)
        try:
            with self._sdk().messages.create(
                **request_params(self.name, request), stream=True
            ) as events:
                for event in events:
                    acc.feed(event)
        except Exception as exc:  # narrowed by _classify; anything unknown is re-raised
            raise _classify(exc, self.name) from exc
        return acc.reply()


def _classify(exc: Exception, model: str) -> Exception:
    """Map an SDK or transport exception to ``Retryable`` or a final ``ModelError``."""
    import anthropic
    import httpx2

    if isinstance(exc, anthropic.AuthenticationError | anthropic.PermissionDeniedError):
        return ModelAuthError(
            f"The API rejected the credentials (HTTP {exc.status_code}). "
            "Check that ANTHROPIC_API_KEY holds a valid key."
        )
    if isinstance(exc, anthropic.APIStatusError):
        return _classify_status(exc, model)
    if isinstance(exc, httpx2.RemoteProtocolError):
        return Retryable("the connection closed in the middle of the reply", incomplete=True)
    if isinstance(exc, httpx2.ReadTimeout):
        return Retryable("no data from the API within the idle timeout")
    if isinstance(exc, anthropic.APIConnectionError | httpx2.TransportError):
        return Retryable(f"connection problem: {type(exc).__name__}")
    return exc


def _classify_status(exc: anthropic.APIStatusError, model: str) -> Exception:
    headers = exc.response.headers if exc.response is not None else None
    error_type = getattr(exc, "type", None) or _body_error_type(exc.body)
    message = _body_error_message(exc.body) or str(exc)
    if exc.status_code == 404 and error_type == "not_found_error" and "model" in message.lower():
        return UnknownModelError(unknown_model_message(model))
    if exc.status_code == 200:
        if error_type in RETRYABLE_STREAM_ERRORS:
            return Retryable(f"{error_type} during the stream")
        return ModelError(f"The API reported {error_type} during the stream: {message}")
    return status_fault(exc.status_code, error_type, message, headers)


def _body_error_type(body: object) -> str | None:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("type"), str):
            return str(error["type"])
    return None


def _body_error_message(body: object) -> str | None:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
    return None
