"""A fake Anthropic Messages API served over real HTTP, for tests that drive the real SDK.

This module owns the wire-level fake: a threaded HTTP server on 127.0.0.1, a queue of scripted
responses consumed one per request, the record of every request received, and fault injection
(HTTP errors, in-stream ``error`` events, dropped connections, stalls, pings, unknown events,
UTF-8 characters split across TCP writes).

Import it from any test as ``from fakes.fake_api import FakeAPI, text_reply`` (``tests/conftest.py``
puts the ``tests`` directory on ``sys.path``; pytest runs with ``--import-mode=importlib``).
Most tests use the ``fake_api`` fixture, which starts a server and checks at teardown that every
scripted response was consumed and no request arrived unexpectedly::

    def test_turn(fake_api: FakeAPI) -> None:
        fake_api.enqueue(
            tool_reply(tool_call("Bash", {"command": "ls"}), text="Listing."),
            http_error(529),
            text_reply("Done."),
        )
        client = anthropic.Anthropic(api_key="test", base_url=fake_api.base_url, max_retries=0)
        ...
        assert fake_api.requests[0].tool_names() == ["Bash", "Read"]

A queued item is one of:

- ``Reply`` (from ``reply``, ``text_reply``, ``tool_reply`` and the fault builders): streamed as
  server-sent events when the request body has ``"stream": true``, else sent as one JSON message.
  ``Reply.with_faults(...)`` perturbs the stream (see ``StreamFaults``).
- ``HTTPError`` (from ``http_error``): a non-200 status with the official error body.
- ``JSONResponse``: any JSON body, e.g. for ``/v1/messages/count_tokens``.
- ``RawStream``: an explicit list of SSE events, for shapes the builders cannot express.
- a callable taking the ``RecordedRequest`` and returning one of the above.

Stream events are counted from 1 (``message_start``); pings and injected unknown events do not
count. ``sse_events(reply)`` lists the events a reply streams, to pick a cut point.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self, TypeAlias, cast
from urllib.parse import urlsplit

DEFAULT_MODEL = "claude-sonnet-4-5"
SPLIT_WRITE_PAUSE = 0.02  # long enough for the client to read each half of a split separately
_POLL = 0.05

_ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
_ERROR_MESSAGES: dict[str, str] = {
    "invalid_request_error": "Invalid request",
    "authentication_error": "invalid x-api-key",
    "permission_error": "Your API key does not have permission to use the specified resource.",
    "not_found_error": "Not found",
    "request_too_large": "Request exceeds the maximum allowed number of bytes.",
    "rate_limit_error": "Number of request tokens has exceeded your per-minute rate limit",
    "api_error": "Internal server error",
    "overloaded_error": "Overloaded",
}
_CONNECTION_ERRORS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


def new_message_id() -> str:
    return "msg_01" + uuid.uuid4().hex[:22]


def new_tool_use_id() -> str:
    return "toolu_01" + uuid.uuid4().hex[:22]


def new_request_id() -> str:
    return "req_01" + uuid.uuid4().hex[:22]


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def split_evenly(text: str, pieces: int) -> list[str]:
    """Cut ``text`` into ``pieces`` non-empty parts of near-equal length (fewer if it is short)."""
    if not text:
        return []
    pieces = max(1, min(pieces, len(text)))
    bounds = [round(i * len(text) / pieces) for i in range(pieces + 1)]
    return [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]


# --------------------------------------------------------------------------- content blocks


@dataclass(frozen=True)
class Usage:
    """Token usage; the stream reports these as cumulative totals in ``message_delta``."""

    input_tokens: int = 10
    output_tokens: int = 20
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    def to_json(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "output_tokens": self.output_tokens,
        }


@dataclass(frozen=True)
class Text:
    """A text block, streamed as ``chunks`` ``text_delta`` events."""

    text: str
    chunks: int = 3

    def to_json(self) -> dict[str, Any]:
        return {"type": "text", "text": self.text}

    def start_json(self) -> dict[str, Any]:
        return {"type": "text", "text": ""}

    def deltas(self) -> list[dict[str, Any]]:
        return [
            {"type": "text_delta", "text": part} for part in split_evenly(self.text, self.chunks)
        ]


@dataclass(frozen=True)
class ToolUse:
    """A tool_use block.

    Streamed as ``input_json_delta`` fragments: by default ``""`` then the JSON of ``input`` cut
    at arbitrary points into ``chunks`` parts. ``fragments`` gives them exactly (they may form
    invalid or unfinished JSON). ``complete=False`` omits the block's ``content_block_stop``.
    """

    name: str
    input: Mapping[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=new_tool_use_id)
    fragments: Sequence[str] | None = None
    chunks: int = 3
    complete: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"type": "tool_use", "id": self.id, "name": self.name, "input": dict(self.input)}

    def start_json(self) -> dict[str, Any]:
        return {"type": "tool_use", "id": self.id, "name": self.name, "input": {}}

    def partial_json(self) -> list[str]:
        if self.fragments is not None:
            return list(self.fragments)
        return ["", *split_evenly(_dumps(dict(self.input)), self.chunks)]

    def deltas(self) -> list[dict[str, Any]]:
        return [{"type": "input_json_delta", "partial_json": p} for p in self.partial_json()]


@dataclass(frozen=True)
class Thinking:
    """An extended-thinking block: ``thinking_delta`` events, then one ``signature_delta``."""

    thinking: str
    signature: str = "c2lnbmF0dXJl"
    chunks: int = 2

    def to_json(self) -> dict[str, Any]:
        return {"type": "thinking", "thinking": self.thinking, "signature": self.signature}

    def start_json(self) -> dict[str, Any]:
        return {"type": "thinking", "thinking": "", "signature": ""}

    def deltas(self) -> list[dict[str, Any]]:
        parts = split_evenly(self.thinking, self.chunks)
        return [
            *({"type": "thinking_delta", "thinking": part} for part in parts),
            {"type": "signature_delta", "signature": self.signature},
        ]


Block: TypeAlias = Text | ToolUse | Thinking


# --------------------------------------------------------------------------- responses


@dataclass(frozen=True)
class StreamFaults:
    """Ways to perturb a streamed reply; the defaults give a clean stream.

    Positions count stream events from 1 (``message_start``); pings and injected unknown
    events do not count. At most one of ``error_after``, ``end_after`` and ``drop_after``
    applies (the earliest position wins).
    """

    ping_every: int = 0  # a ping after every Nth event
    unknown_event: bool = False  # an ``event: future_thing`` right after message_start
    unknown_delta: bool = False  # a delta of unknown type right after the first block start
    split_utf8: bool = False  # events holding a multi-byte character go out in two TCP writes
    error_after: int | None = None  # an in-stream ``event: error``, then the stream ends
    error_type: str = "overloaded_error"
    error_message: str = "Overloaded"
    end_after: int | None = None  # the stream ends cleanly (proper HTTP framing) here
    drop_after: int | None = None  # the connection is shut down abruptly here
    stall_after: int | None = None  # the server goes quiet for ``stall_seconds`` here
    stall_seconds: float = 0.0
    stall_ping_interval: float | None = None  # pings while stalled
    chunked: bool = True  # False: HTTP/1.0-style body that ends when the connection closes

    def needs_stream(self) -> bool:
        return self.error_after is not None or self.end_after is not None


@dataclass(frozen=True)
class Reply:
    """One assistant message: SSE when the request streams, JSON otherwise."""

    content: tuple[Block, ...]
    stop_reason: str | None = "end_turn"
    usage: Usage = field(default_factory=Usage)
    id: str = field(default_factory=new_message_id)
    model: str | None = None  # None: echo the request's model
    stop_sequence: str | None = None
    faults: StreamFaults = field(default_factory=StreamFaults)
    headers: Mapping[str, str] = field(default_factory=dict)

    def with_faults(self, **changes: Any) -> Reply:
        """A copy with some ``StreamFaults`` fields changed."""
        return replace(self, faults=replace(self.faults, **changes))

    @property
    def tool_uses(self) -> list[ToolUse]:
        return [block for block in self.content if isinstance(block, ToolUse)]

    def to_json(self, model: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model or model,
            "content": [block.to_json() for block in self.content],
            "stop_reason": self.stop_reason,
            "stop_sequence": self.stop_sequence,
            "usage": self.usage.to_json(),
        }


@dataclass(frozen=True)
class HTTPError:
    """A non-200 response carrying ``{"type":"error","error":{"type":…,"message":…}}``."""

    status: int
    error_type: str
    message: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def body(self, request_id: str) -> dict[str, Any]:
        return {
            "type": "error",
            "error": {"type": self.error_type, "message": self.message},
            "request_id": request_id,
        }


@dataclass(frozen=True)
class JSONResponse:
    """Any JSON body with any status, e.g. ``{"input_tokens": 12}`` for count_tokens."""

    body: Any
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RawStream:
    """An explicit SSE stream: ``(event name, data)`` pairs or raw bytes, written in order.

    ``end="drop"`` shuts the connection down abruptly after the last item.
    """

    events: Sequence[tuple[str, Mapping[str, Any]] | bytes]
    end: Literal["clean", "drop"] = "clean"
    chunked: bool = True


Response: TypeAlias = Reply | HTTPError | JSONResponse | RawStream
Scripted: TypeAlias = Response | Callable[["RecordedRequest"], Response]


# --------------------------------------------------------------------------- builders


def tool_call(
    name: str,
    input: Mapping[str, Any] | None = None,
    *,
    id: str | None = None,
    fragments: Sequence[str] | None = None,
    chunks: int = 3,
) -> ToolUse:
    """A tool_use block with an auto-generated ``toolu_…`` id unless ``id`` is given."""
    return ToolUse(
        name=name,
        input=dict(input or {}),
        id=id or new_tool_use_id(),
        fragments=fragments,
        chunks=chunks,
    )


def reply(
    *blocks: Block | str,
    stop_reason: str | None = "end_turn",
    usage: Usage | None = None,
    id: str | None = None,
    model: str | None = None,
    stop_sequence: str | None = None,
) -> Reply:
    """A reply with explicit blocks (a bare ``str`` is a ``Text``) and stop reason."""
    content = tuple(Text(b) if isinstance(b, str) else b for b in blocks)
    return Reply(
        content=content,
        stop_reason=stop_reason,
        usage=usage or Usage(),
        id=id or new_message_id(),
        model=model,
        stop_sequence=stop_sequence,
    )


def text_reply(
    text: str,
    *,
    chunks: int = 3,
    stop_reason: str | None = "end_turn",
    usage: Usage | None = None,
    id: str | None = None,
    model: str | None = None,
) -> Reply:
    """A one-text-block reply streamed as ``chunks`` text deltas."""
    return reply(Text(text, chunks), stop_reason=stop_reason, usage=usage, id=id, model=model)


def tool_reply(
    *calls: ToolUse,
    text: str | None = None,
    usage: Usage | None = None,
    id: str | None = None,
    model: str | None = None,
) -> Reply:
    """One or several tool_use blocks (after an optional text block), ``stop_reason="tool_use"``."""
    if not calls:
        raise ValueError("tool_reply needs at least one tool_call")
    blocks: list[Block] = [Text(text)] if text is not None else []
    blocks.extend(calls)
    return reply(*blocks, stop_reason="tool_use", usage=usage, id=id, model=model)


def http_error(
    status: int,
    error_type: str | None = None,
    message: str | None = None,
    *,
    retry_after: float | str | None = None,
    retry_after_ms: float | str | None = None,
    should_retry: bool | None = None,
    headers: Mapping[str, str] | None = None,
) -> HTTPError:
    """An error response; the error type and message default from the status (529: overloaded)."""
    kind = error_type or _ERROR_TYPES.get(
        status, "api_error" if status >= 500 else "invalid_request_error"
    )
    extra = dict(headers or {})
    if retry_after is not None:
        extra["retry-after"] = str(retry_after)
    if retry_after_ms is not None:
        extra["retry-after-ms"] = str(retry_after_ms)
    if should_retry is not None:
        extra["x-should-retry"] = "true" if should_retry else "false"
    return HTTPError(status, kind, message or _ERROR_MESSAGES.get(kind, kind), extra)


def in_stream_error(
    base: Reply | None = None,
    *,
    after: int = 3,
    error_type: str = "overloaded_error",
    message: str | None = None,
) -> Reply:
    """A 200 stream that sends ``event: error`` after ``after`` events (default: mid-text)."""
    base = base or text_reply("This answer will be cut off by an error.")
    return base.with_faults(
        error_after=after,
        error_type=error_type,
        error_message=message or _ERROR_MESSAGES.get(error_type, error_type),
    )


def dropped_mid_tool_use(
    name: str = "Bash",
    input: Mapping[str, Any] | None = None,
    *,
    fragments_sent: int = 2,
    chunked: bool = True,
) -> Reply:
    """The connection closes after ``fragments_sent`` input_json_delta events of a tool_use.

    No ``content_block_stop``, ``message_delta`` or ``message_stop`` is sent. With
    ``chunked=False`` the body is close-delimited, so the client cannot tell a drop from an end.
    """
    call = tool_call(name, input or {"command": "rm -rf build && make all"}, chunks=4)
    if not 0 <= fragments_sent < len(call.partial_json()):
        raise ValueError(f"fragments_sent must be below {len(call.partial_json())}")
    return tool_reply(call).with_faults(drop_after=2 + fragments_sent, chunked=chunked)


def missing_message_stop(base: Reply | None = None) -> Reply:
    """The stream ends cleanly right after the last ``content_block_stop``."""
    base = base or text_reply("An answer with no message_stop.")
    return base.with_faults(end_after=len(sse_events(base)) - 2)


def stalled(
    seconds: float,
    *,
    after: int = 1,
    ping_interval: float | None = None,
    base: Reply | None = None,
) -> Reply:
    """The server goes quiet for ``seconds`` after ``after`` events, optionally still pinging."""
    base = base or text_reply("An answer that arrives late.")
    return base.with_faults(
        stall_after=after, stall_seconds=seconds, stall_ping_interval=ping_interval
    )


def max_tokens_mid_tool_json(
    name: str = "Write",
    fragments: Sequence[str] = ("", '{"file_path": "notes.txt", ', '"content": "half a sent'),
    *,
    text: str | None = None,
) -> Reply:
    """``stop_reason="max_tokens"`` inside an unfinished JSON string; the block never stops."""
    blocks: list[Block] = [Text(text)] if text is not None else []
    blocks.append(ToolUse(name, fragments=tuple(fragments), complete=False))
    return reply(*blocks, stop_reason="max_tokens")


def invalid_tool_json(name: str = "Bash", raw: str = '{"command": oops}') -> Reply:
    """A tool_use whose fragments join to invalid JSON (split at arbitrary points)."""
    return tool_reply(ToolUse(name, fragments=("", *split_evenly(raw, 3))))


# --------------------------------------------------------------------------- SSE rendering


def sse_events(response: Reply, model: str = DEFAULT_MODEL) -> list[tuple[str, dict[str, Any]]]:
    """The events a clean stream of ``response`` sends, in order (no pings, no faults)."""
    start = response.to_json(model)
    start["content"] = []
    start["stop_reason"] = None
    start["stop_sequence"] = None
    start["usage"] = {**response.usage.to_json(), "output_tokens": 1}
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": start})
    ]
    for index, block in enumerate(response.content):
        events.append(
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": block.start_json(),
                },
            )
        )
        for delta in block.deltas():
            events.append(
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
            )
        if not isinstance(block, ToolUse) or block.complete:
            events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    delta = {"stop_reason": response.stop_reason, "stop_sequence": response.stop_sequence}
    events.append(
        (
            "message_delta",
            {"type": "message_delta", "delta": delta, "usage": response.usage.to_json()},
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def encode_event(name: str, data: Mapping[str, Any]) -> bytes:
    """One SSE event on the wire: ``event: NAME\\ndata: JSON\\n\\n``."""
    return f"event: {name}\ndata: {_dumps(data)}\n\n".encode()


PING = encode_event("ping", {"type": "ping"})
UNKNOWN_EVENT = encode_event("future_thing", {"type": "future_thing", "detail": "ignore me"})


@dataclass(frozen=True)
class _Write:
    data: bytes
    split_utf8: bool = False


@dataclass(frozen=True)
class _Stall:
    seconds: float
    ping_interval: float | None


@dataclass(frozen=True)
class _Drop:
    pass


_Step: TypeAlias = _Write | _Stall | _Drop


def _unknown_delta(index: int) -> bytes:
    data = {"type": "content_block_delta", "index": index, "delta": {"type": "future_delta"}}
    return encode_event("content_block_delta", data)


def _cut(faults: StreamFaults) -> tuple[int, str] | None:
    cuts = [
        (pos, kind)
        for pos, kind in (
            (faults.error_after, "error"),
            (faults.end_after, "end"),
            (faults.drop_after, "drop"),
        )
        if pos is not None
    ]
    return min(cuts) if cuts else None


def _extras_after(n: int, faults: StreamFaults, first_start: bool) -> list[_Step]:
    steps: list[_Step] = []
    if n == 1 and faults.unknown_event:
        steps.append(_Write(UNKNOWN_EVENT))
    if first_start and faults.unknown_delta:
        steps.append(_Write(_unknown_delta(0)))
    if faults.ping_every and n % faults.ping_every == 0:
        steps.append(_Write(PING))
    if n == faults.stall_after:
        steps.append(_Stall(faults.stall_seconds, faults.stall_ping_interval))
    return steps


def stream_steps(response: Reply, model: str) -> list[_Step]:
    """Compile a reply and its faults into the writes, stalls and drops the server performs."""
    faults = response.faults
    cut = _cut(faults)
    steps: list[_Step] = []
    seen_start = False
    for n, (name, data) in enumerate(sse_events(response, model), start=1):
        steps.append(_Write(encode_event(name, data), faults.split_utf8))
        first_start = name == "content_block_start" and not seen_start
        seen_start = seen_start or first_start
        steps.extend(_extras_after(n, faults, first_start))
        if cut is not None and n == cut[0]:
            if cut[1] == "error":
                error = {"type": faults.error_type, "message": faults.error_message}
                steps.append(_Write(encode_event("error", {"type": "error", "error": error})))
            elif cut[1] == "drop":
                steps.append(_Drop())
            break
    return steps


# --------------------------------------------------------------------------- recording


class Headers(Mapping[str, str]):
    """Request headers, looked up case-insensitively; repeated headers are joined by ", "."""

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        merged: dict[str, str] = {}
        for key, value in items:
            low = key.lower()
            merged[low] = f"{merged[low]}, {value}" if low in merged else value
        self._items = merged

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


def _block_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(b.get("text", ""))
            for b in content
            if isinstance(b, dict) and b.get("type") == "text"
        )
    return ""


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it; ``body`` is the parsed JSON (None if not JSON)."""

    method: str
    path: str
    query: str
    headers: Headers
    body: Any
    raw: bytes

    @property
    def json(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}

    @property
    def model(self) -> str | None:
        model = self.json.get("model")
        return model if isinstance(model, str) else None

    @property
    def stream(self) -> bool:
        return self.json.get("stream") is True

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.json.get("messages") or [])

    @property
    def tools(self) -> list[dict[str, Any]]:
        return list(self.json.get("tools") or [])

    @property
    def last_message(self) -> dict[str, Any]:
        messages = self.messages
        return messages[-1] if messages else {}

    def system_text(self) -> str:
        """The system prompt, whether sent as a string or as text blocks (joined by newlines)."""
        return _block_text(self.json.get("system"))

    def tool_names(self) -> list[str]:
        return [str(tool.get("name")) for tool in self.tools]

    def last_user_text(self) -> str:
        """The text of the last user message (its text blocks joined by newlines)."""
        users = [m for m in self.messages if m.get("role") == "user"]
        return _block_text(users[-1].get("content")) if users else ""

    def tool_results(self) -> list[dict[str, Any]]:
        """The ``tool_result`` blocks of the last message."""
        content = self.last_message.get("content")
        if not isinstance(content, list):
            return []
        return [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]


