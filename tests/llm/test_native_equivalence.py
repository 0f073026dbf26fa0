"""The native httpx client and the SDK adapter are interchangeable: the same scripted
conversations, faults included, go through both against the fake Messages API, and the two
must send the same requests (body, path, the headers that matter) and return the same replies,
errors, events and retry waits.

The SDK adapter is the reference: it is what the official client sends. Each scenario also
checks its own expected outcome, so two paths that failed the same wrong way cannot pass.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from devagent.errors import DevagentError
from devagent.events import Event
from devagent.llm.anthropic import AnthropicModel, RetryPolicy
from devagent.llm.anthropic_native import ANTHROPIC_VERSION, AnthropicNativeModel, custom_headers
from devagent.messages import ModelRequest, ToolSpec, tool_result_block
from fakes.fake_api import (
    FakeAPI,
    JSONResponse,
    RawStream,
    Scripted,
    Thinking,
    Usage,
    dropped_mid_tool_use,
    http_error,
    in_stream_error,
    invalid_tool_json,
    max_tokens_mid_tool_json,
    missing_message_stop,
    reply,
    text_reply,
    tool_call,
    tool_reply,
)

KEY = "sk-ant-equivalence-key-0123456789"
BETAS = "interleaved-thinking-2025-05-14,context-1m-2025-08-07"
CUSTOM = f"anthropic-beta: {BETAS}\nX-Team: platform"
# The headers whose values change what the API does with a request.
MATTERS = ("anthropic-version", "anthropic-beta", "authorization", "x-api-key", "content-type")
READ = ToolSpec(
    "Read",
    "Read a file.",
    {"type": "object", "properties": {"file_path": {"type": "string"}}, "required": ["file_path"]},
)
EDIT = ToolSpec("Edit", "Edit a file.", {"type": "object", "properties": {}})
PIXEL = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@dataclass(frozen=True)
class Turn:
    """One ``stream`` call and the responses the fake serves while it runs."""

    request: ModelRequest
    script: Sequence[Scripted]


@dataclass
class Outcome:
    """Everything one path produced for a scenario, in a comparable shape."""

    user_agents: list[str] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    results: list[tuple[str, Any]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)


def ask(text: str, *, tools: Sequence[ToolSpec] = (READ, EDIT), **kw: Any) -> ModelRequest:
    return ModelRequest("You are terse.", [{"role": "user", "content": text}], list(tools), **kw)


def run_path(kind: str, turns: Sequence[Turn]) -> Outcome:
    out = Outcome()
    with FakeAPI() as fake:
        model = make_model(kind, fake.base_url, out.sleeps.append)
        for turn in turns:
            fake.enqueue(*turn.script)
            random.seed(13)  # the same backoff jitter on both paths
            try:
                got = model.stream(turn.request, out.events.append)
            except DevagentError as exc:
                out.results.append((type(exc).__name__, str(exc)))
            else:
                usage = got.usage.as_dict()
                fields = (got.content, got.stop_reason, usage, got.model, got.message_id)
                out.results.append(("reply", (*fields, got.input_errors)))
        fake.assert_all_consumed()
        for req in fake.requests:
            out.user_agents.append(req.headers.get("user-agent", ""))
            headers = {name: req.headers.get(name) for name in MATTERS}
            out.requests.append(
                {"method": req.method, "path": req.path, "query": req.query, "body": req.body}
                | {"headers": headers}
            )
    return out


def make_model(
    kind: str, base_url: str, sleep: Callable[[float], None]
) -> AnthropicModel | AnthropicNativeModel:
    policy = RetryPolicy(max_retries=2)
    if kind == "sdk":  # reads ANTHROPIC_CUSTOM_HEADERS from the environment itself
        return AnthropicModel(
            "claude-sonnet-4-5", api_key=KEY, base_url=base_url, policy=policy, sleep=sleep
        )
    return AnthropicNativeModel(
        "claude-sonnet-4-5",
        api_key=KEY,
        base_url=base_url,
        headers=custom_headers({"ANTHROPIC_CUSTOM_HEADERS": CUSTOM}),
        policy=policy,
        sleep=sleep,
    )


# --------------------------------------------------------------------------- the scenarios


def conversation() -> list[Turn]:
    """Three turns of a Read → Edit → answer loop, with thinking, images and parallel calls."""
    read = tool_call("Read", {"file_path": "src/app.py"}, chunks=6)
    grep = tool_call("Read", {"file_path": "README.md"})
    edit = tool_call("Edit", {"file_path": "src/app.py", "old": "a", "new": "b — ü"}, chunks=4)
    first = tool_reply(read, grep, text="Reading both.")
    second = reply(Thinking("Now the edit.", chunks=3), edit, stop_reason="tool_use")
    usage = Usage(input_tokens=50, output_tokens=9, cache_read_input_tokens=1200)
    third = text_reply("Done: **one** line changed.", chunks=5, usage=usage)
    history: list[dict[str, Any]] = [{"role": "user", "content": "fix app.py"}]
    turns = [Turn(ask("fix app.py"), [first])]
    history += [
        {"role": "assistant", "content": [b.to_json() for b in first.content]},
        {
            "role": "user",
            "content": [
                tool_result_block(read.id, "1\ta = 1"),
                tool_result_block(grep.id, "no such file", is_error=True),
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": PIXEL},
                },
            ],
        },
    ]
    turns.append(Turn(ModelRequest("You are terse.", list(history), [READ, EDIT]), [second]))
    history += [
        {"role": "assistant", "content": [b.to_json() for b in second.content]},
        {"role": "user", "content": [tool_result_block(edit.id, "edited")]},
    ]
    turns.append(Turn(ModelRequest("You are terse.", list(history), [READ, EDIT]), [third]))
    return turns


def server_tools() -> list[Turn]:
    """Web search: a server tool in the request, server blocks in the reply, kept verbatim."""
    search = {"type": "web_search_20250305", "name": "web_search", "max_uses": 3}
    use = {"type": "server_tool_use", "id": "srvtoolu_01", "name": "web_search", "input": {}}
    found = {
        "type": "web_search_tool_result",
        "tool_use_id": "srvtoolu_01",
        "content": [{"type": "web_search_result", "url": "https://example.org", "title": "Ex"}],
    }
    usage = {"input_tokens": 5, "output_tokens": 7, "server_tool_use": {"web_search_requests": 1}}
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": {"id": "msg_srv", "usage": {}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": use}),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": '{"query": "ex'},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": 'ample"}'},
            },
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 1, "content_block": found},
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 1}),
        (
            "message_delta",
            {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": usage},
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    request = ask("search", server_tools=[search], cache=False)
    return [Turn(request, [RawStream(events)])]


SCENARIOS: dict[str, Callable[[], list[Turn]]] = {
    "conversation": conversation,
    "server_tools_no_cache": server_tools,
    "429_retry_after": lambda: [
        Turn(ask("a"), [http_error(429, retry_after=2), text_reply("after the wait")])
    ],
    "529_twice_then_ok": lambda: [
        Turn(ask("a"), [http_error(529), http_error(529), text_reply("third time")])
    ],
    "529_forever": lambda: [Turn(ask("a"), [http_error(529)] * 3)],
    "in_stream_overloaded": lambda: [
        Turn(ask("a"), [in_stream_error(after=3), text_reply("recovered")])
    ],
    "in_stream_invalid_request": lambda: [
        Turn(ask("a"), [in_stream_error(after=2, error_type="invalid_request_error")])
    ],
    "cut_mid_tool_call_then_ok": lambda: [
        Turn(ask("a"), [dropped_mid_tool_use(), tool_reply(tool_call("Read", {"file_path": "x"}))])
    ],
    "cut_every_time": lambda: [
        Turn(
            ask("a"),
            [dropped_mid_tool_use(), dropped_mid_tool_use(), dropped_mid_tool_use(chunked=False)],
        )
    ],
    "no_message_stop": lambda: [Turn(ask("a"), [missing_message_stop(), text_reply("whole")])],
    "auth_401": lambda: [Turn(ask("a"), [http_error(401)])],
    "auth_403": lambda: [Turn(ask("a"), [http_error(403)])],
    "unknown_model": lambda: [
        Turn(ask("a"), [http_error(404, "not_found_error", "model: claude-sonnet-4-5")])
    ],
    "400_too_long": lambda: [
        Turn(ask("a"), [http_error(400, message="prompt is too long: 300000 tokens > 200000")])
    ],
    "400_odd_body": lambda: [Turn(ask("a"), [JSONResponse({"detail": "nope"}, status=400)])],
    "bad_tool_input": lambda: [
        Turn(ask("a"), [invalid_tool_json()]),
        Turn(ask("b"), [max_tokens_mid_tool_json(text="Writing.")]),
    ],
    "unknown_events_pings_split_utf8": lambda: [
        Turn(
            ask("a"),
            [
                text_reply("naïve café — ✓", chunks=4).with_faults(
                    unknown_event=True, unknown_delta=True, split_utf8=True, ping_every=2
                )
            ],
        )
    ],
}

# What each scenario must come to, so agreement on a wrong answer still fails.
EXPECTED: dict[str, tuple[list[str], int]] = {
    "conversation": (["reply", "reply", "reply"], 3),
    "server_tools_no_cache": (["reply"], 1),
    "429_retry_after": (["reply"], 2),
    "529_twice_then_ok": (["reply"], 3),
    "529_forever": (["ModelError"], 3),
    "in_stream_overloaded": (["reply"], 2),
    "in_stream_invalid_request": (["ModelError"], 1),
    "cut_mid_tool_call_then_ok": (["reply"], 2),
    "cut_every_time": (["IncompleteStreamError"], 3),
    "no_message_stop": (["reply"], 2),
    "auth_401": (["ModelAuthError"], 1),
    "auth_403": (["ModelAuthError"], 1),
    "unknown_model": (["UnknownModelError"], 1),
    "400_too_long": (["ModelError"], 1),
    "400_odd_body": (["ModelError"], 1),
    "bad_tool_input": (["reply", "reply"], 2),
    "unknown_events_pings_split_utf8": (["reply"], 1),
}


@pytest.fixture
def both(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], tuple[Outcome, Outcome]]:
    monkeypatch.setenv("ANTHROPIC_CUSTOM_HEADERS", CUSTOM)

    def run(name: str) -> tuple[Outcome, Outcome]:
        turns = SCENARIOS[name]()
        return run_path("sdk", turns), run_path("native", turns)

    return run


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_both_paths_send_and_return_the_same(
    name: str, both: Callable[[str], tuple[Outcome, Outcome]]
) -> None:
    sdk, native = both(name)
    kinds, requests = EXPECTED[name]
    assert [kind for kind, _ in sdk.results] == kinds
    assert len(sdk.requests) == requests
    # The transports really differ: the SDK names itself, the native client names devagent.
    assert all(ua.startswith("Anthropic/Python") for ua in sdk.user_agents)
    assert all(ua.startswith("devagent/") for ua in native.user_agents)
    assert native.requests == sdk.requests
    assert native.results == sdk.results
    assert native.events == sdk.events
    assert native.sleeps == sdk.sleeps


def test_the_headers_that_matter_are_the_sdks(
    both: Callable[[str], tuple[Outcome, Outcome]],
) -> None:
    sdk, native = both("429_retry_after")
    for request in (*sdk.requests, *native.requests):
        headers = request["headers"]
        assert headers["anthropic-version"] == ANTHROPIC_VERSION
        assert headers["anthropic-beta"] == BETAS
        assert headers["authorization"] == f"Bearer {KEY}"
        assert request["path"] == "/v1/messages" and request["body"]["stream"] is True
    assert sdk.sleeps == native.sleeps == [2.0]


def test_the_conversation_replies_are_parsed_in_full(
    both: Callable[[str], tuple[Outcome, Outcome]],
) -> None:
    _sdk, native = both("conversation")
    first, second, third = (result for _kind, result in native.results)
    assert [b["type"] for b in first[0]] == ["text", "tool_use", "tool_use"]
    assert first[0][1]["input"] == {"file_path": "src/app.py"}
    assert [b["type"] for b in second[0]] == ["thinking", "tool_use"]
    assert second[0][1]["input"]["new"] == "b — ü"
    assert third[0] == [{"type": "text", "text": "Done: **one** line changed."}]
    assert third[2]["cache_read_input_tokens"] == 1200
