"""The fake Messages API, driven by the real anthropic SDK: validates the harness and pins the
SDK behaviour (RELIABILITY §3.2) that the model adapter relies on."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2
import pytest
from anthropic.types import Message, MessageParam

from fakes.fake_api import (
    FakeAPI,
    JSONResponse,
    RawStream,
    RecordedRequest,
    Thinking,
    ToolUse,
    Usage,
    dropped_mid_tool_use,
    encode_event,
    http_error,
    in_stream_error,
    invalid_tool_json,
    max_tokens_mid_tool_json,
    missing_message_stop,
    reply,
    sse_events,
    stalled,
    text_reply,
    tool_call,
    tool_reply,
)

MODEL = "claude-haiku-4-5"
HELLO: list[MessageParam] = [{"role": "user", "content": "hello"}]


@pytest.fixture
def client(fake_api: FakeAPI) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(
        api_key="test", base_url=fake_api.base_url, max_retries=0, timeout=5.0
    ) as sdk:
        yield sdk


def stream(sdk: anthropic.Anthropic, **kwargs: Any) -> tuple[list[Any], Message]:
    """Stream one request; return every event the SDK yielded and the final message."""
    params: dict[str, Any] = {"model": MODEL, "max_tokens": 256, "messages": HELLO, **kwargs}
    with sdk.messages.stream(**params) as events:
        seen = list(events)
        return seen, events.get_final_message()


def raw_stream_chunks(fake: FakeAPI) -> list[bytes]:
    """POST a streaming request with plain httpx2 and return the body chunk by chunk."""
    body = {"model": MODEL, "max_tokens": 16, "messages": HELLO, "stream": True}
    with (
        httpx2.Client(timeout=5.0) as http,
        http.stream("POST", f"{fake.base_url}/v1/messages", json=body) as response,
    ):
        return list(response.iter_raw())


# --------------------------------------------------------------------------- happy paths


def test_text_is_streamed_in_chunks_and_assembled(
    fake_api: FakeAPI, client: anthropic.Anthropic
) -> None:
    usage = Usage(
        input_tokens=120,
        output_tokens=33,
        cache_creation_input_tokens=50,
        cache_read_input_tokens=7,
    )
    fake_api.enqueue(text_reply("Hello there, how can I help?", chunks=4, usage=usage))

    params: dict[str, Any] = {"model": MODEL, "max_tokens": 64, "messages": HELLO}
    with client.messages.stream(**params) as events:
        pieces = list(events.text_stream)
        final = events.get_final_message()

    assert len(pieces) == 4
    assert "".join(pieces) == "Hello there, how can I help?"
    assert final.stop_reason == "end_turn"
    assert final.id.startswith("msg_")
    assert final.model == MODEL
    assert final.usage.input_tokens == 120
    assert final.usage.output_tokens == 33
    assert final.usage.cache_creation_input_tokens == 50
    assert final.usage.cache_read_input_tokens == 7


def test_stream_event_order_follows_the_wire_format(
    fake_api: FakeAPI, client: anthropic.Anthropic
) -> None:
    fake_api.enqueue(tool_reply(tool_call("Bash", {"command": "ls"}), text="Looking."))

    events, _ = stream(client)

    wire = [e.type for e in events if e.type not in ("text", "input_json")]
    assert wire[0] == "message_start"
    assert wire[-2:] == ["message_delta", "message_stop"]
    indexes = [e.index for e in events if e.type == "content_block_start"]
    assert indexes == [0, 1]


def test_tool_input_is_assembled_from_fragments(
    fake_api: FakeAPI, client: anthropic.Anthropic
) -> None:
    call = tool_call(
        "Edit", {"file_path": "src/app.py", "old_string": "a = 1", "new_string": "a = 2"}
    )
    fragments = call.partial_json()
    assert fragments[0] == ""
    assert len(fragments) >= 4
    fake_api.enqueue(tool_reply(call))

    events, final = stream(client)

    assert [e.partial_json for e in events if e.type == "input_json"] == fragments
    assert final.stop_reason == "tool_use"
    (block,) = final.content
    assert block.type == "tool_use"
    assert block.id == call.id
    assert block.id.startswith("toolu_")
    assert block.name == "Edit"
    assert block.input == {"file_path": "src/app.py", "old_string": "a = 1", "new_string": "a = 2"}


def test_several_tool_use_blocks_in_one_message(
    fake_api: FakeAPI, client: anthropic.Anthropic
) -> None:
    first = tool_call("Read", {"file_path": "a.py"})
    second = tool_call("Grep", {"pattern": "TODO", "output_mode": "content"}, id="toolu_fixed")
    fake_api.enqueue(tool_reply(first, second, text="Reading both."))

    _, final = stream(client)

    assert [b.type for b in final.content] == ["text", "tool_use", "tool_use"]
    assert [getattr(b, "id", None) for b in final.content[1:]] == [first.id, "toolu_fixed"]
    assert first.id != second.id
    assert [getattr(b, "input", None) for b in final.content[1:]] == [
        {"file_path": "a.py"},
        {"pattern": "TODO", "output_mode": "content"},
    ]


def test_non_streamed_request_gets_one_json_message(
    fake_api: FakeAPI, client: anthropic.Anthropic
) -> None:
    fake_api.enqueue(tool_reply(tool_call("Bash", {"command": "pwd"}), text="Checking."))

    message = client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)

    assert fake_api.last_request.stream is False
    assert message.stop_reason == "tool_use"
    assert [b.type for b in message.content] == ["text", "tool_use"]
    assert getattr(message.content[1], "input", None) == {"command": "pwd"}
    assert message.usage.output_tokens == 20


@pytest.mark.parametrize(
    "stop_reason", ["end_turn", "max_tokens", "stop_sequence", "pause_turn", "refusal"]
)
def test_explicit_blocks_and_stop_reason(
    fake_api: FakeAPI, client: anthropic.Anthropic, stop_reason: str
) -> None:
    fake_api.enqueue(
        reply(Thinking("Let me think."), "Plain text.", stop_reason=stop_reason, id="msg_given")
    )

    _, final = stream(client)

    assert final.id == "msg_given"
    assert final.stop_reason == stop_reason
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert getattr(final.content[0], "thinking", None) == "Let me think."
    assert getattr(final.content[0], "signature", None)


def test_pings_between_events_are_skipped(fake_api: FakeAPI, client: anthropic.Anthropic) -> None:
    fake_api.enqueue(text_reply("pinged").with_faults(ping_every=1))
    assert raw_stream_chunks(fake_api).count(encode_event("ping", {"type": "ping"})) >= 5

    fake_api.enqueue(text_reply("pinged").with_faults(ping_every=1))
    events, final = stream(client)

    assert "ping" not in {e.type for e in events}
    assert final.content[0].type == "text"
    assert final.content[0].text == "pinged"


# --------------------------------------------------------------------------- HTTP errors


def test_529_raises_overloaded_error(fake_api: FakeAPI, client: anthropic.Anthropic) -> None:
    fake_api.enqueue(http_error(529))

    with pytest.raises(anthropic.OverloadedError) as caught:
        stream(client)

    assert isinstance(caught.value, anthropic.APIStatusError)
    assert caught.value.status_code == 529
    assert caught.value.type == "overloaded_error"
    assert caught.value.request_id is not None
    assert caught.value.request_id.startswith("req_")


def test_429_retry_after_is_visible_on_the_exception(
    fake_api: FakeAPI, client: anthropic.Anthropic
) -> None:
    fake_api.enqueue(http_error(429, retry_after=17, retry_after_ms=17000))

    with pytest.raises(anthropic.RateLimitError) as caught:
        stream(client)

    assert caught.value.status_code == 429
    assert caught.value.type == "rate_limit_error"
    assert caught.value.response.headers["retry-after"] == "17"
    assert caught.value.response.headers["retry-after-ms"] == "17000"


@pytest.mark.parametrize(
    ("status", "error_class", "error_type"),
    [
        (400, anthropic.BadRequestError, "invalid_request_error"),
        (401, anthropic.AuthenticationError, "authentication_error"),
        (413, anthropic.RequestTooLargeError, "request_too_large"),
        (500, anthropic.InternalServerError, "api_error"),
    ],
)
def test_http_error_statuses_map_to_sdk_classes(
    fake_api: FakeAPI,
    client: anthropic.Anthropic,
    status: int,
    error_class: type[anthropic.APIStatusError],
    error_type: str,
) -> None:
    fake_api.enqueue(http_error(status, message="prompt is too long: 300000 tokens > 200000"))

    with pytest.raises(error_class) as caught:
        client.messages.create(model=MODEL, max_tokens=16, messages=HELLO)

    assert caught.value.status_code == status
    assert caught.value.type == error_type
    assert caught.value.body == {
        "type": "error",
        "error": {"type": error_type, "message": "prompt is too long: 300000 tokens > 200000"},
        "request_id": caught.value.request_id,
    }


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the SDK's retry sleeps instead of sleeping."""
    recorded: list[float] = []
    monkeypatch.setattr(time, "sleep", recorded.append)  # the SDK retries with time.sleep
    return recorded


