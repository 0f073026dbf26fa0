"""The Anthropic adapters over real HTTP: streaming, caching, and every fault they must absorb.

Every test runs twice: through the SDK adapter and through the native httpx client."""

from __future__ import annotations

import pytest

from devagent.errors import IncompleteStreamError, ModelAuthError, ModelError
from devagent.events import Event, Notice, Retrying, TextDelta
from devagent.llm.anthropic import AnthropicModel, RetryPolicy
from devagent.llm.anthropic_native import AnthropicNativeModel
from devagent.messages import ModelRequest, ToolSpec
from fakes.fake_api import (
    FakeAPI,
    Usage,
    dropped_mid_tool_use,
    http_error,
    in_stream_error,
    invalid_tool_json,
    max_tokens_mid_tool_json,
    missing_message_stop,
    stalled,
    text_reply,
    tool_call,
    tool_reply,
)

KEY = "sk-ant-secret-key-material-1234567890"
READ = ToolSpec("Read", "Read a file.", {"type": "object", "properties": {}})

Adapter = type[AnthropicModel] | type[AnthropicNativeModel]


@pytest.fixture(params=[AnthropicModel, AnthropicNativeModel], ids=["sdk", "native"])
def adapter(request: pytest.FixtureRequest) -> Adapter:
    kind: Adapter = request.param
    return kind


class Harness:
    def __init__(self, fake: FakeAPI, adapter: Adapter, idle_timeout: float = 30.0) -> None:
        self.sleeps: list[float] = []
        self.events: list[Event] = []
        self.model = adapter(
            "claude-sonnet-5-5",
            api_key=KEY,
            base_url=fake.base_url,
            policy=RetryPolicy(max_retries=2),
            idle_timeout=idle_timeout,
            sleep=self.sleeps.append,
        )

    def ask(self, text: str = "hello") -> ModelRequest:
        return ModelRequest("be brief", [{"role": "user", "content": text}], [READ], 1000)

    def stream(self, text: str = "hello"):  # type: ignore[no-untyped-def]
        return self.model.stream(self.ask(text), self.events.append)

    def retries(self) -> list[Retrying]:
        return [e for e in self.events if isinstance(e, Retrying)]


def test_text_streams_as_deltas_and_usage_is_kept(fake_api: FakeAPI, adapter: Adapter) -> None:
    usage = Usage(input_tokens=12, output_tokens=7, cache_read_input_tokens=100)
    fake_api.enqueue(text_reply("Hello there, friend.", chunks=3, usage=usage))
    h = Harness(fake_api, adapter)
    reply = h.stream()
    assert reply.text() == "Hello there, friend." and reply.stop_reason == "end_turn"
    deltas = [e.text for e in h.events if isinstance(e, TextDelta)]
    assert len(deltas) == 3 and "".join(deltas) == "Hello there, friend."
    assert (reply.usage.input_tokens, reply.usage.cache_read_input_tokens) == (12, 100)
    assert reply.usage.output_tokens == 7


