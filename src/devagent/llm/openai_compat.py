"""The OpenAI-compatible adapter: streamed Chat Completions over httpx.

It serves every server that speaks ``POST {base_url}/chat/completions`` with server-sent
events (Ollama, llama.cpp, vLLM, LM Studio, OpenRouter, OpenAI). Translation to and from the
wire lives in ``llm.openai_messages``; retries are the shared ``llm.retry`` policy, so a
fault here is retried exactly as the Anthropic adapter retries it.

What counts as a complete reply: the server sent a non-null ``finish_reason`` for the choice.
Until then any end of the stream (``data: [DONE]``, a clean close, a dropped connection, an
idle timeout) means the reply is incomplete; it is retried and, when retries are spent,
raised as ``IncompleteStreamError``, so a tool call cut mid-arguments is never run. After
``finish_reason`` only the usage chunk can follow, so the stream may then end with
``[DONE]``, with a clean close, or even with a broken connection: nothing the loop needs is
lost, and missing usage is estimated. ``finish_reason: "error"`` (sent by gateways whose
upstream failed) is an incomplete reply too.

Usage comes from ``stream_options.include_usage``; a server that sends none gets its usage
estimated at about four characters a token and marked ``Usage.estimated``. Reasoning
(``reasoning_content`` or ``reasoning`` deltas) is streamed as ``ReasoningDelta`` events for
the UI to show dim; it is not kept in the reply, so it is never sent back.

Faults: HTTP 401/403 raise ``ModelAuthError`` (never retried, no key material in the text);
408/409/429/5xx are retried honouring ``retry-after-ms``/``retry-after`` up to the policy's cap
(``x-should-retry`` overrides either way); other statuses are final. An error object inside
the stream (``data: {"error": …}``, ``event: error`` or llama.cpp's ``error:`` line) is
retried when its code is retryable or it names a server-side or rate-limit error, and is
final otherwise.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from devagent import __version__
from devagent.errors import ModelAuthError, ModelError
from devagent.events import EventSink, ReasoningDelta, TextDelta
from devagent.llm.openai_messages import CallDraft, reply_blocks, request_body, stop_reason
from devagent.llm.retry import Retryable, RetryPolicy, run_with_retries, status_fault
from devagent.messages import AssistantReply, ModelRequest, Usage

RETRYABLE_STATUS = frozenset({408, 409, 429, *range(500, 600)})
RETRYABLE_ERROR_TYPES = frozenset(
    {
        "server_error",
        "api_error",
        "internal_error",
        "internal_server_error",
        "overloaded_error",
        "service_unavailable",
        "rate_limit_error",
        "rate_limit_exceeded",
        "timeout",
    }
)
REASONING_FIELDS = ("reasoning_content", "reasoning")
CHARS_PER_TOKEN = 4
IMAGE_TOKENS = 1000  # a middling image; its base64 text says nothing about its token cost
DEFAULT_KEY_HINT = "Check the API key configured for this provider."


@dataclass
class _Stream:
    """Builds a reply from Chat Completions chunks and knows whether the server finished."""

    on_event: EventSink
    text: list[str] = field(default_factory=list)
    calls: dict[int, CallDraft] = field(default_factory=dict)
    reasoning_chars: int = 0
    finish_reason: str | None = None
    usage: Usage | None = None
    message_id: str = ""
    model: str = ""

    def feed(self, chunk: dict[str, Any]) -> None:
        if chunk.get("error"):
            raise stream_error_fault(chunk["error"])
        self.message_id = self.message_id or str(chunk.get("id") or "")
        self.model = self.model or str(chunk.get("model") or "")
        if isinstance(chunk.get("usage"), dict):
            self.usage = usage_from(chunk["usage"])
        for choice in chunk.get("choices") or []:
            if isinstance(choice, dict) and choice.get("index", 0) == 0:
                self._take_delta(choice.get("delta") or {})
                self.finish_reason = choice.get("finish_reason") or self.finish_reason

    def _take_delta(self, delta: dict[str, Any]) -> None:
        # Servers moving from ``reasoning_content`` to ``reasoning`` may send both, same text.
        texts = [delta[n] for n in REASONING_FIELDS if isinstance(delta.get(n), str)]
        reasoning = next((text for text in texts if text), "")
        if reasoning:
            self.reasoning_chars += len(reasoning)
            self.on_event(ReasoningDelta(reasoning))
        for name in ("content", "refusal"):
            if isinstance(delta.get(name), str) and delta[name]:
                self.text.append(delta[name])
                self.on_event(TextDelta(delta[name]))
        for call in delta.get("tool_calls") or []:
            if isinstance(call, dict):
                self._take_call(call)

    def _take_call(self, call: dict[str, Any]) -> None:
        index = call.get("index")
        if not isinstance(index, int):
            # Servers that leave out ``index`` send each call whole: a name starts a new call,
            # anything else continues the last one.
            starts = bool((call.get("function") or {}).get("name"))
            index = len(self.calls) if starts or not self.calls else max(self.calls)
        draft = self.calls.setdefault(index, CallDraft())
        draft.id = draft.id or str(call.get("id") or "")
        function = call.get("function") or {}
        # The name comes once; a server repeating it in later fragments must not double it.
        draft.name = draft.name or str(function.get("name") or "")
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            draft.arguments.append(arguments)
        elif isinstance(arguments, dict):
            draft.arguments.append(json.dumps(arguments))

    @property
    def finished(self) -> bool:
        return self.finish_reason is not None

    def reply(self, estimated_input: Callable[[], int]) -> AssistantReply:
        if self.finish_reason is None:
            raise Retryable("the stream ended before finish_reason", incomplete=True)
        if self.finish_reason == "error":
            raise Retryable("the server ended the reply with finish_reason error", incomplete=True)
        calls = [self.calls[i] for i in sorted(self.calls)]
        text = "".join(self.text)
        content, errors = reply_blocks(text, calls, cut_off=self.finish_reason == "length")
        usage = self.usage or Usage(
            input_tokens=estimated_input(),
            output_tokens=self._estimated_output(text, calls),
            estimated=True,
        )
        reason = stop_reason(self.finish_reason, bool(calls))
        return AssistantReply(content, reason, usage, self.model, self.message_id, errors)

    def _estimated_output(self, text: str, calls: list[CallDraft]) -> int:
        chars = len(text) + self.reasoning_chars
        chars += sum(len(c.name) + sum(map(len, c.arguments)) for c in calls)
        return math.ceil(chars / CHARS_PER_TOKEN)


def usage_from(raw: dict[str, Any]) -> Usage:
    """Chat Completions usage in devagent's terms: cached prompt tokens counted apart, as the
    Messages API does, so cost and the context-size check read them the same way."""
    details = raw.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    cached = cached if isinstance(cached, int) else 0
    prompt = raw.get("prompt_tokens")
    completion = raw.get("completion_tokens")
    return Usage(
        input_tokens=max(0, (prompt if isinstance(prompt, int) else 0) - cached),
        output_tokens=completion if isinstance(completion, int) else 0,
        cache_read_input_tokens=cached,
    )


def estimate_tokens(body: Mapping[str, Any]) -> int:
    """About how many tokens the request's messages and tools hold (characters / 4)."""
    return math.ceil((_chars(body.get("messages")) + _chars(body.get("tools"))) / CHARS_PER_TOKEN)