def test_sdk_retries_529_then_succeeds(fake_api: FakeAPI, sleeps: list[float]) -> None:
    fake_api.enqueue(http_error(529), http_error(529), text_reply("third time lucky"))

    with anthropic.Anthropic(api_key="test", base_url=fake_api.base_url, max_retries=2) as sdk:
        _, final = stream(sdk)

    assert final.content[0].type == "text"
    assert final.content[0].text == "third time lucky"
    counts = [r.headers["x-stainless-retry-count"] for r in fake_api.requests]
    assert counts == ["0", "1", "2"]
    assert 0.375 <= sleeps[0] <= 0.5
    assert 0.75 <= sleeps[1] <= 1.0


def test_sdk_honours_retry_after_uncapped(fake_api: FakeAPI, sleeps: list[float]) -> None:
    fake_api.enqueue(http_error(429, retry_after=3600), text_reply("after an hour"))

    with anthropic.Anthropic(api_key="test", base_url=fake_api.base_url, max_retries=1) as sdk:
        stream(sdk)

    assert sleeps == [3600.0]


def test_x_should_retry_false_stops_sdk_retries(fake_api: FakeAPI, sleeps: list[float]) -> None:
    fake_api.enqueue(http_error(529, should_retry=False))

    with (
        anthropic.Anthropic(api_key="test", base_url=fake_api.base_url, max_retries=2) as sdk,
        pytest.raises(anthropic.OverloadedError),
    ):
        stream(sdk)

    assert len(fake_api.requests) == 1
    assert sleeps == []