def test_request_carries_cache_breakpoints_and_the_key(fake_api: FakeAPI, adapter: Adapter) -> None:
    fake_api.enqueue(text_reply("ok"))
    Harness(fake_api, adapter).stream("question")
    body = fake_api.requests[0].json
    assert body["stream"] is True and body["model"] == "claude-sonnet-5-5"
    assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert body["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert body["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert fake_api.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_tool_calls_are_assembled_from_fragments(fake_api: FakeAPI, adapter: Adapter) -> None:
    first = tool_call("Read", {"file_path": "src/app.py", "limit": 20}, chunks=5)
    second = tool_call("Grep", {"pattern": "def main"})
    fake_api.enqueue(tool_reply(first, second, text="Looking."))
    reply = Harness(fake_api, adapter).stream()
    assert reply.stop_reason == "tool_use" and reply.input_errors == {}
    uses = reply.tool_uses()
    assert [u["input"] for u in uses] == [
        {"file_path": "src/app.py", "limit": 20},
        {"pattern": "def main"},
    ]
    assert uses[0]["id"] == first.id


def test_overloaded_twice_then_success_makes_exactly_three_requests(
    fake_api: FakeAPI, adapter: Adapter
) -> None:
    fake_api.enqueue(http_error(529), http_error(529), text_reply("finally"))
    h = Harness(fake_api, adapter)
    assert h.stream().text() == "finally"
    assert len(fake_api.requests) == 3
    assert len(h.retries()) == 2 and all("529" in r.reason for r in h.retries())


def test_overloaded_forever_is_a_clear_final_error(fake_api: FakeAPI, adapter: Adapter) -> None:
    fake_api.enqueue(http_error(529), http_error(529), http_error(529))
    with pytest.raises(ModelError, match="failed after 3 attempts: HTTP 529"):
        Harness(fake_api, adapter).stream()
    assert len(fake_api.requests) == 3


def test_retry_after_is_capped_at_sixty_seconds(fake_api: FakeAPI, adapter: Adapter) -> None:
    fake_api.enqueue(http_error(429, retry_after=3600), text_reply("ok"))
    h = Harness(fake_api, adapter)
    h.stream()
    assert h.sleeps == [60.0]
    assert any(isinstance(e, Notice) and "3600" in e.text for e in h.events)


def test_retry_after_ms_is_honoured(fake_api: FakeAPI, adapter: Adapter) -> None:
    fake_api.enqueue(http_error(503, retry_after_ms=250), text_reply("ok"))
    h = Harness(fake_api, adapter)
    h.stream()
    assert h.sleeps == [0.25]


def test_401_is_not_retried_and_prints_no_key(fake_api: FakeAPI, adapter: Adapter) -> None:
    fake_api.enqueue(http_error(401))
    with pytest.raises(ModelAuthError) as caught:
        Harness(fake_api, adapter).stream()
    assert len(fake_api.requests) == 1
    assert "ANTHROPIC_API_KEY" in str(caught.value) and KEY not in str(caught.value)
    assert "secret" not in str(caught.value)


def test_400_is_not_retried(fake_api: FakeAPI, adapter: Adapter) -> None:
    fake_api.enqueue(http_error(400, message="prompt is too long: 300000 tokens > 200000"))
    with pytest.raises(ModelError, match="prompt is too long"):
        Harness(fake_api, adapter).stream()
    assert len(fake_api.requests) == 1


def test_in_stream_overloaded_error_is_retried(fake_api: FakeAPI, adapter: Adapter) -> None:
    fake_api.enqueue(in_stream_error(after=3), text_reply("second try"))
    h = Harness(fake_api, adapter)
    assert h.stream().text() == "second try"
    assert len(fake_api.requests) == 2 and "overloaded_error" in h.retries()[0].reason


def test_in_stream_non_retryable_error_is_final(fake_api: FakeAPI, adapter: Adapter) -> None:
    fake_api.enqueue(in_stream_error(after=2, error_type="invalid_request_error"))
    with pytest.raises(ModelError, match="invalid_request_error"):
        Harness(fake_api, adapter).stream()
    assert len(fake_api.requests) == 1


def test_drop_mid_tool_use_never_yields_a_tool_call(fake_api: FakeAPI, adapter: Adapter) -> None:
    fake_api.enqueue(
        dropped_mid_tool_use(), dropped_mid_tool_use(), dropped_mid_tool_use(chunked=False)
    )
    with pytest.raises(IncompleteStreamError, match="no tool was run"):
        Harness(fake_api, adapter).stream()
    assert len(fake_api.requests) == 3


def test_drop_then_success_recovers(fake_api: FakeAPI, adapter: Adapter) -> None:
    fake_api.enqueue(dropped_mid_tool_use(), tool_reply(tool_call("LS", {"path": "."})))
    reply = Harness(fake_api, adapter).stream()
    assert reply.tool_uses()[0]["input"] == {"path": "."}


def test_missing_message_stop_is_retried(fake_api: FakeAPI, adapter: Adapter) -> None:
    fake_api.enqueue(missing_message_stop(), text_reply("complete"))
    h = Harness(fake_api, adapter)
    assert h.stream().text() == "complete"
    assert "message_stop" in h.retries()[0].reason


def test_stall_hits_the_idle_timeout_and_is_retried(fake_api: FakeAPI, adapter: Adapter) -> None:
    fake_api.enqueue(stalled(3.0), text_reply("after the stall"))
    h = Harness(fake_api, adapter, idle_timeout=0.5)
    assert h.stream().text() == "after the stall"
    assert len(h.retries()) == 1


def test_pings_keep_a_slow_stream_alive(fake_api: FakeAPI, adapter: Adapter) -> None:
    fake_api.enqueue(stalled(1.5, ping_interval=0.1))
    h = Harness(fake_api, adapter, idle_timeout=0.6)
    assert h.stream().text() == "An answer that arrives late."
    assert h.retries() == []


def test_max_tokens_inside_tool_json_is_flagged(fake_api: FakeAPI, adapter: Adapter) -> None:
    fake_api.enqueue(max_tokens_mid_tool_json())
    reply = Harness(fake_api, adapter).stream()
    assert reply.stop_reason == "max_tokens"
    [use] = reply.tool_uses()
    assert "cut off" in reply.input_errors[use["id"]]


def test_invalid_tool_json_is_flagged_not_defaulted(fake_api: FakeAPI, adapter: Adapter) -> None:
    fake_api.enqueue(invalid_tool_json())
    reply = Harness(fake_api, adapter).stream()
    [use] = reply.tool_uses()
    assert "invalid tool input JSON" in reply.input_errors[use["id"]]
    assert "oops" in reply.input_errors[use["id"]]


def test_unknown_events_and_split_utf8_are_handled(fake_api: FakeAPI, adapter: Adapter) -> None:
    base = text_reply("naïve café — ünïcödé ✓", chunks=2)
    fake_api.enqueue(base.with_faults(unknown_event=True, unknown_delta=True, split_utf8=True))
    assert Harness(fake_api, adapter).stream().text() == "naïve café — ünïcödé ✓"
