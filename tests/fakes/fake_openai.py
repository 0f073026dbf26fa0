"""A fake OpenAI-compatible Chat Completions API served over real HTTP.

It runs on ``FakeAPI``'s machinery (a threaded server on 127.0.0.1, a queue of scripted
responses consumed one per request, the record of every request, ``assert_all_consumed``)
with a handler that speaks Chat Completions: ``POST …/chat/completions`` streamed as
``data: {chunk}`` events ending in ``data: [DONE]``, or one JSON completion when the request
does not stream. Like the real API it answers HTTP 400 to a request that breaks the format's
rules (a ``tool`` message that answers no call, a call left unanswered, arguments that are
not a JSON string, …) and records the problem, so the test fails at teardown::

    with FakeOpenAI() as fake:
        fake.enqueue(
            tool_calls_reply(call("Read", {"file_path": "a.py"}), call("LS", {"path": "."})),
            http_error(429, retry_after=2),
            chat_reply("Done."),
        )
        model = OpenAICompatModel("qwen3", base_url=fake.v1_url)
        ...
        assert fake.requests[0].json["stream_options"] == {"include_usage": True}

A queued item is one of:

- ``ChatReply`` (from ``chat_reply``, ``tool_calls_reply`` and the fault builders); its
  ``ChatFaults`` perturb the stream: every event split at awkward byte boundaries (inside
  ``data:``, inside a UTF-8 character, between the two closing newlines), the whole stream in
  one write, keep-alive comments, a stall, no ``[DONE]``, an error object mid-stream (framed as
  ``data:``, ``event: error`` or llama.cpp's ``error:`` line), a clean end or an abrupt drop
  after N chunks, a close-delimited body;
- ``ChatHTTPError`` (from ``http_error``): a non-200 status with an OpenAI error body (or any
  body: Ollama's ``{"error": "…"}``, a proxy's HTML page);
- ``JSONResponse`` and ``RawStream`` from ``fakes.fake_api`` (for ``RawStream``, pass bytes,
  e.g. from ``data_event``);
- a callable taking the ``RecordedRequest`` and returning one of the above.

Chunks are counted from 1 (the role chunk); ``[DONE]``, keep-alive comments and injected
errors do not count. ``stream_chunks(reply)`` lists the chunks a reply streams.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeAlias

from fakes.fake_api import (
    SPLIT_WRITE_PAUSE,
    FakeAPI,
    HTTPError,
    JSONResponse,
    RawStream,
    RecordedRequest,
    _Drop,
    _Handler,
    _Server,
    _Stall,
    _Step,
    _Write,
    split_evenly,
)

DEFAULT_MODEL = "gpt-test"
CREATED = 1_700_000_000
DONE = b"data: [DONE]\n\n"
KEEPALIVE = b": keep-alive\n\n"

_ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout",
    429: "rate_limit_exceeded",
    500: "server_error",
    502: "server_error",
    503: "server_error",
}
_ERROR_CODES: dict[int, str] = {401: "invalid_api_key", 429: "rate_limit_exceeded"}


def new_call_id() -> str:
    return "call_" + uuid.uuid4().hex[:24]


def new_completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex[:24]


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def data_event(payload: object) -> bytes:
    """One SSE event carrying ``payload`` as JSON: ``data: …\\n\\n``."""
    return f"data: {_dumps(payload)}\n\n".encode()


# --------------------------------------------------------------------------- replies


@dataclass(frozen=True)
class Usage:
    """Token usage as Chat Completions reports it; ``cached_tokens`` is part of the prompt."""

    prompt_tokens: int = 10
    completion_tokens: int = 20
    cached_tokens: int | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }
        if self.cached_tokens is not None:
            data["prompt_tokens_details"] = {"cached_tokens": self.cached_tokens}
        return data


@dataclass(frozen=True)
class Call:
    """A tool call, streamed as a head (id, name) then argument fragments.

    By default the fragments are the JSON of ``arguments`` cut at arbitrary points into
    ``chunks`` parts; ``fragments`` gives them exactly (they may form invalid JSON).
    """

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=new_call_id)
    fragments: Sequence[str] | None = None
    chunks: int = 3

    def argument_fragments(self) -> list[str]:
        if self.fragments is not None:
            return list(self.fragments)
        return split_evenly(_dumps(dict(self.arguments)), self.chunks)

    def to_json(self) -> dict[str, Any]:
        arguments = "".join(self.argument_fragments())
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": arguments},
        }

    def deltas(self, index: int) -> list[dict[str, Any]]:
        head = {
            "index": index,
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": ""},
        }
        rest = [
            {"index": index, "function": {"arguments": part}} for part in self.argument_fragments()
        ]
        return [head, *rest]


ErrorFraming: TypeAlias = Literal["data", "event", "llamacpp"]


@dataclass(frozen=True)
class ChatFaults:
    """Ways to perturb a streamed reply; the defaults give a clean stream.

    At most one of ``error_after``, ``end_after`` and ``drop_after`` applies (the earliest
    position wins); after any of them no ``[DONE]`` is sent.
    """

    split_awkwardly: bool = False  # each event in pieces: inside "data:", a UTF-8 char, "\n\n"
    coalesce: bool = False  # the whole stream in one write
    keepalive: bool = False  # a ": keep-alive" comment after every chunk
    done: bool = True  # False: the stream ends cleanly without ``data: [DONE]``
    usage_with_finish: bool = False  # usage rides on the finish chunk (Ollama, llama.cpp)
    error_after: int | None = None  # an error object after this chunk, then a clean end
    error: Mapping[str, Any] = field(
        default_factory=lambda: {"message": "Upstream overloaded", "type": "server_error"}
    )
    error_framing: ErrorFraming = "data"
    end_after: int | None = None  # the stream ends cleanly here (proper HTTP framing)
    drop_after: int | None = None  # the connection is shut down abruptly here
    stall_after: int | None = None  # the server goes quiet for ``stall_seconds`` here
    stall_seconds: float = 0.0
    chunked: bool = True  # False: HTTP/1.0-style body that ends when the connection closes


@dataclass(frozen=True)
class ChatReply:
    """One assistant message: streamed chunks when the request streams, JSON otherwise."""

    text: str = ""
    calls: tuple[Call, ...] = ()
    reasoning: str = ""
    reasoning_field: str = "reasoning_content"
    finish_reason: str | None = "stop"
    usage: Usage | None = field(default_factory=Usage)  # None: the server reports no usage
    text_chunks: int = 3
    interleave: bool = False  # the calls' fragments alternate, as parallel calls stream
    id: str = field(default_factory=new_completion_id)
    model: str | None = None  # None: echo the request's model
    faults: ChatFaults = field(default_factory=ChatFaults)
    headers: Mapping[str, str] = field(default_factory=dict)

    def with_faults(self, **changes: Any) -> ChatReply:
        """A copy with some ``ChatFaults`` fields changed."""
        return replace(self, faults=replace(self.faults, **changes))

    def to_json(self, model: str) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.text or None}
        if self.calls:
            message["tool_calls"] = [c.to_json() for c in self.calls]
        if self.reasoning:
            message[self.reasoning_field] = self.reasoning
        body: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion",
            "created": CREATED,
            "model": self.model or model,
            "choices": [{"index": 0, "message": message, "finish_reason": self.finish_reason}],
        }
        if self.usage is not None:
            body["usage"] = self.usage.to_json()
        return body


@dataclass(frozen=True)
class ChatHTTPError:
    """A non-200 response; ``body`` is sent as JSON, or as-is when it is ``bytes``."""

    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


ChatResponse: TypeAlias = ChatReply | ChatHTTPError | HTTPError | JSONResponse | RawStream
ChatScripted: TypeAlias = ChatResponse | Callable[[RecordedRequest], ChatResponse]


# --------------------------------------------------------------------------- builders

DEFAULT_USAGE = Usage()


def call(
    name: str,
    arguments: Mapping[str, Any] | None = None,
    *,
    id: str | None = None,
    fragments: Sequence[str] | None = None,
    chunks: int = 3,
) -> Call:
    """A tool call with an auto-generated ``call_…`` id unless ``id`` is given."""
    return Call(name, dict(arguments or {}), id or new_call_id(), fragments, chunks)


def chat_reply(
    text: str,
    *,
    chunks: int = 3,
    reasoning: str = "",
    reasoning_field: str = "reasoning_content",
    finish_reason: str | None = "stop",
    usage: Usage | None = DEFAULT_USAGE,
    model: str | None = None,
) -> ChatReply:
    """A text reply streamed as ``chunks`` content deltas (after any reasoning deltas)."""
    return ChatReply(
        text=text,
        reasoning=reasoning,
        reasoning_field=reasoning_field,
        finish_reason=finish_reason,
        usage=usage,
        text_chunks=chunks,
        model=model,
    )


def tool_calls_reply(
    *calls: Call,
    text: str = "",
    interleave: bool = False,
    finish_reason: str | None = "tool_calls",
    usage: Usage | None = DEFAULT_USAGE,
) -> ChatReply:
    """One or several tool calls (after optional text), ``finish_reason="tool_calls"``."""
    if not calls:
        raise ValueError("tool_calls_reply needs at least one call")
    return ChatReply(
        text=text,
        calls=tuple(calls),
        interleave=interleave,
        finish_reason=finish_reason,
        usage=usage,
    )


def http_error(
    status: int,
    message: str | None = None,
    *,
    error_type: str | None = None,
    code: str | int | None = None,
    retry_after: float | str | None = None,
    retry_after_ms: float | str | None = None,
    should_retry: bool | None = None,
    headers: Mapping[str, str] | None = None,
) -> ChatHTTPError:
    """An error response with OpenAI's body: ``{"error": {message, type, param, code}}``."""
    kind = error_type or _ERROR_TYPES.get(
        status, "server_error" if status >= 500 else "invalid_request_error"
    )
    extra = dict(headers or {})
    if retry_after is not None:
        extra["retry-after"] = str(retry_after)
    if retry_after_ms is not None:
        extra["retry-after-ms"] = str(retry_after_ms)
    if should_retry is not None:
        extra["x-should-retry"] = "true" if should_retry else "false"
    error = {
        "message": message or f"fake error {status}",
        "type": kind,
        "param": None,
        "code": code if code is not None else _ERROR_CODES.get(status),
    }
    return ChatHTTPError(status, {"error": error}, extra)


