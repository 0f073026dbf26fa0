"""The no-key Ollama probe: a real local server, a closed port, a silent one, a stranger."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from conftest import DEAD_BASE_URL
from devagent.llm.ollama import ollama_url, probe_ollama
from fakes.fake_api import FakeAPI, JSONResponse


@pytest.fixture
def fake() -> Iterator[FakeAPI]:
    with FakeAPI() as server:
        yield server
        server.assert_all_consumed()


def test_an_ollama_server_and_its_models(fake: FakeAPI) -> None:
    fake.enqueue(JSONResponse({"models": [{"name": "qwen3-coder:30b"}, {"model": "phi4"}]}))
    server = probe_ollama({"OLLAMA_HOST": fake.base_url})
    assert server is not None
    assert server.url == fake.base_url and server.models == ("qwen3-coder:30b", "phi4")
    assert fake.requests[0].method == "GET" and fake.requests[0].path == "/api/tags"


def test_an_ollama_server_without_models(fake: FakeAPI) -> None:
    fake.enqueue(JSONResponse({"models": []}))
    server = probe_ollama({"OLLAMA_HOST": fake.base_url})
    assert server is not None and server.models == ()


@pytest.mark.parametrize(
    "answer",
    [JSONResponse({"data": []}), JSONResponse({"error": "nope"}, status=404), JSONResponse([])],
)
def test_a_server_that_is_not_ollama(fake: FakeAPI, answer: JSONResponse) -> None:
    fake.enqueue(answer)
    assert probe_ollama({"OLLAMA_HOST": fake.base_url}) is None


def test_a_closed_port() -> None:
    assert probe_ollama({"OLLAMA_HOST": DEAD_BASE_URL}) is None


def test_a_server_that_never_answers() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # connections queue up; nobody reads or answers
        port = listener.getsockname()[1]
        assert probe_ollama({"OLLAMA_HOST": f"127.0.0.1:{port}"}) is None


def test_the_default_address_is_ollamas() -> None:
    assert ollama_url({}) == "http://localhost:11434"
    assert ollama_url({"OLLAMA_HOST": "0.0.0.0"}) == "http://0.0.0.0:11434"