# --------------------------------------------------------------------------- stream faults


@pytest.mark.parametrize("error_type", ["overloaded_error", "api_error"])
def test_in_stream_error_raises_status_error_with_status_200(
    fake_api: FakeAPI, sleeps: list[float], error_type: str
) -> None:
    fake_api.enqueue(in_stream_error(after=3, error_type=error_type))

    with (
        anthropic.Anthropic(api_key="test", base_url=fake_api.base_url, max_retries=2) as sdk,
        pytest.raises(anthropic.APIStatusError) as caught,
    ):
        stream(sdk)

    assert type(caught.value) is anthropic.APIStatusError
    assert not isinstance(caught.value, anthropic.OverloadedError)
    assert caught.value.status_code == 200
    assert caught.value.type == error_type
    assert len(fake_api.requests) == 1  # errors inside a stream are never retried by the SDK


def test_dropped_connection_mid_tool_use_raises_remote_protocol_error(
    fake_api: FakeAPI, client: anthropic.Anthropic
) -> None:
    fake_api.enqueue(dropped_mid_tool_use(fragments_sent=2))

    with pytest.raises(httpx2.RemoteProtocolError):
        stream(client)


def test_dropped_close_delimited_stream_looks_complete(
    fake_api: FakeAPI, client: anthropic.Anthropic
) -> None:
    fake_api.enqueue(dropped_mid_tool_use(fragments_sent=2, chunked=False))

    events, final = stream(client)

    assert events[-1].type == "input_json"
    assert final.stop_reason is None
    assert final.content[0].type == "tool_use"
    assert final.content[0].input == {}