def in_stream_error(
    base: ChatReply | None = None,
    *,
    after: int = 2,
    message: str = "Upstream overloaded",
    error_type: str | None = "server_error",
    code: str | int | None = None,
    framing: ErrorFraming = "data",
) -> ChatReply:
    """A 200 stream that sends an error object after ``after`` chunks, then ends."""
    base = base or chat_reply("This answer will be cut off by an error.")
    error: dict[str, Any] = {"message": message}
    if error_type is not None:
        error["type"] = error_type
    if code is not None:
        error["code"] = code
    return base.with_faults(error_after=after, error=error, error_framing=framing)


def cut_mid_tool_call(
    name: str = "Bash",
    arguments: Mapping[str, Any] | None = None,
    *,
    fragments_sent: int = 2,
    chunked: bool = True,
) -> ChatReply:
    """The connection drops after ``fragments_sent`` argument fragments of a tool call.

    No finish_reason and no ``[DONE]`` are sent. With ``chunked=False`` the body is
    close-delimited, so the client cannot tell the drop from a clean end.
    """
    tool = call(name, arguments or {"command": "rm -rf build && make all"}, chunks=4)
    if not 0 <= fragments_sent < len(tool.argument_fragments()):
        raise ValueError(f"fragments_sent must be below {len(tool.argument_fragments())}")
    # chunk 1 is the role, chunk 2 the call's head
    return tool_calls_reply(tool).with_faults(drop_after=2 + fragments_sent, chunked=chunked)


