"""WebFetch and WebSearch through the real CLI: the real SDK against the fake Messages API,
pages served over real HTTP from 127.0.0.1 (reachable only because a rule names that host),
and the nested requests to the small model checked in the fake API's record."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clirun import run
from devagent.config import cost_of
from devagent.messages import Usage as Counts
from devagent.web.nested import PAGE_END, PAGE_START
from fakes.fake_api import FakeAPI, RecordedRequest, Usage, text_reply, tool_call, tool_reply
from web.blocks import citation, cited_text, hit, search_call, search_results, web_search_reply
from web.pages import PageServer, Route

MAIN, SMALL = "claude-sonnet-5-5", "claude-haiku-5-5"
ALLOW_SITE = ["--allowed-tools", "WebFetch(domain:127.0.0.1)"]
HTML = """<!doctype html><html><head><title>Install</title><script>steal()</script></head>
<body><main><h1>Installing thing</h1><p>Run <code>pip install thing</code>.</p>
<p>See <a href="/guide/next">the next step</a>.</p></main></body></html>"""
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.fixture
def site() -> Iterator[PageServer]:
    with PageServer() as server:
        server.page("/guide", HTML)
        yield server


def one_shot(
    cmd: list[str], env: dict[str, str], cwd: Path, *flags: str, prompt: str = "go"
) -> dict[str, Any]:
    done = run(cmd, ["-p", prompt, "--output-format", "json", *flags], env, cwd, timeout=120)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def fetch(url: str, prompt: str = "How do I install it?") -> Any:
    return tool_call("WebFetch", {"url": url, "prompt": prompt})


def results(request: RecordedRequest) -> list[tuple[str, bool]]:
    """The tool results a request carries: (text, is_error)."""
    found = []
    for block in request.tool_results():
        content = block["content"]
        text = content if isinstance(content, str) else "".join(p["text"] for p in content)
        found.append((text, bool(block.get("is_error"))))
    return found


def page_in(request: RecordedRequest) -> str:
    text = request.last_user_text()
    start, end = text.index(PAGE_START) + len(PAGE_START), text.index(PAGE_END)
    return text[start:end]


def session_records(env: dict[str, str]) -> list[dict[str, Any]]:
    [path] = sorted(Path(env["DEVAGENT_HOME"]).glob("sessions/*/*.jsonl"))
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_html_reaches_the_small_model_as_markdown_with_the_prompt_and_is_charged(
    devagent_cmd: list[str],
    devagent_env: dict[str, str],
    repo: Path,
    fake_api: FakeAPI,
    site: PageServer,
) -> None:
    fake_api.enqueue(
        tool_reply(fetch(site.url("/guide")), usage=Usage(100, 10)),
        text_reply("Install it with pip install thing.", usage=Usage(1000, 50)),
        text_reply("Use pip.", usage=Usage(200, 20)),
    )
    result = one_shot(devagent_cmd, devagent_env, repo, *ALLOW_SITE)
    assert result["result"] == "Use pip."
    main, nested, main2 = fake_api.requests
    assert (main.model, nested.model, main2.model) == (MAIN, SMALL, MAIN)
    assert "WebFetch" in main.tool_names() and "WebSearch" in main.tool_names()
    assert nested.tools == [] and "cache_control" not in json.dumps(nested.json)
    page = page_in(nested)
    assert "# Installing thing" in page and "Run `pip install thing`." in page
    assert f"[the next step](http://127.0.0.1:{site.port}/guide/next)" in page
    assert re.search(r"</?[a-z]+[ >/]", page) is None and "steal()" not in page
    assert nested.last_user_text().endswith("\n\nHow do I install it?")
    assert results(main2) == [
        (
            "Install it with pip install thing.\n\n"
            f"[WebFetch http://127.0.0.1:{site.port}/guide: text/html, {len(HTML):,} bytes]",
            False,
        )
    ]
    assert site.paths == ["/guide"]
    spent = [Counts(100, 10), Counts(1000, 50), Counts(200, 20)]
    cost = sum(cost_of(model, u) for model, u in zip([MAIN, SMALL, MAIN], spent, strict=True))
    assert result["usage"]["input_tokens"] == 1300 and result["usage"]["output_tokens"] == 80
    assert result["total_cost_usd"] == pytest.approx(cost, abs=1e-6)
    logged = [r for r in session_records(devagent_env) if r["type"] == "usage"]
    assert sum(r["usage"]["input_tokens"] for r in logged) == 1300
    assert sum(r["cost_usd"] for r in logged) == pytest.approx(cost, abs=1e-6)


def test_a_same_host_redirect_is_followed_and_the_page_cached(
    devagent_cmd: list[str],
    devagent_env: dict[str, str],
    repo: Path,
    fake_api: FakeAPI,
    site: PageServer,
) -> None:
    site.redirect("/old", "/guide", 301)
    fake_api.enqueue(
        tool_reply(fetch(site.url("/old"))),
        text_reply("First answer."),
        tool_reply(fetch(site.url("/old"), "What comes next?")),
        text_reply("Second answer."),
        text_reply("done"),
    )
    one_shot(devagent_cmd, devagent_env, repo, *ALLOW_SITE)
    first_nested, second_nested = fake_api.requests[1], fake_api.requests[3]
    assert page_in(first_nested) == page_in(second_nested)
    assert "# Installing thing" in page_in(second_nested)
    assert second_nested.last_user_text().endswith("What comes next?")
    assert site.paths == ["/old", "/guide"]
    [(cached, is_error)] = results(fake_api.requests[4])
    assert not is_error and cached.startswith("Second answer.\n\n")
    assert cached.endswith(f"/guide: text/html, {len(HTML):,} bytes, from the 15-minute cache]")


def test_a_redirect_to_another_host_is_reported_and_not_followed(
    devagent_cmd: list[str],
    devagent_env: dict[str, str],
    repo: Path,
    fake_api: FakeAPI,
    site: PageServer,
) -> None:
    metadata = "http://169.254.169.254/latest/meta-data/"
    site.redirect("/away", metadata)
    fake_api.enqueue(tool_reply(fetch(site.url("/away"))), text_reply("ok"))
    one_shot(devagent_cmd, devagent_env, repo, *ALLOW_SITE)
    assert len(fake_api.requests) == 2  # no nested request: nothing was read
    assert results(fake_api.requests[1]) == [
        (
            f"{site.url('/away')} redirected (HTTP 302) to a different host or port: {metadata}\n"
            "The redirect was not followed. To read that page, call WebFetch again with "
            f'url "{metadata}" and the same prompt.',
            False,
        )
    ]
    assert site.paths == ["/away"]


def test_failures_are_error_results_written_for_the_model(
    devagent_cmd: list[str],
    devagent_env: dict[str, str],
    repo: Path,
    fake_api: FakeAPI,
    site: PageServer,
) -> None:
    megabyte = b"x" * 1_048_576
    site.add("/huge", Route(200, {"content-type": "text/plain"}, chunks=lambda: [megabyte] * 20))
    site.page("/logo.png", PNG, "image/png")
    site.page("/paper.pdf", b"%PDF-1.7\n...", "application/pdf")
    calls = [fetch(site.url(p)) for p in ("/missing", "/huge", "/logo.png", "/paper.pdf")]
    fake_api.enqueue(tool_reply(*calls), text_reply("none worked"))
    one_shot(devagent_cmd, devagent_env, repo, *ALLOW_SITE)
    assert len(fake_api.requests) == 2
    missing, huge, logo, paper = results(fake_api.requests[1])
    assert missing == (
        f"{site.url('/missing')} answered HTTP 404 Not Found. Check the URL, or find the page "
        "another way (a search, the site's index).",
        True,
    )
    assert huge == (
        f"{site.url('/huge')} is larger than 10 MB; WebFetch reads at most 10 MB. Fetch a "
        "smaller page (a section, a raw file, an API).",
        True,
    )
    assert logo[1] and "is image content (image/png). WebFetch reads HTML, text" in logo[0]
    assert paper[1] and paper[0].startswith(f"{site.url('/paper.pdf')} is a PDF.")


@pytest.mark.parametrize(
    "flags",
    [["--permission-mode", "bypassPermissions"], ["--allowed-tools", "WebFetch"]],
    ids=["bypass", "tool-wide-rule"],
)
def test_loopback_is_refused_unless_a_rule_names_the_host(
    devagent_cmd: list[str],
    devagent_env: dict[str, str],
    repo: Path,
    fake_api: FakeAPI,
    site: PageServer,
    flags: list[str],
) -> None:
    fake_api.enqueue(
        tool_reply(fetch(site.url("/guide")), fetch(site.url("/guide", host="localhost"))),
        text_reply("refused"),
    )
    one_shot(devagent_cmd, devagent_env, repo, *flags)
    by_number, by_name = results(fake_api.requests[1])
    assert by_number[1] and by_number[0].startswith("Refused: 127.0.0.1 is a loopback address.")
    assert "WebFetch(domain:127.0.0.1) in permissions.allow" in by_number[0]
    assert by_name[1] and by_name[0].startswith("Refused: localhost resolves to 127.0.0.1")
    assert site.paths == []


def test_one_shot_default_mode_denies_web_tools_without_a_rule(
    devagent_cmd: list[str],
    devagent_env: dict[str, str],
    repo: Path,
    fake_api: FakeAPI,
    site: PageServer,
) -> None:
    search = tool_call("WebSearch", {"query": "thing install"})
    fake_api.enqueue(tool_reply(fetch(site.url("/guide")), search), text_reply("denied"))
    result = one_shot(devagent_cmd, devagent_env, repo)
    assert [d["tool_name"] for d in result["permission_denials"]] == ["WebFetch", "WebSearch"]
    assert all(is_error for _, is_error in results(fake_api.requests[1]))
    assert len(fake_api.requests) == 2 and site.paths == []


DOCS = "https://docs.python.org/3/whatsnew/3.14.html"
PEP = "https://peps.python.org/pep-0745/"


def search_blocks() -> list[Any]:
    return [
        search_call("python 3.14 release date"),
        search_results([hit("What's New In Python 3.14", DOCS), hit("PEP 745", PEP, None)]),
        cited_text("It was released on 7 October 2025.", [citation("PEP 745", PEP, "7 Oct")]),
    ]


def test_web_search_offers_the_server_tool_and_returns_cited_hits(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    query = {
        "query": "python 3.14 release",
        "allowed_domains": ["https://python.org/x", "peps.python.org"],
    }
    fake_api.enqueue(
        tool_reply(tool_call("WebSearch", query), usage=Usage(100, 10)),
        web_search_reply(search_blocks(), searches=2),
        text_reply("7 October 2025 [PEP 745].", usage=Usage(200, 20)),
    )
    result = one_shot(devagent_cmd, devagent_env, repo, "--allowed-tools", "WebSearch")
    nested = fake_api.requests[1]
    assert nested.model == SMALL
    assert nested.tools == [
        {
            "type": "web_search_20250305",
            "name": "web_search",
            "max_uses": 5,
            "allowed_domains": ["python.org", "peps.python.org"],
        }
    ]
    assert nested.last_user_text() == "Search the web for: python 3.14 release"
    assert results(fake_api.requests[2]) == [
        (
            'Web search results for "python 3.14 release":\n\n'
            f"1. What's New In Python 3.14 (2 days ago)\n   {DOCS}\n"
            f"2. PEP 745\n   {PEP}\n\n"
            "Summary ([n] cites result n):\n"
            "It was released on 7 October 2025. [2]\n\n"
            "Cite the URLs you use from these results in your answer.",
            False,
        )
    ]
    assert result["usage"]["server_tool_use"] == {"web_search_requests": 2}
    spent = [(MAIN, Counts(100, 10)), (SMALL, Counts(1000, 200)), (MAIN, Counts(200, 20))]
    cost = sum(cost_of(model, u) for model, u in spent) + 2 * 10 / 1000
    assert result["total_cost_usd"] == pytest.approx(cost, abs=1e-6)


def test_server_search_blocks_in_a_main_reply_survive_the_transcript_and_continue(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    blocks = search_blocks()
    fake_api.enqueue(web_search_reply(blocks, model=MAIN), text_reply("Anything else?"))
    first = one_shot(devagent_cmd, devagent_env, repo, prompt="when is 3.14 out?")
    assert first["result"] == "It was released on 7 October 2025."
    expected = json.dumps([b.full for b in blocks])
    [stored] = [r for r in session_records(devagent_env) if r["type"] == "message"][1:]
    assert json.dumps(stored["message"]["content"]) == expected
    done = run(devagent_cmd, ["-p", "and 3.15?", "--continue"], devagent_env, repo, timeout=120)
    assert done.returncode == 0, done.stderr
    resent = fake_api.requests[1].messages[1]
    assert resent["role"] == "assistant" and json.dumps(resent["content"]) == expected


def test_the_small_model_follows_the_haiku_alias_in_settings(
    devagent_cmd: list[str],
    devagent_env: dict[str, str],
    repo: Path,
    fake_api: FakeAPI,
    site: PageServer,
) -> None:
    settings = {"modelAliases": {"haiku": "claude-haiku-4-5"}}
    (Path(devagent_env["DEVAGENT_HOME"]) / "settings.json").write_text(json.dumps(settings))
    fake_api.enqueue(tool_reply(fetch(site.url("/guide"))), text_reply("pip."), text_reply("done"))
    one_shot(devagent_cmd, devagent_env, repo, *ALLOW_SITE)
    assert [r.model for r in fake_api.requests] == [MAIN, "claude-haiku-4-5", MAIN]
