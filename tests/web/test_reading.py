"""Reading what came back: a page as text (HTML as Markdown, text and JSON as they are,
binaries refused), the page cache, the small model's request about a page, and a web
search's hits, citations and errors."""

from __future__ import annotations

import re

import pytest

from devagent.messages import AssistantReply, Block, ModelRequest, Usage
from devagent.web import WebError
from devagent.web.cache import PageCache
from devagent.web.convert import page_text
from devagent.web.fetch import Page
from devagent.web.nested import PAGE_END, PAGE_START, apply_prompt, page_request
from devagent.web.search import format_outcome, read_reply, run_search, search_request
from devagent.web.urls import parse_url
from web.blocks import citation, cited_text, hit, search_call, search_error, search_results

URL = parse_url("https://docs.example.com/guide/install")
HTML = """<!doctype html><html><head><title>Install guide</title>
<style>body { color: red }</style><script>track("visit")</script></head>
<body><nav><a href="/">Home</a></nav><main><h1>Installing</h1>
<p>Run <code>pip install thing</code>, then read <a href="../next">the next page</a>.</p>
<ul><li>Python 3.11+</li><li>pip</li></ul>
<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==" alt="diagram">
<table><tr><th>OS</th><th>Command</th></tr><tr><td>Linux</td><td>apt</td></tr></table>
</main></body></html>"""


def page(body: bytes, media: str = "text/html", charset: str | None = None) -> Page:
    return Page(URL, 200, media, charset, body)


def test_html_becomes_markdown_without_tags_scripts_or_inline_data() -> None:
    text = page_text(page(HTML.encode()))
    assert "# Installing" in text
    assert (
        "Run `pip install thing`, then read [the next page](https://docs.example.com/next)." in text
    )
    assert "- Python 3.11+" in text and re.search(r"\| Linux \| apt +\|", text)
    assert text.startswith("---\ntitle: Install guide\n---\n")
    assert "diagram" in text and "base64" not in text
    assert "track(" not in text and "color: red" not in text
    assert re.search(r"</?[a-z]+[ >]", text) is None


@pytest.mark.parametrize(
    ("media", "body"),
    [
        ("text/plain", b"plain words\n"),
        ("application/json", b'{"a": [1, 2]}'),
        ("application/vnd.api+json", b'{"data": {}}'),
        ("text/markdown", b"# Title\n"),
        ("application/xml", b"<a>b</a>"),
    ],
)
def test_text_and_json_pass_through(media: str, body: bytes) -> None:
    assert page_text(page(body, media)) == body.decode()


def test_charsets_are_honoured() -> None:
    assert page_text(page("café".encode("latin-1"), "text/plain", "iso-8859-1")) == "café"
    meta = b'<html><head><meta charset="iso-8859-1"></head><body><p>caf\xe9</p></body></html>'
    assert page_text(page(meta)) == "café"
    assert page_text(page(b"\xef\xbb\xbfbom", "text/plain")) == "bom"
    assert page_text(page(b"bad \xff byte", "text/plain")) == "bad \ufffd byte"


@pytest.mark.parametrize(
    ("media", "body", "said"),
    [
        ("application/pdf", b"%PDF-1.7 ...", "is a PDF"),
        ("image/png", b"\x89PNG\r\n\x1a\n....", "is image content (image/png)"),
        (
            "application/octet-stream",
            b"\x00\x01\x02",
            "is binary content (application/octet-stream)",
        ),
        ("", b"%PDF-1.4", "is a PDF"),
        ("", b"\x89PNG\r\n\x1a\nxxxx", "is image content (image/png)"),
        ("", b"\x00\x00\x00", "is binary content (application/octet-stream)"),
        ("text/plain", b"MZ\x00\x00\x90", "is binary content (text/plain holding binary data)"),
        ("application/zip", b"PK\x03\x04", "is binary content (application/zip)"),
    ],
)
def test_binaries_are_refused_clearly(media: str, body: bytes, said: str) -> None:
    with pytest.raises(WebError) as caught:
        page_text(page(body, media))
    assert str(caught.value) == (
        f"https://docs.example.com/guide/install {said}. WebFetch reads HTML, text and JSON "
        "pages only; look for an HTML or text version of it."
    )


def test_a_body_without_a_media_type_is_judged_by_its_bytes() -> None:
    assert page_text(page(b"<!DOCTYPE html><h1>Hi</h1>", "")) == "# Hi"
    assert page_text(page(b"just text", "")) == "just text"