# --------------------------------------------------------------------------- the stream


def _chunk(reply: ChatReply, model: str, delta: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    choice = {"index": 0, "delta": dict(delta), "logprobs": None, "finish_reason": None}
    choice.update(extra.pop("choice", {}))
    return {
        "id": reply.id,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": reply.model or model,
        "choices": [choice],
        **extra,
    }


def _call_deltas(reply: ChatReply) -> list[dict[str, Any]]:
    per_call = [c.deltas(i) for i, c in enumerate(reply.calls)]
    if not reply.interleave:
        return [d for deltas in per_call for d in deltas]
    mixed = itertools.zip_longest(*per_call)
    return [d for row in mixed for d in row if d is not None]


def stream_chunks(
    reply: ChatReply, model: str = DEFAULT_MODEL, include_usage: bool = True
) -> list[dict[str, Any]]:
    """The chunks a clean stream of ``reply`` sends, in order (without ``[DONE]``)."""
    null_usage = {"usage": None} if include_usage else {}
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    deltas += [{reply.reasoning_field: p} for p in split_evenly(reply.reasoning, 2)]
    deltas += [{"content": p} for p in split_evenly(reply.text, reply.text_chunks)]
    deltas += [{"tool_calls": [d]} for d in _call_deltas(reply)]
    chunks = [_chunk(reply, model, d, **null_usage) for d in deltas]
    usage = reply.usage.to_json() if reply.usage is not None and include_usage else None
    if reply.finish_reason is not None:
        with_finish = {"usage": usage} if reply.faults.usage_with_finish and usage else null_usage
        finish = {"finish_reason": reply.finish_reason}
        chunks.append(_chunk(reply, model, {}, choice=finish, **with_finish))
    if usage and not reply.faults.usage_with_finish:
        chunks.append({**_chunk(reply, model, {}), "choices": [], "usage": usage})
    return chunks


def _error_bytes(faults: ChatFaults) -> bytes:
    error = dict(faults.error)
    if faults.error_framing == "event":
        return f"event: error\ndata: {_dumps(error)}\n\n".encode()
    if faults.error_framing == "llamacpp":
        return f"error: {_dumps(error)}\n\n".encode()
    return data_event({"error": error})


def _cut(faults: ChatFaults) -> tuple[int, str] | None:
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


def _awkward_pieces(data: bytes) -> list[bytes]:
    """``data`` cut inside ``data:``, inside its first multi-byte character and between the
    two newlines that end the event."""
    cuts = {2, len(data) - 1}
    multibyte = next((i for i, b in enumerate(data) if b >= 0xC0), None)
    if multibyte is not None:
        cuts.add(multibyte + 1)
    bounds = [0, *sorted(c for c in cuts if 0 < c < len(data)), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def _writes(data: bytes, faults: ChatFaults) -> list[_Step]:
    if not faults.split_awkwardly:
        return [_Write(data)]
    steps: list[_Step] = []
    for piece in _awkward_pieces(data):
        # The pause lets the client read each piece on its own instead of all at once.
        steps += [_Write(piece), _Stall(SPLIT_WRITE_PAUSE, None)]
    return steps[:-1]


def _coalesced(steps: list[_Step]) -> list[_Step]:
    out: list[_Step] = []
    for step in steps:
        if isinstance(step, _Write) and out and isinstance(out[-1], _Write):
            out[-1] = _Write(out[-1].data + step.data)
        elif not isinstance(step, _Stall):
            out.append(step)
    return out


def chat_stream_steps(reply: ChatReply, model: str, include_usage: bool) -> list[_Step]:
    """Compile a reply and its faults into the writes and drops the server performs."""
    faults = reply.faults
    cut = _cut(faults)
    steps: list[_Step] = []
    for n, chunk in enumerate(stream_chunks(reply, model, include_usage), start=1):
        steps += _writes(data_event(chunk), faults)
        if faults.keepalive:
            steps.append(_Write(KEEPALIVE))
        if n == faults.stall_after:
            steps.append(_Stall(faults.stall_seconds, None))
        if cut is not None and n == cut[0]:
            if cut[1] == "error":
                steps += _writes(_error_bytes(faults), faults)
            elif cut[1] == "drop":
                steps.append(_Drop())
            break
    else:
        if faults.done:
            steps += _writes(DONE, faults)
    return _coalesced(steps) if faults.coalesce else steps


# --------------------------------------------------------------------------- request checks


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _call_problems(message: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Problems with an assistant message's tool calls, and the ids that need answers."""
    problems: list[str] = []
    ids: list[str] = []
    for tool_call in message.get("tool_calls") or []:
        function = tool_call.get("function") or {}
        if tool_call.get("type") != "function" or not isinstance(function.get("name"), str):
            problems.append(f"malformed tool call: {_dumps(tool_call)}")
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            problems.append(f"tool call arguments must be a JSON string: {arguments!r}")
        elif not _is_json(arguments):
            problems.append(f"tool call arguments are not valid JSON: {arguments!r}")
        if not tool_call.get("id"):
            problems.append("a tool call has no id")
        ids.append(str(tool_call.get("id")))
    return problems, ids


def _content_problems(message: Mapping[str, Any]) -> list[str]:
    content, role = message.get("content"), message.get("role")
    if role == "tool" and not isinstance(content, str):
        return [f"a tool message's content must be a string, got {_dumps(content)[:80]}"]
    if isinstance(content, list):
        kinds = {str(part.get("type")) for part in content if isinstance(part, dict)}
        allowed = {"text", "image_url"} if role == "user" else {"text"}
        return [f"unsupported content part(s) {sorted(kinds - allowed)}"] if kinds - allowed else []
    if content is None and not (role == "assistant" and message.get("tool_calls")):
        return [f"a {role} message needs content"]
    return []


def chat_request_problems(body: Mapping[str, Any]) -> list[str]:
    """What a strict server would reject in a Chat Completions request body."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return ["messages must be a non-empty list"]
    problems: list[str] = []
    pending: list[str] = []
    for message in messages:
        role = message.get("role")
        if role not in ("system", "user", "assistant", "tool"):
            problems.append(f"unknown role {role!r}")
        if pending and role != "tool":
            problems.append(f"tool call(s) without a tool message: {pending}")
            pending = []
        if role == "tool":
            if message.get("tool_call_id") not in pending:
                problems.append(f"tool message answers no pending call: {message}")
            else:
                pending.remove(message["tool_call_id"])
        problems += _content_problems(message)
        if role == "assistant":
            found, pending = _call_problems(message)
            problems += found
    if pending:
        problems.append(f"tool call(s) without a tool message: {pending}")
    for tool in body.get("tools") or []:
        function = tool.get("function") or {}
        if tool.get("type") != "function" or "name" not in function:
            problems.append(f"malformed tool: {_dumps(tool)[:120]}")
    return problems


def function_names(request: RecordedRequest) -> list[str]:
    """The names of the tools a request offered."""
    return [str((t.get("function") or {}).get("name")) for t in request.tools]


# --------------------------------------------------------------------------- server


class _ChatHandler(_Handler):
    server_version = "fake-openai-api"

    def _respond(self, request: RecordedRequest, response: Any) -> None:
        if isinstance(response, ChatReply) and (problems := chat_request_problems(request.json)):
            self.fake._record_error("invalid chat request: " + "; ".join(problems))
            error: dict[str, Any] = {
                "message": "; ".join(problems),
                "type": "invalid_request_error",
            }
            self._send_json(400, {"error": error}, {})
        elif isinstance(response, ChatHTTPError):
            self._send_error(response)
        elif isinstance(response, HTTPError):
            error = {"message": response.message, "type": response.error_type, "code": None}
            self._send_json(response.status, {"error": error}, response.headers)
        elif isinstance(response, ChatReply):
            self._send_reply(request, response)
        else:
            super()._respond(request, response)

    def _send_error(self, response: ChatHTTPError) -> None:
        if not isinstance(response.body, bytes):
            self._send_json(response.status, response.body, response.headers)
            return
        self.send_response(response.status)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(response.body)))
        self._send_extra_headers(response.headers)
        self.end_headers()
        self.wfile.write(response.body)

    def _send_reply(self, request: RecordedRequest, response: ChatReply) -> None:
        model = request.model or DEFAULT_MODEL
        if not request.stream:
            self._send_json(200, response.to_json(model), response.headers)
            return
        options = request.json.get("stream_options") or {}
        include_usage = options.get("include_usage") is True
        steps = chat_stream_steps(response, model, include_usage)
        self._send_stream(steps, response.faults.chunked, response.headers)


class _ChatServer(_Server):
    def __init__(self, fake: FakeAPI) -> None:
        super().__init__(fake)
        self.RequestHandlerClass = _ChatHandler


class FakeOpenAI(FakeAPI):
    """A scripted Chat Completions API on ``http://127.0.0.1:<port>``; ``v1_url`` is the
    base URL an OpenAI client is given."""

    def _make_server(self) -> _Server:
        return _ChatServer(self)

    @property
    def v1_url(self) -> str:
        return self.base_url + "/v1"

    def enqueue(self, *responses: ChatScripted) -> FakeOpenAI:  # type: ignore[override]
        """Queue responses; each request consumes the next one, in order."""
        super().enqueue(*responses)  # type: ignore[arg-type]
        return self


__all__ = [
    "Call",
    "ChatFaults",
    "ChatHTTPError",
    "ChatReply",
    "FakeOpenAI",
    "JSONResponse",
    "RawStream",
    "Usage",
    "call",
    "chat_reply",
    "chat_request_problems",
    "cut_mid_tool_call",
    "data_event",
    "function_names",
    "http_error",
    "in_stream_error",
    "stream_chunks",
    "tool_calls_reply",
]
