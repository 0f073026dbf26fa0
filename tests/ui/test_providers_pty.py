"""The real `devagent chat` in a terminal (tmux) with other providers: a Read → Edit → answer
loop through a fake Chat Completions server, ``/model ollama:…`` mid-chat, and the first run
without a key that offers a local Ollama server's models."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.fake_api import FakeAPI, JSONResponse, text_reply
from fakes.fake_openai import FakeOpenAI, call, chat_reply, tool_calls_reply
from ui.repl_harness import Tmux, at_prompt

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "app.py").write_bytes(b"VERSION = 1\nNAME = 'demo'\n")
    return root


@pytest.fixture
def terms() -> Iterator[list[Tmux]]:
    started: list[Tmux] = []
    yield started
    for term in started:
        term.kill()


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake
        fake.assert_all_consumed()


def start(terms: list[Tmux], env: dict[str, str], cwd: Path, *args: str) -> Tmux:
    folder = cwd.parent / f"term-{len(terms)}"
    folder.mkdir()
    term = Tmux(folder)
    terms.append(term)
    term.start([sys.executable, "-m", "devagent", *args], env, cwd)
    return term


def asking(screen: str) -> bool:
    lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
    return bool(lines) and lines[-1].startswith("Allow ") and lines[-1].endswith("[y/a/n]")


def test_read_edit_answer_through_ollama_in_chat(
    devagent_env: dict[str, str], fake_openai: FakeOpenAI, repo: Path, terms: list[Tmux]
) -> None:
    edit = {"file_path": "app.py", "old_string": "VERSION = 1", "new_string": "VERSION = 2"}
    fake_openai.enqueue(
        tool_calls_reply(call("Read", {"file_path": "app.py"}, chunks=4)),
        tool_calls_reply(call("Edit", edit, chunks=6)),
        chat_reply("Bumped the version to 2."),
    )
    env = {**devagent_env, "OLLAMA_HOST": fake_openai.base_url}
    term = start(terms, env, repo, "chat", "--model", "ollama:qwen3-coder")
    screen = term.wait_for(at_prompt, what="the first prompt")
    assert "ollama:qwen3-coder" in screen
    term.line("bump the version")
    term.wait_for(lambda s: re.search(r"\+ ?VERSION = 2", s) is not None, what="the diff")
    term.wait_for(asking, what="the approval question")
    term.type("y")
    screen = term.wait_for("Bumped the version to 2.")
    term.wait_for(at_prompt)
    assert (repo / "app.py").read_bytes() == b"VERSION = 2\nNAME = 'demo'\n"
    assert {r.model for r in fake_openai.requests} == {"qwen3-coder"}
    term.line("/cost")
    screen = term.wait_for("Cost unknown")
    assert "$0.0000" not in screen


def test_model_switch_to_ollama_mid_chat(
    devagent_env: dict[str, str],
    fake_api: FakeAPI,
    fake_openai: FakeOpenAI,
    repo: Path,
    terms: list[Tmux],
) -> None:
    fake_api.enqueue(text_reply("Claude here."))
    fake_openai.enqueue(chat_reply("Qwen here."))
    env = {**devagent_env, "OLLAMA_HOST": fake_openai.base_url}
    term = start(terms, env, repo)
    term.wait_for(at_prompt, what="the first prompt")
    term.line("who are you?")
    term.wait_for("Claude here.")
    term.wait_for(at_prompt)
    term.line("/model olama:qwen3")
    term.wait_for("Unknown provider profile 'olama'")
    term.wait_for(at_prompt)
    term.line("/model ollama:qwen3")
    term.wait_for("Model: ollama:qwen3.")
    term.line("and now?")
    term.wait_for("Qwen here.")
    # The toolbar: Claude's part is priced, Qwen's is not.
    screen = term.wait_for(lambda s: at_prompt(s) and "+ unknown" in s, what="the cost")
    assert re.search(r"ollama:qwen3 · .*\$0\.\d{4} \+ unknown", screen)
    history = fake_openai.requests[0].messages
    assert [m["role"] for m in history] == ["system", "user", "assistant", "user"]
    assert history[2]["content"] == "Claude here."
    assert len(fake_api.requests) == 1


def test_first_run_without_a_key_offers_ollama_models(
    devagent_env: dict[str, str], fake_openai: FakeOpenAI, repo: Path, terms: list[Tmux]
) -> None:
    tags = {"models": [{"name": "llama3.2:latest"}, {"name": "qwen3-coder:30b"}]}
    fake_openai.enqueue(JSONResponse(tags), chat_reply("Hello from qwen."))
    env = {k: v for k, v in devagent_env.items() if k != "ANTHROPIC_API_KEY"}
    env["OLLAMA_HOST"] = fake_openai.base_url
    term = start(terms, env, repo)
    screen = term.wait_for("Use one? [1-2, or n to quit]", what="the offer")
    assert "an Ollama server answers at" in screen
    assert "1. llama3.2:latest" in screen and "2. qwen3-coder:30b" in screen
    term.line("2")
    screen = term.wait_for(at_prompt, what="the first prompt")
    assert "Using ollama:qwen3-coder:30b" in screen
    term.line("hi")
    term.wait_for("Hello from qwen.")
    assert fake_openai.requests[1].model == "qwen3-coder:30b"


def test_first_run_without_a_key_and_no_ollama_exits_2(
    devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    env = {k: v for k, v in devagent_env.items() if k != "ANTHROPIC_API_KEY"}
    term = start(terms, env, repo)  # OLLAMA_HOST is a closed port
    assert term.wait_exit() == 2
    screen = term.screen()
    assert "export ANTHROPIC_API_KEY=<your key>" in screen and "--model ollama:MODEL" in screen


def test_reasoning_shows_above_the_answer_and_is_not_sent_back(
    devagent_env: dict[str, str], fake_openai: FakeOpenAI, repo: Path, terms: list[Tmux]
) -> None:
    fake_openai.enqueue(
        chat_reply("The answer is 4.", reasoning="Two plus two.\nThat makes four."),
        chat_reply("Still 4."),
    )
    env = {**devagent_env, "OLLAMA_HOST": fake_openai.base_url}
    term = start(terms, env, repo, "chat", "--model", "ollama:qwen3")
    term.wait_for(at_prompt, what="the first prompt")
    term.line("what is 2+2?")
    screen = term.wait_for("The answer is 4.")
    lines = [line.strip() for line in screen.splitlines()]
    assert lines.index("Two plus two.") < lines.index("That makes four.")
    assert lines.index("That makes four.") < lines.index("The answer is 4.")
    term.wait_for(at_prompt)
    term.line("sure?")
    term.wait_for("Still 4.")
    sent = repr(fake_openai.requests[1].messages)
    assert "The answer is 4." in sent and "plus two" not in sent
