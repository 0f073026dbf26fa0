"""Replies holding the blocks the API's server-side web search streams, for the fake API.

Each ``Streamed`` block is what the whole block is (``full``, as a non-streaming reply would
hold it) and how it streams (``start`` in ``content_block_start``, then ``deltas``):

- ``search_call``: a ``server_tool_use`` whose input arrives as ``input_json_delta`` pieces;
- ``search_results``: a ``web_search_tool_result`` (hits with ``encrypted_content``, or a
  ``web_search_tool_result_error``) that arrives whole in its start event;
- ``cited_text``: text whose ``citations`` arrive as ``citations_delta`` events.

``web_search_reply(...)`` turns blocks into a ``RawStream`` with usage that reports the
searches (``usage.server_tool_use.web_search_requests``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fakes.fake_api import RawStream, new_message_id, split_evenly

Json = dict[str, Any]


@dataclass(frozen=True)
class Streamed:
    full: Json
    start: Json
    deltas: list[Json] = field(default_factory=list)


def search_call(query: str, id: str = "srvtoolu_01WebSearchCall0000000001") -> Streamed:
    full = {"type": "server_tool_use", "id": id, "name": "web_search", "input": {"query": query}}
    raw = json.dumps({"query": query})
    deltas = [{"type": "input_json_delta", "partial_json": p} for p in ["", *split_evenly(raw, 3)]]
    return Streamed(full, {**full, "input": {}}, deltas)


def hit(title: str, url: str, age: str | None = "2 days ago") -> Json:
    found: Json = {
        "type": "web_search_result",
        "title": title,
        "url": url,
        "encrypted_content": "EqgfCioIARgBIiQ3YTAwMjY1Mi1mZjM5LTQ1NGUtODgxNC1kNjNjNTk1ZWI3Y2U+Q==",
        "page_age": age,
    }
    return found


def search_results(
    hits: Sequence[Json], tool_use_id: str = "srvtoolu_01WebSearchCall0000000001"
) -> Streamed:
    full = {"type": "web_search_tool_result", "tool_use_id": tool_use_id, "content": list(hits)}
    return Streamed(full, full)


def search_error(code: str, tool_use_id: str = "srvtoolu_01WebSearchCall0000000001") -> Streamed:
    content = {"type": "web_search_tool_result_error", "error_code": code}
    full = {"type": "web_search_tool_result", "tool_use_id": tool_use_id, "content": content}
    return Streamed(full, full)


def citation(title: str, url: str, cited: str) -> Json:
    return {
        "type": "web_search_result_location",
        "cited_text": cited,
        "url": url,
        "title": title,
        "encrypted_index": "Eo8BCioIAhgBIiQyYjQ0OWJmZi1lNm==",
    }


def cited_text(text: str, citations: Sequence[Json] = ()) -> Streamed:
    full: Json = {"type": "text", "text": text}
    if citations:
        full["citations"] = list(citations)
    deltas: list[Json] = [{"type": "text_delta", "text": part} for part in split_evenly(text, 2)]
    deltas.extend({"type": "citations_delta", "citation": c} for c in citations)
    return Streamed(full, {"type": "text", "text": ""}, deltas)


def web_search_reply(
    blocks: Sequence[Streamed],
    *,
    searches: int = 1,
    stop_reason: str = "end_turn",
    model: str = "claude-haiku-5-5",
) -> RawStream:
    message: Json = {
        "id": new_message_id(),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 1000, "output_tokens": 1},
    }
    events: list[tuple[str, Json]] = [
        ("message_start", {"type": "message_start", "message": message})
    ]
    for index, block in enumerate(blocks):
        start = {"type": "content_block_start", "index": index, "content_block": block.start}
        events.append(("content_block_start", start))
        for delta in block.deltas:
            data = {"type": "content_block_delta", "index": index, "delta": delta}
            events.append(("content_block_delta", data))
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    usage = {
        "input_tokens": 1000,
        "output_tokens": 200,
        "server_tool_use": {"web_search_requests": searches},
    }
    delta = {"stop_reason": stop_reason, "stop_sequence": None}
    events.append(("message_delta", {"type": "message_delta", "delta": delta, "usage": usage}))
    events.append(("message_stop", {"type": "message_stop"}))
    return RawStream(events)
