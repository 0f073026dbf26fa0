"""Translation between devagent's block-shaped history and Chat Completions messages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devagent.llm.openai_messages import (
    CUT_OFF,
    MOVED_IMAGE_NOTE,
    NO_IMAGES_NOTE,
    CallDraft,
    assistant_blocks,
    assistant_message,
    chat_messages,
    parse_arguments,
    reply_blocks,
    request_body,
    stop_reason,
    tools_param,
    user_messages,
)
from devagent.messages import Block, Message, ModelRequest, ToolSpec, tool_result_block
from fakes.fake_openai import chat_request_problems

PNG = {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}
IMAGE: Block = {"type": "image", "source": PNG}
PNG_URL = "data:image/png;base64,iVBORw0KGgo="


def test_tool_specs_become_functions() -> None:
    schema = {"type": "object", "properties": {"path": {"type": "string"}}}
    assert tools_param([ToolSpec("LS", "List a directory.", schema)]) == [
        {
            "type": "function",
            "function": {"name": "LS", "description": "List a directory.", "parameters": schema},
        }
    ]


def test_system_prompt_comes_first_and_only_when_given() -> None:
    history: list[Message] = [{"role": "user", "content": "hi"}]
    assert chat_messages("be brief", history)[0] == {"role": "system", "content": "be brief"}
    assert chat_messages("", history) == [{"role": "user", "content": "hi"}]


def test_request_body_options() -> None:
    request = ModelRequest("s", [{"role": "user", "content": "hi"}], [], 500)
    body = request_body("m", request, include_usage=False, max_tokens_field="max_completion_tokens")
    assert body == {
        "model": "m",
        "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}],
        "stream": True,
        "max_completion_tokens": 500,
    }


def test_assistant_text_and_calls_without_thinking_or_cache_marks() -> None:
    content = [
        {"type": "thinking", "thinking": "secret plan", "signature": "sig"},
        {"type": "redacted_thinking", "data": "xyz"},
        {"type": "text", "text": "Looking."},
        {
            "type": "tool_use",
            "id": "toolu_1",
            "name": "Read",
            "input": {"file_path": "é.py"},
            "cache_control": {"type": "ephemeral"},
        },
    ]
    message = assistant_message(content)
    assert message == {
        "role": "assistant",
        "content": "Looking.",
        "tool_calls": [
            {
                "id": "toolu_1",
                "type": "function",
                "function": {"name": "Read", "arguments": '{"file_path": "é.py"}'},
            }
        ],
    }
    assert "secret plan" not in json.dumps(message) and "xyz" not in json.dumps(message)


def test_an_assistant_message_with_only_calls_has_null_content() -> None:
    message = assistant_message([{"type": "tool_use", "id": "c", "name": "LS", "input": {}}])
    assert message["content"] is None and message["tool_calls"][0]["function"]["arguments"] == "{}"
    assert assistant_message("plain") == {"role": "assistant", "content": "plain"}


def test_tool_results_become_tool_messages_then_the_rest_a_user_message() -> None:
    content = [
        tool_result_block("c1", "file text"),
        {
            "type": "tool_result",
            "tool_use_id": "c2",
            "content": [{"type": "text", "text": "line one"}, {"type": "text", "text": "two"}],
            "is_error": True,
            "cache_control": {"type": "ephemeral"},
        },
        {"type": "text", "text": "Also, be quick."},
    ]
    assert user_messages(content) == [
        {"role": "tool", "tool_call_id": "c1", "content": "file text"},
        {"role": "tool", "tool_call_id": "c2", "content": "Error: line one\ntwo"},
        {"role": "user", "content": "Also, be quick."},
    ]


def test_user_text_blocks_are_sent_as_one_string() -> None:
    content = [{"type": "text", "text": "first"}, {"type": "text", "text": "second"}]
    assert user_messages(content) == [{"role": "user", "content": "first\n\nsecond"}]


def test_user_images_become_data_urls() -> None:
    url_image = {"type": "image", "source": {"type": "url", "url": "https://x.test/a.png"}}
    content = [{"type": "text", "text": "What is this?"}, IMAGE, url_image]
    [message] = user_messages(content)
    assert message["content"] == [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": PNG_URL}},
        {"type": "image_url", "image_url": {"url": "https://x.test/a.png"}},
    ]


def test_an_image_in_a_tool_result_moves_to_the_next_user_message() -> None:
    content = [
        {
            "type": "tool_result",
            "tool_use_id": "c1",
            "content": [{"type": "text", "text": "screenshot taken"}, IMAGE],
        },
        tool_result_block("c2", "done"),
        {"type": "text", "text": "Compare them."},
    ]
    assert user_messages(content) == [
        {"role": "tool", "tool_call_id": "c1", "content": f"screenshot taken\n{MOVED_IMAGE_NOTE}"},
        {"role": "tool", "tool_call_id": "c2", "content": "done"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Image(s) from the result of tool call c1:"},
                {"type": "image_url", "image_url": {"url": PNG_URL}},
                {"type": "text", "text": "Compare them."},
            ],
        },
    ]


def test_without_image_input_images_become_notes() -> None:
    content = [
        {"type": "tool_result", "tool_use_id": "c1", "content": [IMAGE]},
        IMAGE,
    ]
    assert user_messages(content, images=False) == [
        {"role": "tool", "tool_call_id": "c1", "content": NO_IMAGES_NOTE},
        {"role": "user", "content": NO_IMAGES_NOTE},
    ]


def test_a_whole_history_passes_the_strict_checker() -> None:
    history: list[Message] = [
        {"role": "user", "content": "Fix app.py"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "hm", "signature": "s"},
                {"type": "tool_use", "id": "a", "name": "Read", "input": {"file_path": "app.py"}},
                {"type": "tool_use", "id": "b", "name": "LS", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                tool_result_block("a", "x = 1"),
                {"type": "tool_result", "tool_use_id": "b", "content": [IMAGE]},
            ],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "Done."}]},
        {"role": "user", "content": [{"type": "text", "text": "thanks"}, IMAGE]},
    ]
    body = request_body("m", ModelRequest("sys", history, [ToolSpec("LS", "", {})]))
    assert chat_request_problems(body) == []
    assert [m["role"] for m in body["messages"]] == [
        "system",
        "user",
        "assistant",
        "tool",
        "tool",
        "user",
        "assistant",
        "user",
    ]


@pytest.mark.parametrize(
    "content",
    [
        [{"type": "text", "text": "Just text."}],
        [{"type": "tool_use", "id": "c1", "name": "LS", "input": {"path": "."}}],
        [
            {"type": "text", "text": "Two calls: ✓"},
            {"type": "tool_use", "id": "c1", "name": "Read", "input": {"file_path": "a"}},
            {"type": "tool_use", "id": "c2", "name": "Grep", "input": {"pattern": "x", "-n": True}},
        ],
    ],
)
def test_assistant_messages_round_trip(content: list[Block]) -> None:
    wire = json.loads(json.dumps(assistant_message(content)))
    assert assistant_blocks(wire) == (content, {})


def test_reply_blocks_keep_ids_unique_and_present() -> None:
    drafts = [
        CallDraft("c1", "LS", ['{"path":', ' "a"}']),
        CallDraft("c1", "LS", ['{"path": "b"}']),
        CallDraft("", "LS", [""]),
    ]
    content, errors = reply_blocks("", drafts)
    ids = [b["id"] for b in content]
    assert ids[0] == "c1" and len(set(ids)) == 3 and all(ids) and errors == {}
    assert [b["input"] for b in content] == [{"path": "a"}, {"path": "b"}, {}]


@pytest.mark.parametrize(
    ("raw", "cut_off", "expected"),
    [
        ('{"a": 1}', False, ({"a": 1}, None)),
        ("  ", False, ({}, None)),
        ("[1, 2]", False, ({}, "tool input must be a JSON object, got: [1, 2]")),
        ('{"a": oops}', True, ({}, CUT_OFF)),
    ],
)
def test_parse_arguments(raw: str, cut_off: bool, expected: tuple[dict[str, Any], str]) -> None:
    assert parse_arguments(raw, cut_off) == expected


def test_invalid_arguments_name_the_problem_and_the_text() -> None:
    parsed, problem = parse_arguments('{"command": oops}')
    assert parsed == {} and problem is not None
    assert problem.startswith("invalid tool input JSON (Expecting value at char 12)")
    assert problem.endswith('{"command": oops}')


def test_stop_reasons() -> None:
    assert stop_reason("stop", False) == "end_turn"
    assert stop_reason("stop", True) == "tool_use"
    assert stop_reason("tool_calls", True) == "tool_use"
    assert stop_reason("length", True) == "max_tokens"
    assert stop_reason("content_filter", False) == "refusal"
    assert stop_reason("something_new", False) == "end_turn"