# --------------------------------------------------------------------------- server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, fake: FakeAPI) -> None:
        self.fake = fake
        self.live: set[socket.socket] = set()
        self.threads: list[threading.Thread] = []
        self.track_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="fake-api-connection",
            daemon=True,
        )
        with self.track_lock:
            self.live.add(request)
            self.threads = [t for t in self.threads if t.is_alive()]
            self.threads.append(thread)
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self.track_lock:
            self.live.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.fake._record_server_error()

    def abort_connections(self) -> None:
        with self.track_lock:
            live = list(self.live)
        for sock in live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-anthropic-api"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests must not print."""

    @property
    def fake(self) -> FakeAPI:
        return cast(_Server, self.server).fake

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def _read_body(self) -> bytes:
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        raw = self._read_body()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        parts = urlsplit(self.path)
        request = RecordedRequest(
            method=self.command,
            path=parts.path,
            query=parts.query,
            headers=Headers(self.headers.items()),
            body=body,
            raw=raw,
        )
        response = self.fake._next_response(request)
        try:
            self._respond(request, response)
        except _CONNECTION_ERRORS:
            self.close_connection = True

    def _respond(self, request: RecordedRequest, response: Response) -> None:
        model = request.model or DEFAULT_MODEL
        if isinstance(response, HTTPError):
            request_id = new_request_id()
            headers = {"request-id": request_id, **response.headers}
            self._send_json(response.status, response.body(request_id), headers)
        elif isinstance(response, JSONResponse):
            self._send_json(response.status, response.body, response.headers)
        elif isinstance(response, RawStream):
            steps: list[_Step] = [
                _Write(item if isinstance(item, bytes) else encode_event(*item))
                for item in response.events
            ]
            if response.end == "drop":
                steps.append(_Drop())
            self._send_stream(steps, response.chunked, {})
        elif request.stream:
            steps = stream_steps(response, model)
            self._send_stream(steps, response.faults.chunked, response.headers)
        else:
            self._send_message(response, model)

    def _send_message(self, response: Reply, model: str) -> None:
        faults = response.faults
        if faults.needs_stream():
            self.fake._record_error("an in-stream fault was scripted for a non-streaming request")
            self._send_json(500, http_error(500).body(new_request_id()), {})
            return
        if faults.stall_after is not None and self._stall(faults.stall_seconds, None):
            return
        if faults.drop_after is not None:
            self._drop()
            return
        self._send_json(200, response.to_json(model), response.headers)

    def _send_json(self, status: int, body: Any, headers: Mapping[str, str]) -> None:
        data = _dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self._send_extra_headers(headers)
        self.end_headers()
        self.wfile.write(data)

    def _send_extra_headers(self, headers: Mapping[str, str]) -> None:
        lowered = {k.lower() for k in headers}
        if "request-id" not in lowered:
            self.send_header("request-id", new_request_id())
        for key, value in headers.items():
            self.send_header(key, value)

    def _send_stream(
        self, steps: Sequence[_Step], chunked: bool, headers: Mapping[str, str]
    ) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        if chunked:
            self.send_header("transfer-encoding", "chunked")
        else:
            self.send_header("connection", "close")
            self.close_connection = True
        self._send_extra_headers(headers)
        self.end_headers()
        for step in steps:
            if not self._run_step(step, chunked):
                return
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _run_step(self, step: _Step, chunked: bool) -> bool:
        """Perform one step; False when the connection is gone and the stream must stop."""
        if isinstance(step, _Drop):
            self._drop()
            return False
        if isinstance(step, _Stall):
            return not self._stall(step.seconds, step.ping_interval, chunked)
        for part in _utf8_halves(step.data) if step.split_utf8 else [step.data]:
            self._write(part, chunked)
            if len(part) != len(step.data):
                time.sleep(SPLIT_WRITE_PAUSE)
        return True

    def _write(self, data: bytes, chunked: bool) -> None:
        if chunked:
            data = b"%x\r\n%s\r\n" % (len(data), data)
        self.wfile.write(data)

    def _stall(self, seconds: float, ping_interval: float | None, chunked: bool = True) -> bool:
        """Wait ``seconds`` (pinging if asked); True if the server stopped meanwhile."""
        deadline = time.monotonic() + seconds
        next_ping = time.monotonic() + ping_interval if ping_interval else float("inf")
        while (now := time.monotonic()) < deadline:
            if self.fake._stopping.wait(min(deadline, next_ping, now + _POLL) - now):
                self._drop()
                return True
            if time.monotonic() >= next_ping and ping_interval:
                self._write(PING, chunked)
                next_ping += ping_interval
        return False

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _utf8_halves(data: bytes) -> list[bytes]:
    """Split ``data`` inside its first multi-byte UTF-8 character (unsplit if it has none)."""
    for i, byte in enumerate(data):
        if byte >= 0x80:
            return [data[: i + 1], data[i + 1 :]]
    return [data]


