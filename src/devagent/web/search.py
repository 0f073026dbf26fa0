"""WebSearch: a nested request offering the API's server-side web search tool, and its reply.

The request offers ``web_search`` (type ``web_search_20250305``) with at most ``MAX_SEARCHES``
uses and the caller's ``allowed_domains`` or ``blocked_domains``. The API runs the searches
itself; its reply holds ``server_tool_use`` blocks (the queries), ``web_search_tool_result``
blocks (hits: title, URL, encrypted content; or a ``web_search_tool_result_error``) and text
whose ``citations`` point at the hits. A reply that stops with ``pause_turn`` is sent back as
it is so the API carries on, at most ``MAX_CONTINUATIONS`` times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from devagent.messages import Block, Message, ModelRequest
from devagent.web import WebError
from devagent.web.nested import Ask

SEARCH_TOOL_TYPE = "web_search_20250305"
MAX_SEARCHES = 5
MAX_CONTINUATIONS = 3
ANSWER_TOKENS = 4096
SEARCH_SYSTEM = (
    "You search the web for another assistant. Use the web_search tool to find current, "
    "reliable sources for the query, then write a short summary of what they say, citing "
    "them. Do not answer from memory."
)
ERROR_MEANINGS = {
    "too_many_requests": "the search service is rate limited; try again later",
    "invalid_input": "the search query was not valid; rephrase it",
    "max_uses_exceeded": "more searches were needed than one call allows",
    "query_too_long": "the query is too long; shorten it",
    "unavailable": "the search service is unavailable; try again later",
}


@dataclass(frozen=True)
class Hit:
    title: str
    url: str
    page_age: str | None = None


@dataclass
class SearchOutcome:
    """What the searches found: hits in order, the cited summary (``[n]`` marks refer to
    ``hits``), the queries run, and the error codes reported."""

    hits: list[Hit] = field(default_factory=list)
    summary: str = ""
    queries: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def number_of(self, url: str, title: str) -> int:
        """The 1-based number of the hit at ``url``, added if a citation names a new one."""
        for number, hit in enumerate(self.hits, start=1):
            if hit.url == url:
                return number
        self.hits.append(Hit(title or url, url))
        return len(self.hits)


def search_tool(allowed: Sequence[str], blocked: Sequence[str]) -> dict[str, Any]:
    """The server tool's definition, with the domain filters that were given."""
    tool: dict[str, Any] = {
        "type": SEARCH_TOOL_TYPE,
        "name": "web_search",
        "max_uses": MAX_SEARCHES,
    }
    if allowed:
        tool["allowed_domains"] = list(allowed)
    if blocked:
        tool["blocked_domains"] = list(blocked)
    return tool


def search_request(query: str, allowed: Sequence[str], blocked: Sequence[str]) -> ModelRequest:
    message: Message = {"role": "user", "content": f"Search the web for: {query}"}
    return ModelRequest(
        SEARCH_SYSTEM,
        [message],
        max_tokens=ANSWER_TOKENS,
        server_tools=[search_tool(allowed, blocked)],
        cache=False,
    )


def run_search(
    ask: Ask, query: str, allowed: Sequence[str] = (), blocked: Sequence[str] = ()
) -> SearchOutcome:
    """Search (continuing a paused turn) and read what came back."""
    request = search_request(query, allowed, blocked)
    content: list[Block] = []
    for _ in range(MAX_CONTINUATIONS + 1):
        reply = ask(request)
        content.extend(reply.content)
        if reply.stop_reason != "pause_turn":
            break
        request.messages = [*request.messages, reply.as_message()]
    return read_reply(content)


def read_reply(content: Sequence[Block]) -> SearchOutcome:
    """The hits, queries, errors and cited summary in a reply's blocks."""
    outcome = SearchOutcome()
    parts: list[str] = []
    for block in content:
        kind = block.get("type")
        if kind == "server_tool_use":
            query = _object(block.get("input")).get("query")
            if isinstance(query, str):
                outcome.queries.append(query)
        elif kind == "web_search_tool_result":
            _read_results(block.get("content"), outcome)
        elif kind == "text":
            parts.append(_cited_text(block, outcome))
    outcome.summary = "".join(parts).strip()
    return outcome


def _read_results(content: object, outcome: SearchOutcome) -> None:
    if isinstance(content, dict):
        code = content.get("error_code")
        outcome.errors.append(str(code) if code else "unknown_error")
        return
    if not isinstance(content, list):
        return
    for item in content:
        if isinstance(item, dict) and item.get("type") == "web_search_result":
            url = str(item.get("url", ""))
            if url and all(hit.url != url for hit in outcome.hits):
                age = item.get("page_age")
                title = str(item.get("title") or url)
                outcome.hits.append(Hit(title, url, age if isinstance(age, str) else None))


def _cited_text(block: Block, outcome: SearchOutcome) -> str:
    text = str(block.get("text", ""))
    citations = block.get("citations")
    if not isinstance(citations, list) or not citations:
        return text
    numbers: list[int] = []
    for citation in citations:
        url = _object(citation).get("url")
        if isinstance(url, str) and url:
            number = outcome.number_of(url, str(_object(citation).get("title") or ""))
            if number not in numbers:
                numbers.append(number)
    if not numbers:
        return text
    body = text.rstrip()
    marks = "".join(f"[{n}]" for n in numbers)
    return f"{body} {marks}{text[len(body) :]}"


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def format_outcome(query: str, outcome: SearchOutcome) -> str:
    """The text the model gets: numbered hits (title, URL), then the cited summary."""
    if not outcome.hits and outcome.errors:
        raise WebError(f"The web search for {query!r} failed: {_error_text(outcome.errors)}.")
    lines = [f'Web search results for "{query}":', ""]
    if not outcome.hits:
        lines.append("No results were found.")
    for number, hit in enumerate(outcome.hits, start=1):
        age = f" ({hit.page_age})" if hit.page_age else ""
        lines.extend([f"{number}. {hit.title}{age}", f"   {hit.url}"])
    if outcome.summary:
        lines.extend(["", "Summary ([n] cites result n):", outcome.summary])
    if outcome.errors:
        lines.extend(["", f"Note: a search failed: {_error_text(outcome.errors)}."])
    lines.extend(["", "Cite the URLs you use from these results in your answer."])
    return "\n".join(lines)


def _error_text(codes: Sequence[str]) -> str:
    return "; ".join(
        f"{c} ({ERROR_MEANINGS.get(c, 'unknown error')})" for c in dict.fromkeys(codes)
    )
