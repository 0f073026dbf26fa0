"""One WebFetch request: pinned connections, redirects, limits and failures.

Most tests replace the network by an ``httpx.MockTransport`` and DNS by a scripted resolver,
so they can show where the connection really went (the checked address, with the name in the
Host header and in TLS) and what a second DNS answer changes (nothing but the next check).
The last ones fetch from a real server on 127.0.0.1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from devagent.web import BlockedAddress, PageTooLarge, WebError
from devagent.web.addresses import AddressPolicy
from devagent.web.fetch import Fetcher, Page, Redirect
from devagent.web.urls import parse_url
from web.pages import PageServer, Route

if TYPE_CHECKING:
    from conftest import NetworkGuard

PUBLIC = "93.184.216.34"


class Net:
    """A scripted network: DNS answers per host (one list per lookup) and an HTTP handler."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []
        self.requests: list[httpx.Request] = []

    def resolve(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        queue = self.answers[host]
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def fetcher(self, respond: dict[str, httpx.Response], max_bytes: int = 10_000) -> Fetcher:
        def handler(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return respond[request.url.path]

        transport = httpx.MockTransport(handler)
        return Fetcher(AddressPolicy(resolve=self.resolve), max_bytes, transport)


def html(text: str = "<p>hi</p>") -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/html; charset=utf-8"}, text=text)


def moved(location: str, status: int = 302) -> httpx.Response:
    return httpx.Response(status, headers={"location": location})


def test_the_connection_goes_to_the_checked_address_with_the_name_kept() -> None:
    net = Net({"site.test": [[PUBLIC]]})
    page = net.fetcher({"/docs": html()}).fetch(parse_url("http://site.test/docs?x=1"))
    assert isinstance(page, Page)
    [request] = net.requests
    assert str(request.url) == f"https://{PUBLIC}/docs?x=1"
    assert request.headers["host"] == "site.test"
    assert request.extensions["sni_hostname"] == "site.test"
    assert (str(page.url), page.status, page.media_type, page.charset) == (
        "https://site.test/docs?x=1",
        200,
        "text/html",
        "utf-8",
    )
    assert page.body == b"<p>hi</p>"


def test_a_redirect_is_checked_again_so_rebinding_to_the_metadata_address_fails() -> None:
    net = Net({"site.test": [[PUBLIC], ["169.254.169.254"]]})
    fetcher = net.fetcher({"/a": moved("/b"), "/b": html()})
    with pytest.raises(
        BlockedAddress, match=r"resolves to 169\.254\.169\.254, which is a link-local"
    ):
        fetcher.fetch(parse_url("https://site.test/a"))
    assert [r.url.path for r in net.requests] == ["/a"]
    assert net.lookups == ["site.test", "site.test"]


def test_same_host_redirects_are_followed_each_to_a_checked_address() -> None:
    net = Net({"site.test": [[PUBLIC], ["93.184.216.35"]]})
    fetcher = net.fetcher({"/a": moved("https://site.test/b", 301), "/b": html("<p>b</p>")})
    page = fetcher.fetch(parse_url("https://site.test/a"))
    assert isinstance(page, Page) and str(page.url) == "https://site.test/b"
    assert [r.url.host for r in net.requests] == [PUBLIC, "93.184.216.35"]


def test_a_redirect_to_another_host_is_reported_not_followed() -> None:
    net = Net({"site.test": [[PUBLIC]]})
    fetcher = net.fetcher({"/a": moved("http://169.254.169.254/latest/meta-data/")})
    outcome = fetcher.fetch(parse_url("https://site.test/a"))
    assert outcome == Redirect(
        parse_url("https://site.test/a"), 302, "http://169.254.169.254/latest/meta-data/"
    )
    assert net.lookups == ["site.test"]


def test_more_than_five_redirects_stop() -> None:
    net = Net({"site.test": [[PUBLIC]]})
    loop = {f"/{n}": moved(f"/{n + 1}") for n in range(10)}
    with pytest.raises(WebError, match=r"Stopped after 5 redirects \(last: https://site.test/6\)"):
        net.fetcher(loop).fetch(parse_url("https://site.test/0"))
    assert len(net.requests) == 6


def test_a_redirect_without_location_is_an_error() -> None:
    net = Net({"site.test": [[PUBLIC]]})
    with pytest.raises(WebError, match="answered HTTP 302 without a Location"):
        net.fetcher({"/a": httpx.Response(302)}).fetch(parse_url("https://site.test/a"))


def test_http_errors_name_the_status() -> None:
    net = Net({"site.test": [[PUBLIC]]})
    with pytest.raises(WebError, match=r"https://site.test/gone answered HTTP 404 Not Found\."):
        net.fetcher({"/gone": httpx.Response(404)}).fetch(parse_url("https://site.test/gone"))


def test_a_declared_size_over_the_limit_is_refused_before_reading() -> None:
    net = Net({"site.test": [[PUBLIC]]})
    big = httpx.Response(200, headers={"content-length": "20971520"}, content=b"")
    with pytest.raises(PageTooLarge, match=r"larger than 1,000 bytes \(20 MB\)"):
        net.fetcher({"/big": big}, max_bytes=1000).fetch(parse_url("https://site.test/big"))


def test_a_body_over_the_limit_stops_the_read_early() -> None:
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:
        for n in range(100):
            sent.append(n)
            yield b"x" * 500

    net = Net({"site.test": [[PUBLIC]]})
    response = httpx.Response(200, content=chunks())
    with pytest.raises(PageTooLarge, match="WebFetch reads at most"):
        net.fetcher({"/big": response}, max_bytes=1000).fetch(parse_url("https://site.test/big"))
    assert len(sent) < 10


def test_an_address_that_refuses_gives_way_to_the_next_checked_one() -> None:
    net = Net({"site.test": [[PUBLIC, "93.184.216.35"]]})

    def handler(request: httpx.Request) -> httpx.Response:
        net.requests.append(request)
        if request.url.host == PUBLIC:
            raise httpx.ConnectError("connection refused")
        return html()

    fetcher = Fetcher(AddressPolicy(resolve=net.resolve), transport=httpx.MockTransport(handler))
    assert isinstance(fetcher.fetch(parse_url("https://site.test/")), Page)
    assert [r.url.host for r in net.requests] == [PUBLIC, "93.184.216.35"]


def test_no_answer_at_all_is_a_clear_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    policy = AddressPolicy(resolve=lambda host, port: [PUBLIC])
    fetcher = Fetcher(policy, transport=httpx.MockTransport(refuse))
    with pytest.raises(
        WebError, match=re.escape("Could not connect to site.test: connection refused")
    ):
        fetcher.fetch(parse_url("https://site.test/"))


def test_a_timeout_is_a_clear_error() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out")

    fetcher = Fetcher(
        AddressPolicy(resolve=lambda h, p: [PUBLIC]), transport=httpx.MockTransport(slow)
    )
    with pytest.raises(WebError, match="did not answer within 10 s"):
        fetcher.fetch(parse_url("https://site.test/"))


def test_a_real_local_server_is_reached_only_when_a_rule_names_it() -> None:
    with PageServer() as site:
        site.page("/docs", "<h1>Docs</h1>")
        site.add("/stream", Route(200, {"content-type": "text/plain"}, chunks=lambda: [b"a", b"b"]))
        named = Fetcher(AddressPolicy(named_by_rule=lambda host: host == "127.0.0.1"))
        page = named.fetch(parse_url(site.url("/docs")))
        assert isinstance(page, Page) and page.body == b"<h1>Docs</h1>"
        streamed = named.fetch(parse_url(site.url("/stream")))
        assert isinstance(streamed, Page) and streamed.body == b"ab"
        with pytest.raises(
            BlockedAddress, match=re.escape("Refused: localhost resolves to 127.0.0.1")
        ):
            named.fetch(parse_url(site.url("/docs", host="localhost")))
        with pytest.raises(
            BlockedAddress, match=re.escape("Refused: 127.0.0.1 is a loopback address")
        ):
            Fetcher(AddressPolicy()).fetch(parse_url(site.url("/docs")))
        assert site.paths == ["/docs", "/stream"]
        assert site.headers[0]["Host"] == f"127.0.0.1:{site.port}"


def test_the_test_network_guard_still_stops_a_real_fetch_at_the_pinned_address(
    network_guard: NetworkGuard,
) -> None:
    fetcher = Fetcher(AddressPolicy(resolve=lambda host, port: [PUBLIC]))
    try:
        blocked = re.escape(f"network access blocked in tests: connect to {PUBLIC}:443")
        with pytest.raises(RuntimeError, match=blocked):
            fetcher.fetch(parse_url("https://site.test/"))
        assert network_guard.blocked == [f"{PUBLIC}:443"]
    finally:
        network_guard.blocked.clear()
