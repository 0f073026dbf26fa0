"""Translation between devagent's history and OpenAI Chat Completions messages, both ways.

devagent keeps its conversation in the Messages API's block shape (``devagent.messages``);
OpenAI-compatible servers speak Chat Completions. Everything here is a pure function over
plain dicts, so the mapping is tested without a server:

- the system prompt becomes a first ``system`` message;
- tool specs become ``tools: [{"type": "function", "function": {name, description,
  parameters}}]``;
- an assistant message's text blocks become its ``content`` and its ``tool_use`` blocks its
  ``tool_calls`` (arguments as a JSON string); ``thinking``/``redacted_thinking`` blocks
  and every ``cache_control`` mark are not sent;
- a user message's ``tool_result`` blocks become ``role: tool`` messages (which must follow the
  assistant's ``tool_calls`` directly), then the rest of its content becomes one ``user``
  message; an error result is prefixed ``Error:`` because the format has no ``is_error``;
- images become ``image_url`` parts holding a data URL. A ``tool`` message can only carry
  text, so an image inside a tool_result is replaced there by a note and moved into the
  ``user`` message that follows the tool messages. With ``images=False`` (a model without
  image input) every image is replaced by a short text note instead.

The way back (``reply_blocks``, ``assistant_blocks``) turns a reply's text and tool calls into
``text`` and ``tool_use`` blocks; arguments that are not a JSON object are reported per call
id, as the Anthropic adapter does, and the block's ``input`` stays ``{}``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from devagent.messages import Block, Message, ModelRequest, ToolSpec

ChatMessage = dict[str, Any]

NOT_SENT = frozenset({"thinking", "redacted_thinking"})
NO_IMAGES_NOTE = "[image omitted: this model does not accept images]"
MOVED_IMAGE_NOTE = "[the image(s) of this result follow in the next user message]"
CUT_OFF = "the tool call was cut off before its input was complete (the reply hit max_tokens)"

FINISH_REASONS = {
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "length": "max_tokens",
    "content_filter": "refusal",
}


def tools_param(specs: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    """Tool specs as Chat Completions ``tools``."""
    return [
        {
            "type": "function",
            "function": {
                "name": spec.name,
                "description": spec.description,
                "parameters": spec.input_schema,
            },
        }
        for spec in specs
    ]


def request_body(
    model: str,
    request: ModelRequest,
    *,
    include_usage: bool = True,
    max_tokens_field: str = "max_tokens",
    images: bool = True,
) -> dict[str, Any]:
    """The streamed ``/chat/completions`` body for ``request``.

    ``max_tokens_field`` exists because OpenAI's reasoning models refuse ``max_tokens`` and
    want ``max_completion_tokens``, while many local servers know only the former.
    """
    body: dict[str, Any] = {
        "model": model,
        "messages": chat_messages(request.system, request.messages, images=images),
        "stream": True,
        max_tokens_field: request.max_tokens,
    }
    if include_usage:
        body["stream_options"] = {"include_usage": True}
    if request.tools:
        body["tools"] = tools_param(request.tools)
    return body


def chat_messages(
    system: str, messages: Iterable[Message], *, images: bool = True
) -> list[ChatMessage]:
    """The whole history as Chat Completions messages, system prompt first."""
    out: list[ChatMessage] = [{"role": "system", "content": system}] if system else []
    for message in messages:
        if message.get("role") == "assistant":
            out.append(assistant_message(message.get("content")))
        else:
            out.extend(user_messages(message.get("content"), images=images))
    return out


def _blocks(content: object) -> list[Block]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return [b for b in content if isinstance(b, dict)]
    return []


def assistant_message(content: object) -> ChatMessage:
    """One assistant message: text blocks joined as ``content``, tool_use blocks as calls."""
    blocks = _blocks(content)
    text = "\n\n".join(b.get("text", "") for b in blocks if b.get("type") == "text")
    calls = [_tool_call(b) for b in blocks if b.get("type") == "tool_use"]
    message: ChatMessage = {"role": "assistant"}
    if calls:
        # OpenAI's own replies carry null content beside tool calls; an empty string is
        # turned into an empty text block by some gateways, which upstream APIs reject.
        message["content"] = text or None
        message["tool_calls"] = calls
    else:
        message["content"] = text
    return message


def _tool_call(block: Block) -> dict[str, Any]:
    return {
        "id": block.get("id", ""),
        "type": "function",
        "function": {
            "name": block.get("name", ""),
            "arguments": json.dumps(block.get("input") or {}, ensure_ascii=False),
        },
    }


def user_messages(content: object, *, images: bool = True) -> list[ChatMessage]:
    """A user turn: its tool results as ``tool`` messages, then the rest as one ``user``."""
    tool_messages: list[ChatMessage] = []
    parts: list[dict[str, Any]] = []
    for block in _blocks(content):
        kind = block.get("type")
        if kind == "tool_result":
            message, moved = _tool_message(block, images)
            tool_messages.append(message)
            parts.extend(moved)
        elif kind not in NOT_SENT:
            parts.extend(_user_part(block, images))
    if parts:
        tool_messages.append({"role": "user", "content": _user_content(parts)})
    return tool_messages


def _user_content(parts: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """Plain text as a string (what every server accepts), parts only when images are in."""
    if all(part["type"] == "text" for part in parts):
        return "\n\n".join(part["text"] for part in parts)
    return parts


def _user_part(block: Block, images: bool) -> list[dict[str, Any]]:
    kind = block.get("type")
    if kind == "text":
        return [{"type": "text", "text": block.get("text", "")}]
    if kind == "image":
        return [_image_part(block) if images else _text_part(NO_IMAGES_NOTE)]
    if kind == "document":
        return [_text_part("[document omitted: this provider does not accept documents]")]
    # Other block types (server-tool results and the like) mean nothing to this API.
    return []


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _image_part(block: Block) -> dict[str, Any]:
    source = block.get("source") or {}
    if source.get("type") == "url":
        url = str(source.get("url", ""))
    else:
        url = f"data:{source.get('media_type', 'image/png')};base64,{source.get('data', '')}"
    return {"type": "image_url", "image_url": {"url": url}}


def _tool_message(block: Block, images: bool) -> tuple[ChatMessage, list[dict[str, Any]]]:
    """The ``tool`` message for one result, and the image parts to carry in a user message."""
    call_id = str(block.get("tool_use_id", ""))
    texts: list[str] = []
    moved: list[dict[str, Any]] = []
    for part in _blocks(block.get("content")):
        if part.get("type") == "text":
            texts.append(str(part.get("text", "")))
        elif part.get("type") == "image" and images:
            moved.append(_image_part(part))
        elif part.get("type") == "image":
            texts.append(NO_IMAGES_NOTE)
    if moved:
        texts.append(MOVED_IMAGE_NOTE)
        moved.insert(0, _text_part(f"Image(s) from the result of tool call {call_id}:"))
    text = "\n".join(texts)
    if block.get("is_error"):
        text = f"Error: {text}"
    return {"role": "tool", "tool_call_id": call_id, "content": text}, moved


# --------------------------------------------------------------------------- the way back


@dataclass
class CallDraft:
    """One tool call as it arrives: id and name once, arguments in fragments."""

    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


def reply_blocks(
    text: str, calls: Sequence[CallDraft], *, cut_off: bool = False
) -> tuple[list[Block], dict[str, str]]:
    """Blocks for a reply's text and tool calls, and why any call's input is unusable.

    ``cut_off`` (the reply hit max_tokens) words an unparseable input as truncated. Ids
    missing or repeated within the reply are replaced, so every tool_result pairs with
    exactly one call.
    """
    content: list[Block] = [{"type": "text", "text": text}] if text else []
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for call in calls:
        call_id = call.id if call.id and call.id not in seen else f"call_{uuid.uuid4().hex[:24]}"
        seen.add(call_id)
        parsed, problem = parse_arguments("".join(call.arguments), cut_off)
        content.append({"type": "tool_use", "id": call_id, "name": call.name, "input": parsed})
        if problem:
            errors[call_id] = problem
    return content, errors


def parse_arguments(raw: str, cut_off: bool = False) -> tuple[dict[str, Any], str | None]:
    """A call's arguments as an object, or ``{}`` and the reason they cannot be used."""
    if not raw.strip():
        return {}, None  # servers send "" for a call without arguments
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        if cut_off:
            return {}, CUT_OFF
        return {}, f"invalid tool input JSON ({exc.msg} at char {exc.pos}): {raw[:500]}"
    if not isinstance(value, dict):
        return {}, f"tool input must be a JSON object, got: {raw[:200]}"
    return value, None


def assistant_blocks(message: ChatMessage) -> tuple[list[Block], dict[str, str]]:
    """A complete Chat Completions assistant message back as blocks (see ``reply_blocks``)."""
    drafts = []
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            # Some servers send the object itself rather than its JSON text.
            arguments = json.dumps(arguments) if arguments is not None else ""
        drafts.append(CallDraft(call.get("id") or "", function.get("name") or "", [arguments]))
    content = message.get("content")
    return reply_blocks(content if isinstance(content, str) else "", drafts)


def stop_reason(finish_reason: str, has_tool_calls: bool) -> str:
    """The loop's stop reason for a ``finish_reason``.

    A reply that holds tool calls and finished normally is a tool turn even when the server
    says ``stop`` (some local servers do): the calls are complete because the server finished.
    Unknown reasons count as a normal finish.
    """
    mapped = FINISH_REASONS.get(finish_reason, "end_turn")
    if mapped == "end_turn" and has_tool_calls:
        return "tool_use"
    return mapped