class FakeAPI:
    """A scripted Messages API on ``http://127.0.0.1:<port>``; use as a context manager."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Scripted] = deque()
        self._requests: list[RecordedRequest] = []
        self._unexpected: list[RecordedRequest] = []
        self._errors: list[str] = []
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("FakeAPI already started")
        self._stopping.clear()
        self._server = self._make_server()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _POLL},
            name="fake-api-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def _make_server(self) -> _Server:
        """The HTTP server; a fake of another API serves its own handler on the same machinery."""
        return _Server(self)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, cut open connections (ending any stall) and join every thread."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stopping.set()
        server.shutdown()
        server.abort_connections()
        deadline = time.monotonic() + timeout
        with server.track_lock:
            handlers = list(server.threads)
        for handler in handlers:
            handler.join(max(0.0, deadline - time.monotonic()))
        server.server_close()
        thread.join(max(0.0, deadline - time.monotonic()))
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeAPI is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- scripting

    def enqueue(self, *responses: Scripted) -> FakeAPI:
        """Queue responses; each request consumes the next one, in order."""
        with self._lock:
            self._queue.extend(responses)
        return self

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest:
        with self._lock:
            if not self._requests:
                raise AssertionError("the fake API received no request")
            return self._requests[-1]

    @property
    def unexpected(self) -> list[RecordedRequest]:
        """Requests that arrived while the queue was empty (answered with HTTP 500)."""
        with self._lock:
            return list(self._unexpected)

    @property
    def errors(self) -> list[str]:
        with self._lock:
            return list(self._errors)

    def assert_all_consumed(self) -> None:
        """Fail on leftover responses, unexpected requests or errors inside the fake."""
        with self._lock:
            problems = [f"fake API error: {e}" for e in self._errors]
            problems += [
                f"unexpected request (queue was empty): {r.method} {r.path}"
                for r in self._unexpected
            ]
            if self._queue:
                kinds = ", ".join(type(item).__name__ for item in self._queue)
                problems.append(f"{len(self._queue)} scripted response(s) never requested: {kinds}")
        if problems:
            raise AssertionError("\n".join(problems))

    # -- used by the handler threads

    def _next_response(self, request: RecordedRequest) -> Response:
        with self._lock:
            self._requests.append(request)
            item = self._queue.popleft() if self._queue else None
            if item is None:
                self._unexpected.append(request)
        if item is None:
            return http_error(500, "api_error", "fake API: unexpected request, the queue is empty")
        return item(request) if callable(item) else item

    def _record_error(self, message: str) -> None:
        with self._lock:
            self._errors.append(message)

    def _record_server_error(self) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, _CONNECTION_ERRORS) or self._stopping.is_set():
            return
        self._record_error("".join(traceback.format_exception(error)) if error else "unknown")
