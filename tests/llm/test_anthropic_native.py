"""The native client's own parts against the SDK's: the server-sent-event decoder (every way a
stream can be cut into network reads), ``ANTHROPIC_CUSTOM_HEADERS`` parsing; and ``warm``, on
the native client and on the models that wrap the SDK."""

from __future__ import annotations

import itertools
import random
import subprocess
import sys

import anthropic
import pytest
from anthropic._streaming import SSEDecoder

from devagent.llm.anthropic_native import (
    AnthropicNativeModel,
    custom_headers,
    shared_client,
    sse_events,
)
from devagent.llm.base import Warmable
from devagent.llm.providers import NamedModel
from devagent.llm.scripted import ScriptedModel
from devagent.messages import ModelRequest
from fakes.fake_api import FakeAPI, text_reply

STREAMS = {
    "lf": b'event: message_start\ndata: {"a":1}\n\nevent: ping\ndata: {}\n\n',
    "crlf": b'event: message_start\r\ndata: {"a":1}\r\n\r\ndata: {"b":2}\r\n\r\n',
    "cr": b'event: x\rdata: {"a":1}\r\r',
    "multi_line_data": b'event: x\ndata: {"a":\ndata: 1}\n\n',
    "comments_and_fields": b': keep-alive\nid: 7\nretry: 100\nevent: x\ndata:{"tight":1}\n\n',
    "no_space_and_colons": b"event:x\ndata: a: b: c\n\n",
    "utf8": 'event: t\ndata: {"text":"naïve café — ✓ 日本"}\n\n'.encode(),
    "cut_before_blank_line": b'event: a\ndata: {"ok":1}\n\nevent: b\ndata: {"lost":1}\n',
    "cut_mid_line": b'event: a\ndata: {"ok":1}\n\nevent: b\ndata: {"lo',
    "empty_data": b"event: ping\ndata:\n\n",
}


def sdk_events(chunks: list[bytes]) -> list[tuple[str | None, str]]:
    """What the SDK's decoder yields, less the events devagent's accumulator ignores anyway
    (no name and no data: an ``id:`` or ``retry:`` alone)."""
    events = SSEDecoder().iter_bytes(iter(chunks))
    return [(e.event, e.data) for e in events if e.event is not None or e.data]


def chunkings(raw: bytes) -> list[list[bytes]]:
    """The whole stream; every single split point; one byte at a time; random cuts."""
    found = [[raw], [bytes([b]) for b in raw]]
    found += [[raw[:i], raw[i:]] for i in range(1, len(raw))]
    rng = random.Random(len(raw))
    for _ in range(20):
        cuts = sorted(rng.sample(range(1, len(raw)), min(5, len(raw) - 1)))
        found.append([raw[a:b] for a, b in itertools.pairwise([0, *cuts, len(raw)])])
    return found


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_the_decoder_yields_what_the_sdks_yields_however_the_stream_is_cut(name: str) -> None:
    raw = STREAMS[name]
    whole = sdk_events([raw])
    assert whole
    for chunks in chunkings(raw):
        assert list(sse_events(iter(chunks))) == sdk_events(chunks) == whole


def test_an_event_cut_off_before_its_blank_line_is_never_dispatched() -> None:
    assert list(sse_events(iter([STREAMS["cut_mid_line"]]))) == [("a", '{"ok":1}')]


@pytest.mark.parametrize(
    "value",
    [
        "anthropic-beta: a,b",
        "anthropic-beta: a\nX-Team:  platform  \n",
        "no colon here\nX-One: 1\n\n: empty name\nX-Two:two:parts",
        "",
    ],
)
def test_custom_headers_are_read_as_the_sdk_reads_them(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_CUSTOM_HEADERS", value)
    client = anthropic.Anthropic(api_key="k", base_url="http://127.0.0.1:9")
    sdk = {k: v for k, v in client.default_headers.items() if k in client._custom_headers}
    ours = custom_headers({"ANTHROPIC_CUSTOM_HEADERS": value})
    assert ours == sdk
    if "X-Team" in value:
        assert ours["X-Team"] == "platform"


def test_warm_builds_the_shared_client_and_sends_nothing(fake_api: FakeAPI) -> None:
    model = AnthropicNativeModel("claude-sonnet-4-5", api_key="k", base_url=fake_api.base_url)
    assert isinstance(model, Warmable)
    model.warm()
    assert fake_api.requests == []
    client = shared_client()
    fake_api.enqueue(text_reply("warm"))
    reply = model.stream(ModelRequest("s", [{"role": "user", "content": "hi"}]), lambda _e: None)
    assert reply.text() == "warm" and shared_client() is client


def test_a_cloud_model_warms_by_importing_the_sdk_and_builds_no_client() -> None:
    """Bedrock/Vertex go through the SDK: warming imports it (the 1.5 s a first request would
    wait for) but builds no client, which could look for credentials over the network."""
    code = (
        "import sys\n"
        "from devagent.llm.cloud import make_cloud_model\n"
        "model = make_cloud_model('bedrock', 'claude-opus-5-5', {'AWS_REGION': 'us-east-1'})\n"
        "before = 'anthropic' in sys.modules\n"
        "model.warm()\n"
        "print(before, 'anthropic' in sys.modules, model.inner._client is None)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True", "True"]


def test_a_named_model_with_nothing_to_warm_warms_nothing() -> None:
    inner = ScriptedModel([])
    model = NamedModel("local:m", None, inner)
    assert isinstance(model, Warmable) and not isinstance(inner, Warmable)
    model.warm()
    inner.assert_consumed()
