"""Compaction: when it triggers, where it splits, what the new context keeps, and how a
compacted transcript loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devagent import session
from devagent.compaction import (
    ACK,
    MARKER,
    SUMMARY_PROMPT,
    compact,
    context_window,
    find_split,
    find_turn_split,
    message_text,
    needs_compaction,
    original_instructions,
)
from devagent.events import Event
from devagent.llm.scripted import ScriptedModel, text_reply
from devagent.messages import Message, ModelRequest, ToolSpec, Usage, is_prompt

FIRST = "Port the parser to Rust. Never touch the tests/ folder."
TOOLS = [ToolSpec("Read", "read a file", {"type": "object"})]


def user(text: str) -> Message:
    return {"role": "user", "content": text}


def turn(n: int, tools: int = 2) -> list[Message]:
    """One exchange: a prompt, ``tools`` tool round trips, a final answer."""
    messages = [user(f"request {n}")]
    for k in range(tools):
        tid = f"toolu_{n}_{k}"
        messages.append(
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": tid, "name": "Read", "input": {}}],
            }
        )
        messages.append(
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": tid, "content": "x" * 500}],
            }
        )
    messages.append({"role": "assistant", "content": [{"type": "text", "text": f"done {n}"}]})
    return messages


def history(turns: int) -> list[Message]:
    messages = [user(FIRST), {"role": "assistant", "content": [{"type": "text", "text": "ok"}]}]
    for n in range(turns):
        messages += turn(n)
    return messages


def all_tool_uses_answered(messages: list[Message]) -> bool:
    for i, message in enumerate(messages):
        content = message.get("content")
        if message["role"] != "assistant" or not isinstance(content, list):
            continue
        ids = {b["id"] for b in content if b.get("type") == "tool_use"}
        if not ids:
            continue
        if i + 1 >= len(messages):
            return False
        following = messages[i + 1].get("content")
        answered = (
            {b.get("tool_use_id") for b in following} if isinstance(following, list) else set()
        )
        if not ids <= answered:
            return False
    return True


@pytest.mark.parametrize(
    ("model", "window"),
    [
        ("claude-sonnet-5-5", 1_000_000),
        ("claude-opus-5", 1_000_000),
        ("claude-haiku-5-5", 1_000_000),
        ("claude-sonnet-4-5", 200_000),
        ("claude-opus-4-1", 200_000),
        ("some-other-model", 200_000),
    ],
)
def test_context_window_by_model_family(model: str, window: int) -> None:
    assert context_window(model) == window


def test_threshold_counts_cached_input_too() -> None:
    assert not needs_compaction(Usage(input_tokens=140_000), "claude-sonnet-4-5")
    assert needs_compaction(Usage(input_tokens=151_000), "claude-sonnet-4-5")
    cached = Usage(input_tokens=1_000, cache_read_input_tokens=150_000)
    assert needs_compaction(cached, "claude-sonnet-4-5")
    assert not needs_compaction(cached, "claude-sonnet-5-5")


@pytest.mark.parametrize("keep", [0.0, 0.1, 0.3, 0.6, 0.95])
def test_split_is_always_before_user_text_and_keeps_pairs_together(keep: float) -> None:
    messages = history(6)
    split = find_split(messages, keep)
    assert split is not None
    assert split == len(messages) or is_prompt(messages[split])
    assert all_tool_uses_answered(messages[:split])
    assert all_tool_uses_answered(messages[split:])


def test_split_mid_turn_keeps_the_running_turn() -> None:
    messages = history(3)[:-1]  # the last turn still waits on its final answer
    split = find_split(messages, 0.0)
    assert split is not None and messages[split] == user("request 2")


def test_no_split_when_only_one_unfinished_turn() -> None:
    assert find_split(turn(0)[:-1], 0.3) is None


def test_one_long_turn_is_cut_inside_it_after_a_whole_tool_round() -> None:
    running = turn(0, tools=6)[:-1]  # one prompt and six tool rounds, no answer yet
    assert find_split(running, 0.3) is None
    split = find_turn_split(running, 0.3)
    assert split is not None and split >= 3
    assert running[split]["role"] == "assistant" and not is_prompt(running[split - 1])
    assert find_turn_split(turn(0, tools=1)[:-1]) is None  # nothing before the only round


def scripted(summary: str, usage: Usage | None = None) -> ScriptedModel:
    return ScriptedModel([text_reply(summary, usage=usage or Usage(900, 120))])


def run_compact(messages: list[Message], model: ScriptedModel, **kw: Any) -> list[Message]:
    events: list[Event] = []
    done = compact(messages, model, system="SYSTEM", tools=TOOLS, emit=events.append, **kw)
    assert done is not None
    model.assert_consumed()
    return done.messages


def test_compaction_summarises_the_old_part_and_keeps_recent_turns_verbatim() -> None:
    messages = history(6)
    model = scripted("Parser half ported; lexer done.")
    result = run_compact(messages, model, focus="the lexer")

    request: ModelRequest = model.requests[0]
    split = find_split(messages, 0.3)
    assert split is not None
    assert request.system == "SYSTEM" and request.tools == TOOLS
    assert request.messages[:split] == messages[:split]
    ask = message_text(request.messages[-1])
    assert SUMMARY_PROMPT in ask and "focus on: the lexer" in ask
    opening = message_text(result[0])
    assert opening.startswith(MARKER)
    assert FIRST in opening and "Parser half ported; lexer done." in opening
    assert message_text(result[1]) == ACK
    assert result[2:] == messages[split:]
    assert all_tool_uses_answered(result)


def test_a_long_turn_compacts_into_the_summary_and_its_latest_rounds() -> None:
    running = turn(0, tools=6)[:-1]
    split = find_turn_split(running, 0.3)
    assert split is not None
    result = run_compact(running, scripted("Five files read so far."))
    opening = message_text(result[0])
    assert opening.startswith(MARKER) and "request 0" in opening
    assert result[1:] == running[split:]  # no acknowledgement: the kept reply follows
    assert [m["role"] for m in result[:3]] == ["user", "assistant", "user"]
    assert all_tool_uses_answered(result)


def test_original_instructions_survive_repeated_compaction() -> None:
    messages = history(4)
    for round_ in range(3):
        messages = run_compact(messages, scripted(f"summary {round_}"), keep_ratio=0.0)
        messages += turn(10 + round_)
        assert original_instructions(messages) == FIRST
    assert "summary 2" in message_text(messages[0])
    assert "summary 1" not in message_text(messages[0])


def test_a_compacted_transcript_resumes_as_summary_plus_later_turns(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    transcript = session.Transcript(path, {"session_id": "s"})
    messages = history(3)
    for message in messages:
        transcript.message(message)
    compacted = run_compact(messages, scripted("the story so far"), keep_ratio=0.0)
    transcript.append({"type": "compaction", "summary": "the story so far", "messages": compacted})
    later = turn(7)
    for message in later:
        transcript.message(message)
    transcript.close()

    loaded = session.load(path)

    assert loaded.messages == [*compacted, *later]
    assert original_instructions(loaded.messages) == FIRST