def test_the_cache_keeps_pages_for_fifteen_minutes() -> None:
    now = [0.0]
    cache: PageCache[str] = PageCache(clock=lambda: now[0])
    cache.put("https://a.test/", "A")
    now[0] = 14 * 60
    assert cache.get("https://a.test/") == "A"
    assert cache.get("https://b.test/") is None
    now[0] = 15 * 60
    assert cache.get("https://a.test/") is None


def reply(*blocks: Block, stop: str = "end_turn", searches: int = 0) -> AssistantReply:
    usage = Usage(input_tokens=10, output_tokens=5, web_search_requests=searches)
    return AssistantReply(list(blocks), stop, usage, "claude-haiku-5-5")


def test_the_page_request_trims_to_the_budget_and_says_so() -> None:
    request = page_request("https://a.test/", "x" * 50, "What is it?", budget=20)
    assert not request.tools and not request.server_tools and request.cache is False
    content = request.messages[0]["content"]
    assert content == (
        f"The web page https://a.test/, as Markdown:\n{PAGE_START}\n{'x' * 20}\n{PAGE_END}\n"
        "[The page was cut here: its first 20 of 50 characters.]\n\nWhat is it?"
    )


def test_apply_prompt_returns_the_small_models_answer() -> None:
    asked: list[ModelRequest] = []

    def ask(request: ModelRequest) -> AssistantReply:
        asked.append(request)
        return reply({"type": "text", "text": " The answer. "})

    answer = apply_prompt(ask, "https://a.test/", "page text", "Summarise")
    assert (answer.text, answer.model, answer.trimmed) == ("The answer.", "claude-haiku-5-5", False)
    assert "page text" in asked[0].messages[0]["content"]


DOCS = "https://docs.python.org/3/whatsnew/3.14.html"
PEP = "https://peps.python.org/pep-0745/"
BLOG = "https://blog.python.org/2025/10/"


def search_blocks() -> list[Block]:
    return [
        search_call("python 3.14 release").full,
        search_results([hit("What's New In Python 3.14", DOCS), hit("PEP 745", PEP, None)]).full,
        cited_text(
            "Python 3.14 was released in October 2025", [citation("PEP 745", PEP, "Oct")]
        ).full,
        cited_text(
            ", with free threading.", [citation("Blog", BLOG, "ft"), citation("", DOCS, "x")]
        ).full,
    ]


def test_a_search_reply_becomes_hits_and_a_cited_summary() -> None:
    outcome = read_reply(search_blocks())
    assert outcome.queries == ["python 3.14 release"]
    assert format_outcome("python 3.14", outcome) == (
        'Web search results for "python 3.14":\n\n'
        f"1. What's New In Python 3.14 (2 days ago)\n   {DOCS}\n"
        f"2. PEP 745\n   {PEP}\n"
        f"3. Blog\n   {BLOG}\n\n"
        "Summary ([n] cites result n):\n"
        "Python 3.14 was released in October 2025 [2], with free threading. [3][1]\n\n"
        "Cite the URLs you use from these results in your answer."
    )


def test_a_failed_search_is_an_error_and_a_partial_one_a_note() -> None:
    failed = read_reply([search_call("q").full, search_error("too_many_requests").full])
    with pytest.raises(WebError, match=r"failed: too_many_requests \(the search service is rate"):
        format_outcome("q", failed)
    partial = read_reply([*search_blocks(), search_error("max_uses_exceeded").full])
    assert "Note: a search failed: max_uses_exceeded (more searches" in format_outcome("q", partial)
    empty = format_outcome("q", read_reply([search_call("q").full, search_results([]).full]))
    assert 'Web search results for "q":\n\nNo results were found.' in empty


def test_a_paused_search_is_sent_back_to_continue() -> None:
    asked: list[ModelRequest] = []
    first = reply(*search_blocks()[:2], stop="pause_turn", searches=1)

    def ask(request: ModelRequest) -> AssistantReply:
        asked.append(request)
        return first if len(asked) == 1 else reply(*search_blocks()[2:], searches=1)

    outcome = run_search(ask, "python 3.14", ["python.org"], [])
    assert len(asked) == 2
    assert asked[1].messages[-1] == {"role": "assistant", "content": search_blocks()[:2]}
    assert [h.url for h in outcome.hits] == [DOCS, PEP, BLOG]


def test_the_search_request_offers_the_server_tool_with_its_filters() -> None:
    request = search_request("q", ["docs.python.org"], [])
    assert request.server_tools == [
        {
            "type": "web_search_20250305",
            "name": "web_search",
            "max_uses": 5,
            "allowed_domains": ["docs.python.org"],
        }
    ]
    blocked = search_request("q", [], ["pinterest.com"]).server_tools[0]
    assert blocked["blocked_domains"] == ["pinterest.com"] and "allowed_domains" not in blocked