def _chars(value: object) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        if value.get("type") == "image_url":
            return IMAGE_TOKENS * CHARS_PER_TOKEN
        return sum(_chars(v) for v in value.values())
    if isinstance(value, list):
        return sum(_chars(v) for v in value)
    return 0


# --------------------------------------------------------------------------- errors


def _error_fields(error: object) -> tuple[int | None, str | None, str]:
    """(status code, error type, message) from an OpenAI-style error object or string."""
    if not isinstance(error, dict):
        return None, None, str(error)
    code, kind = error.get("code"), error.get("type")
    status = code if isinstance(code, int) else None
    if isinstance(code, str) and code.isdigit():
        status = int(code)
    if not isinstance(kind, str):
        kind = code if isinstance(code, str) and not code.isdigit() else None
    message = error.get("message")
    return status, kind, str(message) if message is not None else json.dumps(error)[:300]


def stream_error_fault(error: object) -> Exception:
    """An error object sent inside a 200 stream, as ``Retryable`` or a final error."""
    status, kind, message = _error_fields(error)
    if status in (401, 403):
        return ModelAuthError(f"The API rejected the credentials during the stream ({status}).")
    if status is not None:
        retry = status in RETRYABLE_STATUS
    else:
        # Without a code, only an error that names a request problem is final.
        retry = kind is None or kind in RETRYABLE_ERROR_TYPES
    if retry:
        return Retryable(f"{kind or 'error'} during the stream: {message[:200]}")
    return ModelError(f"The API reported {kind or status} during the stream: {message}")


def _http_fault(response: httpx.Response, base_url: str, key_hint: str) -> Exception:
    if response.status_code in (401, 403):
        # The server's message is left out: some echo part of the key back.
        return ModelAuthError(
            f"The API at {base_url} rejected the credentials (HTTP {response.status_code}). "
            f"{key_hint}"
        )
    try:
        body: object = response.json()
    except ValueError:
        body = {"error": {"message": response.text[:300]}}
    error = body.get("error", body) if isinstance(body, dict) else body
    _status, kind, message = _error_fields(error)
    kind = kind or httpx.codes.get_reason_phrase(response.status_code) or None
    return status_fault(response.status_code, kind, message, response.headers, RETRYABLE_STATUS)


