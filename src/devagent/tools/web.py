"""The WebFetch and WebSearch tools: thin classes over ``devagent.web``.

Both are of kind ``network``: in default mode each call asks (WebFetch's "don't ask again"
allows the URL's domain, ``WebFetch(domain:HOST)``), one-shot mode turns the ask into a
denial. ``WebAccess`` is what the run gives them: ``ask`` sends one nested request to the small
model and charges its tokens and cost to the run, and ``named_by_rule(host)`` says whether an
allow rule names ``host`` exactly (``rule_names_host``), which is what lets WebFetch reach a
host that resolves to a loopback, private or link-local address. Fetched pages are cached for
15 minutes per session in the tool context, keyed by URL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable
from urllib.parse import urlsplit

from devagent.approval import PermissionPolicy, PermissionRequest
from devagent.errors import ModelError
from devagent.hostnames import normalise_host
from devagent.toolkinds import ToolKind
from devagent.tools.base import Args, PreparedCall, Tool, ToolContext, ToolError, ToolResult
from devagent.web import WebError
from devagent.web.addresses import AddressPolicy, Resolver, system_resolver
from devagent.web.cache import PageCache
from devagent.web.convert import page_text
from devagent.web.fetch import Fetcher, Redirect, Transport
from devagent.web.nested import PAGE_BUDGET, Ask, apply_prompt
from devagent.web.search import format_outcome, run_search
from devagent.web.urls import WebURL, parse_url

CACHE_KEY = "web.pages"

FETCH_DESCRIPTION = f"""\
Fetches a web page and answers a prompt about it. The page is fetched (HTML converted to \
Markdown) and a small, fast model answers the prompt from the page's content; its answer is \
the result.

- url must be a full http:// or https:// URL; http is upgraded to https.
- prompt says what to find or extract from the page.
- HTML, text and JSON are read; PDFs, images and other binary files, and pages over 10 MB, \
are refused. Only the first {PAGE_BUDGET:,} characters of a long page are read.
- When the page redirects to another host, the result gives the new URL: call WebFetch \
again with it.
- Pages are kept for 15 minutes, so asking about the same URL again is fast.
- The user may have to approve each new domain; if a call is refused, do not retry it."""

SEARCH_DESCRIPTION = """\
Searches the web and returns the results (titles and URLs) with a short summary citing them. \
Use it for information newer than your training data, or to find pages to read with WebFetch.

