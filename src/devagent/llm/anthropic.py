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
            raise _in_stream_fault(*self.error)
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


_HANDLERS: dict[str, Callable[[_Accumulator, dict[str, Any]], None]] = {
    "message_start": _Accumulator.on_message_start,
    "content_block_start": _Accumulator.on_block_start,
    "content_block_delta": _Accumulator.on_block_delta,
    "content_block_stop": _Accumulator.on_block_stop,
    "message_delta": _Accumulator.on_message_delta,
    "message_stop": _Accumulator.on_message_stop,
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


def _in_stream_fault(error_type: str, message: str) -> Exception:
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
        from anthropic import Stream

        acc = _Accumulator(on_event)
        try:
            with self._sdk().messages.with_streaming_response.create(
                **request_params(self.name, request), stream=True
            ) as response:
                for sse in Stream.raw_events(response.http_response):
                    if not acc.feed(sse.event, sse.data):
                        break
        except Retryable:
            raise
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