def _transport_fault(exc: httpx.RequestError, base_url: str) -> Retryable:
    if isinstance(exc, httpx.RemoteProtocolError):
        return Retryable("the connection closed in the middle of the reply", incomplete=True)
    if isinstance(exc, httpx.ReadTimeout):
        return Retryable("no data from the API within the idle timeout")
    if isinstance(exc, httpx.ConnectError):
        return Retryable(f"cannot connect to {base_url} (is the server running?)")
    return Retryable(f"connection problem: {type(exc).__name__}")


# --------------------------------------------------------------------------- server-sent events


@dataclass(frozen=True)
class SSEEvent:
    event: str
    data: str


def sse_lines(chunks: Iterator[bytes]) -> Iterator[str]:
    """Complete lines from a byte stream, decoded only once whole, so a UTF-8 character or
    a ``data:`` prefix split across network reads arrives intact. A trailing line without
    its newline was cut off and is dropped."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            yield line.removesuffix(b"\r").decode("utf-8", errors="replace")


def sse_events(lines: Iterator[str]) -> Iterator[SSEEvent]:
    """Events per the SSE rules: ``data`` lines joined, dispatched at a blank line, comments
    (``: keep-alive``) skipped. llama.cpp's ``error: {...}`` line counts as an error event."""
    event = ""
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield SSEEvent(event, "\n".join(data))
            event, data = "", []
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
        elif name == "error":
            event, data = "error", [value]


def _chunk(event: SSEEvent) -> dict[str, Any]:
    try:
        chunk = json.loads(event.data)
    except json.JSONDecodeError:
        chunk = None
    if not isinstance(chunk, dict):
        raise Retryable(f"the server sent malformed data: {event.data[:100]}", incomplete=True)
    if event.event == "error" and "error" not in chunk:
        return {"error": chunk}
    return chunk


def _whole_completion(raw: bytes) -> dict[str, Any]:
    """A non-streamed completion as one chunk: each choice's ``message`` as its ``delta``."""
    chunk = _chunk(SSEEvent("", raw.decode("utf-8", errors="replace")))
    chunk["choices"] = [
        {**choice, "delta": choice.get("message") or {}}
        for choice in chunk.get("choices") or []
        if isinstance(choice, dict)
    ]
    return chunk


# --------------------------------------------------------------------------- the model


class OpenAICompatModel:
    """Streams replies from an OpenAI-compatible ``/chat/completions`` endpoint.

    ``key_hint`` ends the message of an authentication failure (e.g. "Check that
    OPENROUTER_API_KEY holds a valid key."); ``images=False`` is for models without image
    input; ``include_usage=False`` for servers that reject ``stream_options``.
    """

    def __init__(
        self,
        name: str,
        *,
        base_url: str,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        key_hint: str = DEFAULT_KEY_HINT,
        policy: RetryPolicy | None = None,
        idle_timeout: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
        include_usage: bool = True,
        max_tokens_field: str = "max_tokens",
        images: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = name
        self._base_url = base_url.rstrip("/")
        self._key_hint = key_hint
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._body_options: dict[str, Any] = {
            "include_usage": include_usage,
            "max_tokens_field": max_tokens_field,
            "images": images,
        }
        sent = {"accept": "text/event-stream", "user-agent": f"devagent/{__version__}"}
        if api_key:
            sent["authorization"] = f"Bearer {api_key}"
        self._client = httpx.Client(
            headers={**sent, **(headers or {})},
            timeout=httpx.Timeout(600.0, connect=10.0, read=idle_timeout),
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def stream(self, request: ModelRequest, on_event: EventSink) -> AssistantReply:
        if request.server_tools:
            names = ", ".join(str(t.get("name", t.get("type"))) for t in request.server_tools)
            raise ModelError(
                f"{self.name} is served through Chat Completions, which has no server-side "
                f"tools ({names}); use an Anthropic model for this."
            )
        body = request_body(self.name, request, **self._body_options)
        return run_with_retries(
            lambda: self._attempt(body, on_event), self._policy, on_event, self._sleep
        )

    def _attempt(self, body: dict[str, Any], on_event: EventSink) -> AssistantReply:
        state = _Stream(on_event)
        try:
            self._read(body, state)
        except httpx.RequestError as exc:
            if not state.finished:
                raise _transport_fault(exc, self._base_url) from exc
        return state.reply(lambda: estimate_tokens(body))

    def _read(self, body: dict[str, Any], state: _Stream) -> None:
        url = f"{self._base_url}/chat/completions"
        with self._client.stream("POST", url, json=body) as response:
            if response.status_code != 200:
                response.read()
                raise _http_fault(response, self._base_url, self._key_hint)
            if response.headers.get("content-type", "").startswith("application/json"):
                # A server that ignores ``stream: true`` answers with the whole completion.
                state.feed(_whole_completion(response.read()))
                return
            for event in sse_events(sse_lines(response.iter_bytes())):
                if event.data.strip() == "[DONE]":
                    return
                state.feed(_chunk(event))