def test_missing_message_stop_gives_stop_reason_none(
    fake_api: FakeAPI, client: anthropic.Anthropic
) -> None:
    base = tool_reply(tool_call("Bash", {"command": "make"}))
    fake_api.enqueue(missing_message_stop(base))

    events, final = stream(client)

    assert events[-1].type == "content_block_stop"
    assert final.stop_reason is None
    assert final.content[0].type == "tool_use"
    assert final.content[0].input == {"command": "make"}


def test_max_tokens_inside_unfinished_tool_json_keeps_only_finished_keys(
    fake_api: FakeAPI, client: anthropic.Anthropic
) -> None:
    fake_api.enqueue(max_tokens_mid_tool_json("Write"))

    events, final = stream(client)

    assert "content_block_stop" not in {e.type for e in events}
    assert final.stop_reason == "max_tokens"
    assert final.content[0].type == "tool_use"
    assert final.content[0].input == {"file_path": "notes.txt"}  # "content" was dropped


def test_invalid_tool_json_raises_value_error_while_iterating(
    fake_api: FakeAPI, client: anthropic.Anthropic
) -> None:
    fake_api.enqueue(invalid_tool_json("Bash", '{"command": oops}'))

    with pytest.raises(ValueError, match="Unable to parse tool parameter JSON"):
        stream(client)


def test_stall_raises_raw_read_timeout(fake_api: FakeAPI) -> None:
    fake_api.enqueue(stalled(30.0, after=1))
    started = time.monotonic()

    with (
        anthropic.Anthropic(
            api_key="t", base_url=fake_api.base_url, max_retries=0, timeout=0.4
        ) as sdk,
        pytest.raises(httpx2.ReadTimeout),
    ):
        stream(sdk)

    assert time.monotonic() - started < 3.0


def test_stall_with_pings_does_not_time_out(fake_api: FakeAPI) -> None:
    fake_api.enqueue(stalled(1.0, after=1, ping_interval=0.1))

    with anthropic.Anthropic(
        api_key="t", base_url=fake_api.base_url, max_retries=0, timeout=0.4
    ) as sdk:
        _, final = stream(sdk)

    assert final.stop_reason == "end_turn"


def test_non_streamed_stall_is_wrapped_as_api_timeout(fake_api: FakeAPI) -> None:
    fake_api.enqueue(stalled(30.0))

    with (
        anthropic.Anthropic(
            api_key="t", base_url=fake_api.base_url, max_retries=0, timeout=0.3
        ) as sdk,
        pytest.raises(anthropic.APITimeoutError),
    ):
        sdk.messages.create(model=MODEL, max_tokens=16, messages=HELLO)


def test_unknown_event_and_delta_types_pass_through_untyped(
    fake_api: FakeAPI, client: anthropic.Anthropic
) -> None:
    fake_api.enqueue(text_reply("still fine").with_faults(unknown_event=True, unknown_delta=True))

    events, final = stream(client)

    unknown = [e for e in events if e.type == "future_thing"]
    assert len(unknown) == 1  # yielded, dressed as another event class: dispatch on .type
    deltas = [e.delta.type for e in events if e.type == "content_block_delta"]
    assert "future_delta" in deltas
    assert final.stop_reason == "end_turn"
    assert final.content[0].type == "text"
    assert final.content[0].text == "still fine"


