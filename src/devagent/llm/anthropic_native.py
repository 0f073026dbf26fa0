"""The Anthropic Messages API over httpx: the default client for Anthropic's own API.

Importing the official SDK costs 1.5-2 s and about 80 MB, paid before the first request of
every run; devagent already owns what the SDK would add on this path (retries, the stream
accumulator), so this client speaks the wire protocol itself. It sends what the SDK adapter
(``llm.anthropic``) sends where it matters: the same body (``anthropic_wire.request_params``),
``POST {base_url}/v1/messages`` with ``stream: true``, the same ``anthropic-version``, the key as
``Authorization: Bearer`` and the headers of ``ANTHROPIC_CUSTOM_HEADERS`` (``anthropic-beta``
among them); it reads the stream with the same ``Accumulator`` and maps faults through the same
``status_error``/``auth_error``. ``tests/llm/test_native_equivalence.py`` runs one script of
conversations and faults through both and compares requests and replies.

Faults, as in the SDK adapter: HTTP 401/403 raise ``ModelAuthError`` (never retried, no server
text); a 404 naming the model raises ``UnknownModelError``; 408/409/429/5xx/529 are retried
honouring ``retry-after-ms``/``retry-after`` up to the policy's cap; an in-stream ``error`` event,
a connection cut mid-stream, an idle timeout and a stream without ``message_stop`` go through
``llm.retry``. A reply is returned only when the stream completed.

One ``httpx.Client`` serves the whole process (``shared_client``), so the small model, subagents
and every turn reuse its connections; ``AnthropicNativeModel.warm`` builds it ahead of the
first request, which the chat does in the background while the user types.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from devagent import __version__
from devagent.events import EventSink
from devagent.llm.anthropic_wire import (
    Accumulator,
    auth_error,
    body_error_message,
    body_error_type,
    request_params,
    status_error,
)
from devagent.llm.retry import Retryable, RetryPolicy, run_with_retries
from devagent.messages import AssistantReply, ModelRequest

__all__ = ["ANTHROPIC_VERSION", "AnthropicNativeModel", "custom_headers", "shared_client"]

ANTHROPIC_VERSION = "2026-10-21"  # the version the SDK pins; the equivalence test holds them equal
DEFAULT_BASE_URL = "https://api.anthropic.com"
CONNECT_TIMEOUT = 10.0
TOTAL_TIMEOUT = 600.0

_client: httpx.Client | None = None
_client_lock = threading.Lock()


def shared_client() -> httpx.Client:
    """The process's one client; its TLS context and connection pool are built once."""
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(timeout=httpx.Timeout(TOTAL_TIMEOUT, connect=CONNECT_TIMEOUT))
        return _client


def custom_headers(env: Mapping[str, str]) -> dict[str, str]:
    """``ANTHROPIC_CUSTOM_HEADERS``, one ``Name: value`` a line, read as the SDK reads it."""
    parsed: dict[str, str] = {}
    for line in env.get("ANTHROPIC_CUSTOM_HEADERS", "").split("\n"):
        name, colon, value = line.partition(":")
        if colon:
            parsed[name.strip()] = value.strip()
    return parsed


class AnthropicNativeModel:
    """Streams replies from the Messages API over httpx (see the module docstring)."""

    def __init__(
        self,
        name: str,
        *,
        api_key: str,
        base_url: str | None = None,
        headers: Mapping[str, str] | None = None,
        policy: RetryPolicy | None = None,
        idle_timeout: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self._url = (base_url or DEFAULT_BASE_URL).rstrip("/") + "/v1/messages"
        self._headers = {
            "accept": "application/json",
            "anthropic-version": ANTHROPIC_VERSION,
            "authorization": f"Bearer {api_key}",
            "user-agent": f"devagent/{__version__}",
            **(headers or {}),
        }
        self._timeout = httpx.Timeout(TOTAL_TIMEOUT, connect=CONNECT_TIMEOUT, read=idle_timeout)
        self._policy = policy or RetryPolicy()
        self._sleep = sleep

    def warm(self) -> None:
        """Build the shared client now (httpcore's import, the TLS context: about 0.1 s), so
        the first request does not wait for it. Nothing is sent: httpx has no connect-only
        call, and a throwaway request would be an API call nobody asked for."""
        shared_client()

    def stream(self, request: ModelRequest, on_event: EventSink) -> AssistantReply:
        body = json.dumps(request_body(self.name, request)).encode()
        return run_with_retries(
            lambda: self._attempt(body, on_event), self._policy, on_event, self._sleep
        )

    def _attempt(self, body: bytes, on_event: EventSink) -> AssistantReply:
        acc = Accumulator(on_event)
        headers = {**self._headers, "content-type": "application/json"}
        client = shared_client()
        try:
            with client.stream(
                "POST", self._url, content=body, headers=headers, timeout=self._timeout
            ) as response:
                if response.status_code != 200:
                    response.read()
                    raise _http_fault(response, self.name)
                for name, data in sse_events(response.iter_bytes()):
                    if not acc.feed(name, data):
                        break
        except httpx.RequestError as exc:
            raise _transport_fault(exc) from exc
        return acc.reply()


def _http_fault(response: httpx.Response, model: str) -> Exception:
    status = response.status_code
    if status in (401, 403):
        return auth_error(status)
    text = response.text.strip()
    try:
        body: object = json.loads(text)
        fallback = f"Error code: {status} - {body}"
    except ValueError:
        body, fallback = text, text or f"Error code: {status}"
    message = body_error_message(body) or fallback
    return status_error(status, body_error_type(body), message, response.headers, model)


def _transport_fault(exc: httpx.RequestError) -> Retryable:
    if isinstance(exc, httpx.RemoteProtocolError):
        return Retryable("the connection closed in the middle of the reply", incomplete=True)
    if isinstance(exc, httpx.ReadTimeout):
        return Retryable("no data from the API within the idle timeout")
    return Retryable(f"connection problem: {type(exc).__name__}")


# --------------------------------------------------------------------------- server-sent events


def sse_events(chunks: Iterator[bytes]) -> Iterator[tuple[str | None, str]]:
    """``(event name, data)`` per the SSE rules, as the SDK's decoder yields them: ``data``
    lines joined by newlines, comments skipped, an event dispatched at a blank line (one cut
    off before its blank line never is)."""
    name: str | None = None
    data: list[str] = []
    for line in _lines(chunks):
        if not line:
            if name is not None or data:
                yield name, "\n".join(data)
            name, data = None, []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)


def _lines(chunks: Iterator[bytes]) -> Iterator[str]:
    """Whole lines (ended by CR, LF or CRLF), decoded only once complete, so a UTF-8 character
    split across network reads arrives intact."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        lines = pending.splitlines(keepends=True)
        # The last piece may be unfinished, or a CR whose LF is still on the way.
        pending = lines.pop() if lines and not lines[-1].endswith(b"\n") else b""
        for line in lines:
            yield line.rstrip(b"\r\n").decode("utf-8", errors="replace")
    if pending.endswith(b"\r"):
        yield pending.rstrip(b"\r").decode("utf-8", errors="replace")


def request_body(model: str, request: ModelRequest) -> dict[str, Any]:
    """The JSON body this client sends for ``request`` (what the SDK adapter sends too)."""
    return {**request_params(model, request), "stream": True}
