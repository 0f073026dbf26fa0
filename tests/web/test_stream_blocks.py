"""Blocks the adapter does not interpret come back exactly as the API sent them: the
accumulator reads the stream's JSON, so ``server_tool_use``, ``web_search_tool_result``
(with ``encrypted_content`` and errors), cited text, ``redacted_thinking`` and block types not
invented yet keep every key, value and key order; server tools and searches reach the request
and the usage."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devagent.config import cost_of
from devagent.errors import ModelError
from devagent.events import Event
from devagent.llm.anthropic import AnthropicModel, RetryPolicy, request_params
from devagent.messages import AssistantReply, ModelRequest, ToolSpec, Usage
from fakes.fake_api import FakeAPI
from web.blocks import (
    Streamed,
    citation,
    cited_text,
    hit,
    search_call,
    search_error,
    search_results,
    web_search_reply,
)

DOCS = "https://docs.python.org/3/whatsnew/3.14.html"


def stream(fake: FakeAPI, request: ModelRequest | None = None) -> AssistantReply:
    model = AnthropicModel(
        "claude-haiku-5-5",
        api_key="sk-ant-test",
        base_url=fake.base_url,
        policy=RetryPolicy(max_retries=0),
    )
    events: list[Event] = []
    asked = request or ModelRequest("", [{"role": "user", "content": "search"}])
    return model.stream(asked, events.append)


def exact(blocks: list[dict[str, Any]]) -> str:
    """The blocks as bytes on the wire (key order included)."""
    return json.dumps(blocks, separators=(",", ":"))


def test_web_search_blocks_are_kept_byte_for_byte(fake_api: FakeAPI) -> None:
    blocks = [
        cited_text("Let me search."),
        search_call("python 3.14 release date"),
        search_results(
            [hit("What's new in 3.14", DOCS), hit("PEP 745", "https://peps.python.org/pep-0745/")]
        ),
        cited_text("Python 3.14 came out in October 2025.", [citation("What's new", DOCS, "3.14")]),
    ]
    fake_api.enqueue(web_search_reply(blocks, searches=1))
    reply = stream(fake_api)
    assert exact(reply.content) == exact([b.full for b in blocks])
    assert reply.stop_reason == "end_turn" and reply.input_errors == {}
    assert reply.usage.web_search_requests == 1
    assert reply.usage.input_tokens == 1000 and reply.usage.output_tokens == 200


def test_a_search_error_result_is_kept_as_sent(fake_api: FakeAPI) -> None:
    blocks = [search_call("x"), search_error("too_many_requests"), cited_text("No luck.")]
    fake_api.enqueue(web_search_reply(blocks))
    assert exact(stream(fake_api).content) == exact([b.full for b in blocks])


def test_unknown_and_redacted_blocks_pass_through_unchanged(fake_api: FakeAPI) -> None:
    future = {"type": "future_block", "id": "fb_1", "payload": {"z": 1, "a": [None, True]}}
    redacted = {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4a"}
    blocks = [Streamed(redacted, redacted), Streamed(future, future), cited_text("done")]
    fake_api.enqueue(web_search_reply(blocks, searches=0))
    reply = stream(fake_api)
    assert exact(reply.content) == exact([redacted, future, {"type": "text", "text": "done"}])
    assert reply.usage.web_search_requests == 0


def test_server_tools_go_after_the_tools_and_no_cache_means_no_breakpoints() -> None:
    server = {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
    spec = ToolSpec("Read", "Read a file.", {"type": "object"})
    messages: list[dict[str, Any]] = [{"role": "user", "content": "q"}]
    cached = request_params("m", ModelRequest("sys", messages, [spec], server_tools=[server]))
    assert [t.get("name") for t in cached["tools"]] == ["Read", "web_search"]
    assert cached["tools"][0]["cache_control"] == {"type": "ephemeral"}
    assert cached["tools"][1] == server
    plain = request_params(
        "m", ModelRequest("sys", messages, [spec], server_tools=[server], cache=False)
    )
    assert "cache_control" not in json.dumps(plain)
    assert plain["messages"] == messages and plain["system"] == [{"type": "text", "text": "sys"}]


def test_searches_are_priced_per_thousand_and_add_up() -> None:
    total = Usage(input_tokens=1_000_000)
    total.add(Usage(web_search_requests=3))
    assert total.web_search_requests == 3
    assert cost_of("claude-haiku-5-5", total) == pytest.approx(0.1 + 3 * 0.01)


def test_a_chat_completions_model_refuses_server_tools_instead_of_dropping_them() -> None:
    from devagent.llm.openai_compat import OpenAICompatModel

    model = OpenAICompatModel("llama3", base_url="http://127.0.0.1:9/v1")
    server = {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
    request = ModelRequest("", [{"role": "user", "content": "q"}], server_tools=[server])
    with pytest.raises(ModelError, match="has no server-side tools \\(web_search\\)"):
        model.stream(request, lambda event: None)
    model.close()