def test_multibyte_characters_split_across_writes_are_decoded(
    fake_api: FakeAPI, client: anthropic.Anthropic
) -> None:
    base = tool_reply(tool_call("Write", {"content": "日本語 ✓ café"}), text="naïve — 日本")
    fake_api.enqueue(base.with_faults(split_utf8=True))
    chunks = raw_stream_chunks(fake_api)
    assert any(_cuts_a_character(chunk) for chunk in chunks)

    fake_api.enqueue(base.with_faults(split_utf8=True))
    _, final = stream(client)

    assert final.content[0].type == "text"
    assert final.content[0].text == "naïve — 日本"
    assert final.content[1].type == "tool_use"
    assert final.content[1].input == {"content": "日本語 ✓ café"}


def _cuts_a_character(chunk: bytes) -> bool:
    try:
        chunk.decode()
    except UnicodeDecodeError:
        return True
    return False


def test_raw_stream_sends_exactly_the_given_events(
    fake_api: FakeAPI, client: anthropic.Anthropic
) -> None:
    call = ToolUse("Bash", {"command": "ls"}, id="toolu_same")
    events = sse_events(reply(call, call, stop_reason="tool_use"), MODEL)
    fake_api.enqueue(RawStream(events))

    _, final = stream(client)

    assert [getattr(b, "id", None) for b in final.content] == ["toolu_same", "toolu_same"]


# --------------------------------------------------------------------------- recording


def test_requests_are_recorded(fake_api: FakeAPI, client: anthropic.Anthropic) -> None:
    fake_api.enqueue(text_reply("ok"))
    tools: list[Any] = [
        {"name": "Bash", "description": "Run", "input_schema": {"type": "object"}},
        {"name": "Read", "description": "Read", "input_schema": {"type": "object"}},
    ]
    messages: list[MessageParam] = [
        {"role": "user", "content": "list files"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {}}],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": "a.py"},
                {"type": "text", "text": "now explain"},
            ],
        },
    ]

    stream(
        client,
        system=[{"type": "text", "text": "You are terse."}, {"type": "text", "text": "Be kind."}],
        tools=tools,
        messages=messages,
        extra_query={"beta": "true"},
    )

    (request,) = fake_api.requests
    assert isinstance(request, RecordedRequest)
    assert (request.method, request.path, request.query) == ("POST", "/v1/messages", "beta=true")
    assert request.headers["Authorization"] == "Bearer test"  # 2.x sends no x-api-key
    assert "x-api-key" not in request.headers
    assert request.headers["anthropic-version"]
    assert request.stream is True
    assert request.model == MODEL
    assert request.system_text() == "You are terse.\nBe kind."
    assert request.tool_names() == ["Bash", "Read"]
    assert request.messages == messages
    assert request.last_user_text() == "now explain"
    assert request.tool_results() == [
        {"type": "tool_result", "tool_use_id": "t1", "content": "a.py"}
    ]


def test_callable_and_json_responses(fake_api: FakeAPI, client: anthropic.Anthropic) -> None:
    fake_api.enqueue(
        JSONResponse({"input_tokens": 42}),
        lambda request: text_reply(f"you said {request.last_user_text()}"),
    )

    counted = client.messages.count_tokens(model=MODEL, messages=HELLO)
    _, final = stream(client)

    assert counted.input_tokens == 42
    assert fake_api.requests[0].path == "/v1/messages/count_tokens"
    assert final.content[0].type == "text"
    assert final.content[0].text == "you said hello"


