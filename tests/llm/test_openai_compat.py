"""The OpenAI-compatible adapter over real HTTP: streaming, tool calls, usage, reasoning, and
every fault it must absorb, against the fake Chat Completions server."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from devagent.errors import IncompleteStreamError, ModelAuthError, ModelError
from devagent.events import Event, Notice, ReasoningDelta, Retrying, TextDelta
from devagent.llm.openai_compat import OpenAICompatModel, sse_events, sse_lines
from devagent.llm.retry import RetryPolicy
from devagent.messages import AssistantReply, Message, ModelRequest, ToolSpec, tool_result_block
from fakes.fake_openai import (
    ChatHTTPError,
    FakeOpenAI,
    JSONResponse,
    RawStream,
    Usage,
    _awkward_pieces,
    call,
    chat_reply,
    chat_request_problems,
    cut_mid_tool_call,
    data_event,
    function_names,
    http_error,
    in_stream_error,
    stream_chunks,
    tool_calls_reply,
)

KEY = "sk-or-secret-key-material-1234567890"
READ = ToolSpec(
    "Read",
    "Read a file.",
    {"type": "object", "properties": {"file_path": {"type": "string"}}, "required": ["file_path"]},
)
LS = ToolSpec("LS", "List a directory.", {"type": "object", "properties": {}})


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    """A running fake Chat Completions API; teardown fails on unconsumed or invalid requests."""
    with FakeOpenAI() as server:
        yield server
        server.assert_all_consumed()


class Harness:
    def __init__(self, fake: FakeOpenAI, **options: Any) -> None:
        self.sleeps: list[float] = []
        self.events: list[Event] = []
        options.setdefault("api_key", KEY)
        self.model = OpenAICompatModel(
            "qwen3-coder",
            base_url=fake.v1_url,
            policy=RetryPolicy(max_retries=2),
            sleep=self.sleeps.append,
            key_hint="Check that OPENROUTER_API_KEY holds a valid key.",
            **options,
        )

    def stream(self, messages: list[Message] | None = None) -> AssistantReply:
        history = messages or [{"role": "user", "content": "hello"}]
        request = ModelRequest("be brief", history, [READ, LS], 1000)
        return self.model.stream(request, self.events.append)

    def retries(self) -> list[Retrying]:
        return [e for e in self.events if isinstance(e, Retrying)]

    def text_deltas(self) -> list[str]:
        return [e.text for e in self.events if isinstance(e, TextDelta)]


# --------------------------------------------------------------------------- the happy path


def test_text_streams_as_deltas_and_usage_is_kept(fake: FakeOpenAI) -> None:
    usage = Usage(prompt_tokens=1200, completion_tokens=7, cached_tokens=1000)
    fake.enqueue(chat_reply("Hello there, friend.", chunks=3, usage=usage))
    h = Harness(fake)
    reply = h.stream()
    assert reply.text() == "Hello there, friend." and reply.stop_reason == "end_turn"
    assert len(h.text_deltas()) == 3 and "".join(h.text_deltas()) == "Hello there, friend."
    # Cached prompt tokens are counted apart, as the Messages API reports them.
    assert (reply.usage.input_tokens, reply.usage.cache_read_input_tokens) == (200, 1000)
    assert reply.usage.output_tokens == 7 and not reply.usage.estimated
    assert reply.model == "qwen3-coder" and reply.message_id.startswith("chatcmpl-")


def test_request_body_and_headers(fake: FakeOpenAI) -> None:
    fake.enqueue(chat_reply("ok"))
    Harness(fake, headers={"HTTP-Referer": "https://devagent.example"}).stream()
    request = fake.requests[0]
    assert request.path == "/v1/chat/completions" and request.method == "POST"
    body = request.json
    assert body["model"] == "qwen3-coder" and body["stream"] is True
    assert body["stream_options"] == {"include_usage": True} and body["max_tokens"] == 1000
    assert body["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hello"},
    ]
    assert function_names(request) == ["Read", "LS"]
    assert body["tools"][0]["function"]["parameters"] == READ.input_schema
    assert "cache_control" not in json.dumps(body)
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["http-referer"] == "https://devagent.example"


def test_a_local_server_gets_no_authorization_header(fake: FakeOpenAI) -> None:
    fake.enqueue(chat_reply("ok"))
    Harness(fake, api_key=None).stream()
    assert "authorization" not in fake.requests[0].headers


def test_options_for_picky_servers(fake: FakeOpenAI) -> None:
    fake.enqueue(chat_reply("ok"))
    h = Harness(fake, include_usage=False, max_tokens_field="max_completion_tokens")
    reply = h.stream()
    body = fake.requests[0].json
    assert "stream_options" not in body and "max_tokens" not in body
    assert body["max_completion_tokens"] == 1000
    assert reply.usage.estimated  # not asked for, so the fake sent none


def test_tool_call_arguments_in_many_fragments(fake: FakeOpenAI) -> None:
    arguments = {"file_path": "src/app.py", "limit": 20, "note": "ünïcödé ✓"}
    first = call("Read", arguments, chunks=15)
    fake.enqueue(tool_calls_reply(first, text="Looking."))
    h = Harness(fake)
    reply = h.stream()
    assert reply.stop_reason == "tool_use" and reply.input_errors == {}
    assert reply.content == [
        {"type": "text", "text": "Looking."},
        {"type": "tool_use", "id": first.id, "name": "Read", "input": arguments},
    ]
    assert "".join(h.text_deltas()) == "Looking."


def test_two_parallel_tool_calls_are_kept_apart_by_index(fake: FakeOpenAI) -> None:
    first = call("Read", {"file_path": "a.py"}, chunks=4)
    second = call("LS", {"path": "src"}, chunks=4)
    fake.enqueue(tool_calls_reply(first, second, interleave=True))
    reply = Harness(fake).stream()
    assert [(u["id"], u["name"], u["input"]) for u in reply.tool_uses()] == [
        (first.id, "Read", {"file_path": "a.py"}),
        (second.id, "LS", {"path": "src"}),
    ]
    assert reply.text() == ""


def test_awkward_byte_boundaries_and_keepalives(fake: FakeOpenAI) -> None:
    text = "naïve café — ünïcödé ✓"
    tool = call("Read", {"file_path": "données/é.txt"}, chunks=3)
    fake.enqueue(
        chat_reply(text, chunks=2).with_faults(split_awkwardly=True, keepalive=True),
        tool_calls_reply(tool).with_faults(split_awkwardly=True),
    )
    h = Harness(fake)
    assert h.stream().text() == text
    assert h.stream().tool_uses()[0]["input"] == {"file_path": "données/é.txt"}
    assert h.retries() == []


def test_the_fake_really_splits_inside_data_and_inside_a_character() -> None:
    pieces = _awkward_pieces(data_event({"content": "é"}))
    assert pieces[0] == b"da" and pieces[-1] == b"\n"
    with pytest.raises(UnicodeDecodeError):
        pieces[1].decode()


def test_a_whole_stream_in_one_write(fake: FakeOpenAI) -> None:
    fake.enqueue(tool_calls_reply(call("LS", {"path": "."}), text="Hi").with_faults(coalesce=True))
    reply = Harness(fake).stream()
    assert reply.text() == "Hi" and reply.tool_uses()[0]["input"] == {"path": "."}


def test_usage_on_the_finish_chunk_is_read(fake: FakeOpenAI) -> None:
    fake.enqueue(chat_reply("ok", usage=Usage(40, 3)).with_faults(usage_with_finish=True))
    usage = Harness(fake).stream().usage
    assert (usage.input_tokens, usage.output_tokens, usage.estimated) == (40, 3, False)


def test_missing_usage_is_estimated_and_labelled(fake: FakeOpenAI) -> None:
    answer = "x" * 400
    fake.enqueue(chat_reply(answer, usage=None))
    history: list[Message] = [{"role": "user", "content": "y" * 4000}]
    usage = Harness(fake).stream(history).usage
    assert usage.estimated
    assert 1000 <= usage.input_tokens <= 1200  # the prompt, plus system prompt and tools
    assert usage.output_tokens == 100


# --------------------------------------------------------------------------- reasoning


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_is_streamed_apart_and_never_sent_back(fake: FakeOpenAI, field: str) -> None:
    fake.enqueue(
        chat_reply("The answer is 4.", reasoning="2 plus 2 makes 4.", reasoning_field=field),
        chat_reply("You're welcome."),
    )
    h = Harness(fake)
    reply = h.stream()
    shown = "".join(e.text for e in h.events if isinstance(e, ReasoningDelta))
    assert shown == "2 plus 2 makes 4." and "".join(h.text_deltas()) == "The answer is 4."
    assert reply.content == [{"type": "text", "text": "The answer is 4."}]
    h.stream([{"role": "user", "content": "2+2?"}, reply.as_message(), _user("thanks")])
    second = json.dumps(fake.requests[1].json)
    assert "makes 4" not in second and "The answer is 4." in second


def test_reasoning_sent_under_both_names_is_shown_once(fake: FakeOpenAI) -> None:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        return data_event({"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    both = {"reasoning_content": "Think.", "reasoning": "Think."}
    fake.enqueue(RawStream([chunk(both), chunk({"content": "Answer."}, "stop")]))
    h = Harness(fake)
    assert h.stream().text() == "Answer."
    assert [e.text for e in h.events if isinstance(e, ReasoningDelta)] == ["Think."]


def _user(text: str) -> Message:
    return {"role": "user", "content": [{"type": "text", "text": text}]}


# --------------------------------------------------------------------------- a tool loop


def test_two_turn_tool_loop_carries_calls_and_results(fake: FakeOpenAI) -> None:
    read = call("Read", {"file_path": "app.py"}, chunks=5)
    ls = call("LS", {"path": "missing"}, chunks=2)
    fake.enqueue(
        tool_calls_reply(read, ls, text="Let me look.", interleave=True),
        chat_reply("app.py prints hello."),
    )
    h = Harness(fake)
    history: list[Message] = [{"role": "user", "content": "What does app.py do?"}]
    first = h.stream(history)
    results = [
        tool_result_block(read.id, "     1\tprint('hello')"),
        tool_result_block(ls.id, "No such directory: missing", is_error=True),
    ]
    history += [first.as_message(), {"role": "user", "content": results}]
    assert h.stream(history).text() == "app.py prints hello."

    messages = fake.requests[1].json["messages"]
    assert messages[2] == {
        "role": "assistant",
        "content": "Let me look.",
        "tool_calls": [
            {
                "id": read.id,
                "type": "function",
                "function": {"name": "Read", "arguments": '{"file_path": "app.py"}'},
            },
            {
                "id": ls.id,
                "type": "function",
                "function": {"name": "LS", "arguments": '{"path": "missing"}'},
            },
        ],
    }
    assert messages[3:] == [
        {"role": "tool", "tool_call_id": read.id, "content": "     1\tprint('hello')"},
        {"role": "tool", "tool_call_id": ls.id, "content": "Error: No such directory: missing"},
    ]


# --------------------------------------------------------------------------- finish reasons


@pytest.mark.parametrize(
    ("finish_reason", "with_call", "expected"),
    [
        ("stop", False, "end_turn"),
        ("stop", True, "tool_use"),  # some local servers say "stop" after tool calls
        ("tool_calls", True, "tool_use"),
        ("function_call", True, "tool_use"),
        ("length", False, "max_tokens"),
        ("content_filter", False, "refusal"),
        ("eos_token", False, "end_turn"),
    ],
)
def test_finish_reasons_map_to_stop_reasons(
    fake: FakeOpenAI, finish_reason: str, with_call: bool, expected: str
) -> None:
    if with_call:
        fake.enqueue(tool_calls_reply(call("LS", {"path": "."}), finish_reason=finish_reason))
    else:
        fake.enqueue(chat_reply("text", finish_reason=finish_reason))
    assert Harness(fake).stream().stop_reason == expected


def test_max_tokens_inside_tool_arguments_is_flagged(fake: FakeOpenAI) -> None:
    cut = call("Write", fragments=['{"file_path": "notes.txt", ', '"content": "half a sent'])
    fake.enqueue(tool_calls_reply(cut, finish_reason="length"))
    reply = Harness(fake).stream()
    assert reply.stop_reason == "max_tokens"
    [use] = reply.tool_uses()
    assert use["input"] == {} and "cut off" in reply.input_errors[use["id"]]


def test_invalid_tool_arguments_are_flagged_not_defaulted(fake: FakeOpenAI) -> None:
    fake.enqueue(tool_calls_reply(call("Bash", fragments=['{"command": ', "oops}"])))
    reply = Harness(fake).stream()
    [use] = reply.tool_uses()
    assert use["input"] == {}
    assert "invalid tool input JSON" in reply.input_errors[use["id"]]
    assert "oops" in reply.input_errors[use["id"]]


# --------------------------------------------------------------------------- incomplete streams


def test_cut_mid_tool_call_never_yields_a_tool_call(fake: FakeOpenAI) -> None:
    fake.enqueue(cut_mid_tool_call(), cut_mid_tool_call(), cut_mid_tool_call(chunked=False))
    h = Harness(fake)
    with pytest.raises(IncompleteStreamError, match="no tool was run"):
        h.stream()
    assert len(fake.requests) == 3
    assert [r.attempt for r in h.retries()] == [1, 2]


def test_cut_then_success_recovers(fake: FakeOpenAI) -> None:
    fake.enqueue(cut_mid_tool_call(), tool_calls_reply(call("LS", {"path": "."})))
    h = Harness(fake)
    assert h.stream().tool_uses()[0]["input"] == {"path": "."}
    [retry] = h.retries()
    assert "connection closed" in retry.reason


def test_a_clean_end_before_finish_reason_is_incomplete(fake: FakeOpenAI) -> None:
    truncated = chat_reply("An answer that stops.").with_faults(end_after=3)
    no_finish = chat_reply("Done but never finished.", finish_reason=None)  # [DONE] only
    fake.enqueue(truncated, no_finish, chat_reply("complete"))
    h = Harness(fake)
    assert h.stream().text() == "complete"
    assert [r.reason for r in h.retries()] == ["the stream ended before finish_reason"] * 2


def test_no_done_after_finish_reason_is_complete(fake: FakeOpenAI) -> None:
    fake.enqueue(
        chat_reply("No [DONE] here.").with_faults(done=False),
        chat_reply("Nor here.").with_faults(done=False, chunked=False),
    )
    h = Harness(fake)
    assert h.stream().text() == "No [DONE] here." and h.stream().text() == "Nor here."
    assert h.retries() == []


def test_a_drop_after_finish_reason_keeps_the_reply(fake: FakeOpenAI) -> None:
    reply = tool_calls_reply(call("LS", {"path": "."}), text="ok")
    finish_at = len(stream_chunks(reply)) - 1  # the usage chunk would come next
    fake.enqueue(reply.with_faults(drop_after=finish_at))
    h = Harness(fake)
    result = h.stream()
    assert result.stop_reason == "tool_use" and result.tool_uses()[0]["input"] == {"path": "."}
    assert result.usage.estimated and h.retries() == []


def test_finish_reason_error_is_retried(fake: FakeOpenAI) -> None:
    fake.enqueue(chat_reply("partial", finish_reason="error"), chat_reply("whole"))
    h = Harness(fake)
    assert h.stream().text() == "whole"
    assert "finish_reason error" in h.retries()[0].reason


def test_malformed_data_is_retried(fake: FakeOpenAI) -> None:
    fake.enqueue(RawStream([b"data: {not json\n\n"]), chat_reply("fine"))
    h = Harness(fake)
    assert h.stream().text() == "fine"
    assert "malformed" in h.retries()[0].reason


def test_stall_hits_the_idle_timeout_and_is_retried(fake: FakeOpenAI) -> None:
    stalled = chat_reply("late").with_faults(stall_after=1, stall_seconds=3.0)
    fake.enqueue(stalled, chat_reply("after the stall"))
    h = Harness(fake, idle_timeout=0.5)
    assert h.stream().text() == "after the stall"
    assert "idle timeout" in h.retries()[0].reason


# --------------------------------------------------------------------------- in-stream errors


@pytest.mark.parametrize("framing", ["data", "event", "llamacpp"])
def test_in_stream_server_error_is_retried(fake: FakeOpenAI, framing: Any) -> None:
    fake.enqueue(in_stream_error(after=3, framing=framing), chat_reply("second try"))
    h = Harness(fake)
    assert h.stream().text() == "second try"
    assert len(fake.requests) == 2
    assert "server_error during the stream" in h.retries()[0].reason


def test_in_stream_rate_limit_code_is_retried(fake: FakeOpenAI) -> None:
    limited = in_stream_error(error_type=None, code=429, message="Rate limit exceeded")
    fake.enqueue(limited, chat_reply("ok"))
    h = Harness(fake)
    assert h.stream().text() == "ok" and len(h.retries()) == 1


def test_in_stream_request_error_is_final(fake: FakeOpenAI) -> None:
    bad = in_stream_error(error_type="invalid_request_error", code=400, message="bad schema")
    fake.enqueue(bad)
    with pytest.raises(ModelError, match="bad schema"):
        Harness(fake).stream()
    assert len(fake.requests) == 1


def test_in_stream_errors_that_persist_are_a_final_error(fake: FakeOpenAI) -> None:
    fake.enqueue(in_stream_error(), in_stream_error(), in_stream_error())
    with pytest.raises(ModelError, match="failed after 3 attempts: server_error"):
        Harness(fake).stream()


# --------------------------------------------------------------------------- HTTP errors


def test_429_honours_retry_after(fake: FakeOpenAI) -> None:
    fake.enqueue(http_error(429, retry_after=2), chat_reply("ok"))
    h = Harness(fake)
    assert h.stream().text() == "ok"
    assert h.sleeps == [2.0] and len(fake.requests) == 2
    assert "HTTP 429" in h.retries()[0].reason


def test_retry_after_is_capped_and_said(fake: FakeOpenAI) -> None:
    fake.enqueue(http_error(429, retry_after=3600), chat_reply("ok"))
    h = Harness(fake)
    h.stream()
    assert h.sleeps == [60.0]
    assert any(isinstance(e, Notice) and "3600" in e.text for e in h.events)


def test_retry_after_ms_is_honoured(fake: FakeOpenAI) -> None:
    fake.enqueue(http_error(503, retry_after_ms=250), chat_reply("ok"))
    h = Harness(fake)
    h.stream()
    assert h.sleeps == [0.25]


@pytest.mark.parametrize("status", [408, 409, 500, 502, 503, 504, 520])
def test_retryable_statuses(fake: FakeOpenAI, status: int) -> None:
    fake.enqueue(http_error(status), chat_reply("ok"))
    assert Harness(fake).stream().text() == "ok"


def test_server_errors_forever_are_a_clear_final_error(fake: FakeOpenAI) -> None:
    fake.enqueue(http_error(500), http_error(502), http_error(503, "Service Unavailable"))
    h = Harness(fake)
    with pytest.raises(ModelError, match="failed after 3 attempts: HTTP 503"):
        h.stream()
    assert len(fake.requests) == 3 and [r.attempt for r in h.retries()] == [1, 2]


def test_should_retry_false_is_obeyed(fake: FakeOpenAI) -> None:
    fake.enqueue(http_error(503, should_retry=False))
    with pytest.raises(ModelError, match="HTTP 503"):
        Harness(fake).stream()
    assert len(fake.requests) == 1


def test_a_proxy_html_page_is_retried_and_named(fake: FakeOpenAI) -> None:
    page = ChatHTTPError(502, b"<html><body>Bad Gateway</body></html>")
    fake.enqueue(page, page, page)
    with pytest.raises(ModelError, match="HTTP 502 Bad Gateway"):
        Harness(fake).stream()


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_are_not_retried_and_print_no_key(fake: FakeOpenAI, status: int) -> None:
    fake.enqueue(http_error(status, f"Incorrect API key provided: {KEY[:8]}***"))
    with pytest.raises(ModelAuthError) as caught:
        Harness(fake).stream()
    assert len(fake.requests) == 1
    message = str(caught.value)
    assert "OPENROUTER_API_KEY" in message and f"HTTP {status}" in message
    assert KEY[:8] not in message and "secret" not in message


def test_400_is_final_with_the_servers_message(fake: FakeOpenAI) -> None:
    fake.enqueue(http_error(400, "This model's maximum context length is 8192 tokens"))
    with pytest.raises(ModelError, match="maximum context length"):
        Harness(fake).stream()
    assert len(fake.requests) == 1


def test_404_with_ollamas_plain_error_is_final(fake: FakeOpenAI) -> None:
    missing = 'model "qwen3-coder" not found, try pulling it first'
    fake.enqueue(ChatHTTPError(404, {"error": missing}))
    with pytest.raises(ModelError, match=r"HTTP 404.*try pulling it first"):
        Harness(fake).stream()
    assert len(fake.requests) == 1


def test_a_closed_port_is_a_clear_error_after_retries() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps: list[float] = []
    model = OpenAICompatModel(
        "m", base_url=f"http://127.0.0.1:{port}/v1", sleep=sleeps.append, policy=RetryPolicy()
    )
    request = ModelRequest("", [{"role": "user", "content": "hi"}])
    with pytest.raises(ModelError, match=f"cannot connect to http://127.0.0.1:{port}/v1"):
        model.stream(request, lambda _event: None)
    assert len(sleeps) == 2


# --------------------------------------------------------------------------- odd servers


def test_a_server_that_ignores_stream_true(fake: FakeOpenAI) -> None:
    whole = tool_calls_reply(call("LS", {"path": "."}, id="call_1"), text="Listing.")
    fake.enqueue(JSONResponse(whole.to_json("qwen3-coder")))
    h = Harness(fake)
    reply = h.stream()
    assert reply.text() == "Listing." and h.text_deltas() == ["Listing."]
    assert reply.tool_uses() == [
        {"type": "tool_use", "id": "call_1", "name": "LS", "input": {"path": "."}}
    ]


def test_whole_calls_without_index_and_missing_or_repeated_ids(fake: FakeOpenAI) -> None:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return data_event({"id": "c1", "model": "m", "choices": [choice]})

    whole = [
        {"id": "call_a", "function": {"name": "LS", "arguments": '{"path": "a"}'}},
        {"id": "call_a", "function": {"name": "LS", "arguments": '{"path": "b"}'}},
        {"function": {"name": "Read", "arguments": {"file_path": "c"}}},
    ]
    events = [chunk({"tool_calls": whole[:1]}), chunk({"tool_calls": whole[1:]})]
    fake.enqueue(RawStream([*events, chunk({}, "tool_calls"), b"data: [DONE]\n\n"]))
    uses = Harness(fake).stream().tool_uses()
    assert [u["input"] for u in uses] == [{"path": "a"}, {"path": "b"}, {"file_path": "c"}]
    ids = [u["id"] for u in uses]
    assert ids[0] == "call_a" and len(set(ids)) == 3 and all(ids)


def test_sse_parsing_follows_the_rules() -> None:
    raw = [
        b'data: {"a":',
        b"1}\r\n\r\n: comment\n\nevent: error\ndata: {}\n\ndata: x\ndata: y\n",
        b"\n",
    ]
    events = list(sse_events(sse_lines(iter(raw))))
    assert [(e.event, e.data) for e in events] == [
        ("", '{"a":1}'),
        ("error", "{}"),
        ("", "x\ny"),
    ]
    # A last event without its blank line was cut off and is not dispatched.
    assert list(sse_events(sse_lines(iter([b"data: {}\n", b'data: {"cut'])))) == []


def test_the_fake_rejects_what_a_strict_server_rejects() -> None:
    unanswered = {
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": None, "tool_calls": [_wire_call("c1", "{}")]},
            {"role": "user", "content": "next"},
        ]
    }
    bad_tool = {
        "messages": [
            {"role": "assistant", "content": None, "tool_calls": [_wire_call("c1", "{oops")]},
            {"role": "tool", "tool_call_id": "c1", "content": [{"type": "image_url"}]},
            {"role": "tool", "tool_call_id": "zz", "content": "stray"},
        ]
    }
    assert any("without a tool message" in p for p in chat_request_problems(unanswered))
    problems = " | ".join(chat_request_problems(bad_tool))
    assert "not valid JSON" in problems and "must be a string" in problems
    assert "answers no pending call" in problems


def _wire_call(call_id: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": "LS", "arguments": arguments}}