- allowed_domains limits the results to those sites; blocked_domains leaves those sites \
out (give one of them, not both). Domains are names such as docs.python.org.
- Cite the URLs you use in your answer."""


@dataclass(frozen=True)
class WebAccess:
    """What the web tools get from the run (see the module docstring); ``resolve`` and
    ``transport`` replace DNS and the network in tests."""

    ask: Ask
    named_by_rule: Callable[[str], bool]
    resolve: Resolver = system_resolver
    transport: Transport | None = None


class _Rule(Protocol):
    @property
    def tool(self) -> str: ...

    @property
    def specifier(self) -> str | None: ...


@runtime_checkable
class _RuleList(Protocol):
    def rules(self, kind: Any) -> Sequence[_Rule]: ...


def rule_names_host(policy: PermissionPolicy) -> Callable[[str], bool]:
    """``named(host)``: the policy allows WebFetch on ``host`` and one of its allow rules is
    ``WebFetch(domain:HOST)`` for exactly that host (a parent domain does not count). A policy
    that cannot list its rules names no host."""

    def named(host: str) -> bool:
        url = str(WebURL("http", host, 80, "/"))
        request = PermissionRequest("WebFetch", {"url": url}, kind="network")
        if policy.decide(request).behavior != "allow":
            return False
        rules = policy.rules("allow") if isinstance(policy, _RuleList) else ()
        return any(_names(rule, host) for rule in rules)

    return named


def _names(rule: _Rule, host: str) -> bool:
    spec = rule.specifier or ""
    return (
        rule.tool == "WebFetch"
        and spec.startswith("domain:")
        and (normalise_host(spec.removeprefix("domain:")) == host)
    )


@dataclass(frozen=True)
class _Fetched:
    """A page as the cache keeps it: where it came from and its text."""

    url: str
    media_type: str
    size: int
    text: str


class WebFetchTool(Tool):
    name = "WebFetch"
    description = FETCH_DESCRIPTION
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "url": {"type": "string", "format": "uri", "description": "The URL to fetch"},
            "prompt": {"type": "string", "description": "What to find or extract from the page"},
        },
        "required": ["url", "prompt"],
    }
    kind: ClassVar[ToolKind] = "network"

    def __init__(self, access: WebAccess) -> None:
        self._access = access

    def prepare(self, args: Args, ctx: ToolContext) -> PreparedCall:
        try:
            url = parse_url(str(args["url"]))
        except WebError as exc:
            raise ToolError(str(exc)) from None
        prompt = str(args["prompt"]).strip()
        if not prompt:
            raise ToolError("prompt is empty: say what to find or extract from the page.")
        return PreparedCall(execute=lambda: self._run(url, prompt, ctx))

    def _run(self, url: WebURL, prompt: str, ctx: ToolContext) -> ToolResult:
        cache = ctx.state_for(CACHE_KEY, PageCache[_Fetched])
        page = cache.get(str(url))
        cached = page is not None
        if page is None:
            fetched = self._fetch(url)
            if isinstance(fetched, Redirect):
                return ToolResult(_redirect_text(fetched))
            page = fetched
            cache.put(str(url), page)
        if not page.text.strip():
            return ToolResult(f"{page.url} has no readable text ({page.media_type or 'empty'}).")
        try:
            answer = apply_prompt(self._access.ask, page.url, page.text, prompt)
        except ModelError as exc:
            raise ToolError(
                f"The page was fetched, but the model reading it failed: {exc}"
            ) from None
        notes = [page.media_type or "no media type", f"{page.size:,} bytes"]
        if cached:
            notes.append("from the 15-minute cache")
        if answer.trimmed:
            notes.append(f"read its first {answer.shown:,} of {answer.length:,} characters")
        return ToolResult(f"{answer.text}\n\n[WebFetch {page.url}: {', '.join(notes)}]")

    def _fetch(self, url: WebURL) -> _Fetched | Redirect:
        access = self._access
        fetcher = Fetcher(
            AddressPolicy(access.named_by_rule, access.resolve), transport=access.transport
        )
        try:
            outcome = fetcher.fetch(url)
            if isinstance(outcome, Redirect):
                return outcome
            text = page_text(outcome)
        except WebError as exc:
            raise ToolError(str(exc)) from None
        return _Fetched(str(outcome.url), outcome.media_type, len(outcome.body), text)


def _redirect_text(redirect: Redirect) -> str:
    return (
        f"{redirect.url} redirected (HTTP {redirect.status}) to a different host or port: "
        f"{redirect.location}\n"
        "The redirect was not followed. To read that page, call WebFetch again with "
        f'url "{redirect.location}" and the same prompt.'
    )


class WebSearchTool(Tool):
    name = "WebSearch"
    description = SEARCH_DESCRIPTION
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "query": {"type": "string", "minLength": 2, "description": "The search query"},
            "allowed_domains": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Only include results from these domains",
            },
            "blocked_domains": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Never include results from these domains",
            },
        },
        "required": ["query"],
    }
    kind: ClassVar[ToolKind] = "network"

    def __init__(self, access: WebAccess) -> None:
        self._access = access

    def prepare(self, args: Args, ctx: ToolContext) -> PreparedCall:
        query = " ".join(str(args["query"]).split())
        if len(query) < 2:
            raise ToolError("query is too short: give at least two characters to search for.")
        allowed = _domains(args.get("allowed_domains"), "allowed_domains")
        blocked = _domains(args.get("blocked_domains"), "blocked_domains")
        if allowed and blocked:
            raise ToolError("Give allowed_domains or blocked_domains, not both.")
        return PreparedCall(execute=lambda: self._run(query, allowed, blocked))

    def _run(self, query: str, allowed: list[str], blocked: list[str]) -> ToolResult:
        try:
            outcome = run_search(self._access.ask, query, allowed, blocked)
            return ToolResult(format_outcome(query, outcome))
        except ModelError as exc:
            raise ToolError(f"The web search failed: {exc}") from None
        except WebError as exc:
            raise ToolError(str(exc)) from None


def _domains(value: object, field: str) -> list[str]:
    """Domain names from the model's list: a URL counts as its host; an empty or invalid
    entry is an error naming it."""
    if value is None:
        return []
    domains: list[str] = []
    for entry in value if isinstance(value, list) else [value]:
        text = str(entry).strip()
        name = urlsplit(text).hostname or "" if "://" in text else text.split("/", 1)[0]
        host = normalise_host(name)
        if not host:
            raise ToolError(f"{field} holds {text!r}, which is not a domain such as example.com.")
        domains.append(host)
    return list(dict.fromkeys(domains))