def test_unexpected_request_gets_500_and_fails_the_check() -> None:
    with FakeAPI() as fake:
        sdk = anthropic.Anthropic(api_key="t", base_url=fake.base_url, max_retries=0)
        with sdk, pytest.raises(anthropic.InternalServerError) as caught:
            stream(sdk)
        assert caught.value.type == "api_error"
        assert len(fake.unexpected) == 1
        with pytest.raises(AssertionError, match="unexpected request"):
            fake.assert_all_consumed()


def test_leftover_responses_fail_the_check() -> None:
    with FakeAPI() as fake:
        fake.enqueue(text_reply("never asked for"))
        assert fake.pending == 1
        with pytest.raises(AssertionError, match="never requested"):
            fake.assert_all_consumed()


def test_stop_ends_a_stall_quickly_and_leaves_no_threads() -> None:
    before = set(threading.enumerate())
    fake = FakeAPI().start()
    fake.enqueue(stalled(60.0, ping_interval=0.05))
    body = {"model": MODEL, "max_tokens": 16, "messages": HELLO, "stream": True}
    with (
        httpx2.Client(timeout=5.0) as http,
        http.stream("POST", f"{fake.base_url}/v1/messages", json=body) as response,
    ):
        assert next(response.iter_raw()).startswith(b"event: message_start")
        started = time.monotonic()
        fake.stop()
        assert time.monotonic() - started < 1.0
    leaked = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert leaked == []
    fake.assert_all_consumed()


# --------------------------------------------------------------------------- conftest guards


def test_network_guard_blocks_non_loopback_connects(fake_api: FakeAPI, network_guard: Any) -> None:
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="network access blocked"):
        socket.create_connection(("203.0.113.1", 80), timeout=5)
    with socket.socket() as sock, pytest.raises(RuntimeError, match=r"203\.0\.113\.1:80"):
        sock.connect(("203.0.113.1", 80))
    with socket.socket() as sock, pytest.raises(RuntimeError):
        sock.connect_ex(("example.com", 443))
    with socket.socket(socket.AF_INET6) as sock, pytest.raises(RuntimeError):
        sock.connect(("2001:db8::1", 443))
    assert time.monotonic() - started < 1.0
    assert len(network_guard.blocked) == 4
    network_guard.blocked.clear()

    port = int(fake_api.base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass


def test_environment_is_scrubbed_and_isolated(
    devagent_env: dict[str, str], devagent_cmd: list[str], fake_api: FakeAPI
) -> None:
    assert "ANTHROPIC_API_KEY" not in os.environ
    assert os.environ["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:9"
    home = os.environ["DEVAGENT_HOME"]
    assert os.path.isdir(home)
    assert os.listdir(home) == []
    assert os.environ["NO_COLOR"] == "1"
    assert devagent_env["ANTHROPIC_API_KEY"] == "sk-ant-test-key"
    assert devagent_env["ANTHROPIC_BASE_URL"] == fake_api.base_url
    assert devagent_env["DEVAGENT_HOME"] == home
    assert devagent_cmd[1:] == ["-m", "devagent"]


def test_sdk_without_base_url_hits_the_dead_loopback_port() -> None:
    with anthropic.Anthropic(api_key="t", max_retries=0, timeout=2.0) as sdk:
        assert str(sdk.base_url).startswith("http://127.0.0.1:9")
        with pytest.raises(anthropic.APIConnectionError):
            sdk.messages.create(model=MODEL, max_tokens=16, messages=HELLO)


@pytest.mark.live
def test_live_stream_has_the_shape_the_fake_imitates() -> None:
    with anthropic.Anthropic(max_retries=1, timeout=30.0) as sdk:
        events, final = stream(sdk, max_tokens=16, messages=[{"role": "user", "content": "Hi"}])
    wire = [e.type for e in events if e.type not in ("text", "input_json", "thinking", "signature")]
    assert wire[0] == "message_start"
    assert wire[-1] == "message_stop"
    assert final.stop_reason in ("end_turn", "max_tokens")
    assert final.content[0].type == "text"
