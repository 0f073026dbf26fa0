"""One WebFetch request: a GET with at most 5 same-host redirects and at most 10 MB of body.

Every hop resolves its host once, checks each address (``devagent.web.addresses``) and
connects to a checked address by number, with the host name kept in the Host header and in
TLS (SNI and certificate checks), so the connection goes exactly where the check looked. A
redirect to the same host (and port, or ``http`` → ``https``) is followed, and checked again;
a redirect anywhere else is not followed: the caller gets a ``Redirect`` naming the new URL.
Proxy settings from the environment are not used, since a proxy would connect on our behalf.

``httpx`` loads when the first request is made.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from devagent import __version__
from devagent.web import PageTooLarge, WebError
from devagent.web.addresses import AddressPolicy
from devagent.web.urls import WebURL

if TYPE_CHECKING:
    import httpx

    Transport: TypeAlias = httpx.BaseTransport
else:
    Transport = object  # what replaces the network in tests: an httpx transport

MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 5
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
TOTAL_SECONDS = 120.0
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = f"devagent/{__version__} (WebFetch)"
ACCEPT = "text/markdown, text/html;q=0.9, text/plain;q=0.8, application/json;q=0.8, */*;q=0.5"


@dataclass(frozen=True)
class Page:
    """A fetched page: where it came from (after same-host redirects), its status, its media
    type (lower case, no parameters, '' when the server sent none), charset and body."""

    url: WebURL
    status: int
    media_type: str
    charset: str | None
    body: bytes


@dataclass(frozen=True)
class Redirect:
    """The server at ``url`` redirected to another host (or port, or to plain http)."""

    url: WebURL
    status: int
    location: str


@dataclass
class Fetcher:
    """Fetches URLs under an address policy; ``transport`` replaces the network in tests."""

    policy: AddressPolicy
    max_bytes: int = MAX_BYTES
    transport: Transport | None = None
    clock: Callable[[], float] = time.monotonic

    def fetch(self, url: WebURL) -> Page | Redirect:
        import httpx  # deferred: only a fetch pays for it

        deadline = self.clock() + TOTAL_SECONDS
        timeout = httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
        with httpx.Client(
            transport=self.transport, timeout=timeout, follow_redirects=False, trust_env=False
        ) as client:
            for _hop in range(MAX_REDIRECTS + 1):
                outcome = self._hop(client, url, deadline)
                if not isinstance(outcome, WebURL):
                    return outcome
                url = outcome
        raise WebError(f"Stopped after {MAX_REDIRECTS} redirects (last: {url}).")

    def _hop(self, client: httpx.Client, url: WebURL, deadline: float) -> Page | Redirect | WebURL:
        """Request ``url`` once: the page, a redirect not to follow, or the URL to go to next."""
        response = self._open(client, url)
        try:
            if response.status_code in REDIRECT_CODES:
                return _redirect(url, response)
            if response.status_code >= 400:
                reason = response.reason_phrase or "error"
                raise WebError(
                    f"{url} answered HTTP {response.status_code} {reason}. Check the URL, "
                    "or find the page another way (a search, the site's index)."
                )
            body = self._read(response, url, deadline)
        finally:
            response.close()
        media_type, charset = _content_type(response.headers.get("content-type", ""))
        return Page(url, response.status_code, media_type, charset, body)

    def _open(self, client: httpx.Client, url: WebURL) -> httpx.Response:
        import httpx

        addresses = self.policy.addresses(url.host, url.port)
        problem = "no address answered"
        for address in addresses:
            request = client.build_request(
                "GET",
                url.pinned(address),
                headers={"Host": url.netloc, "User-Agent": USER_AGENT, "Accept": ACCEPT},
                extensions={"sni_hostname": url.host} if url.scheme == "https" else None,
            )
            try:
                return client.send(request, stream=True)
            except httpx.ConnectError as exc:
                problem = str(exc) or type(exc).__name__
            except httpx.TimeoutException:
                raise WebError(f"{url} did not answer within {CONNECT_TIMEOUT:.0f} s.") from None
            except httpx.HTTPError as exc:
                raise WebError(f"Fetching {url} failed: {exc}.") from None
        raise WebError(f"Could not connect to {url.netloc}: {problem}.")

    def _read(self, response: httpx.Response, url: WebURL, deadline: float) -> bytes:
        import httpx

        limit = self.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise PageTooLarge(_too_large(url, limit, int(declared)))
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise PageTooLarge(_too_large(url, limit))
                if self.clock() > deadline:
                    raise WebError(f"{url} took over {TOTAL_SECONDS:.0f} s to send the page.")
                chunks.append(chunk)
        except httpx.TimeoutException:
            raise WebError(f"{url} stopped sending the page for {READ_TIMEOUT:.0f} s.") from None
        except httpx.HTTPError as exc:
            raise WebError(f"Reading {url} failed: {exc}.") from None
        return b"".join(chunks)


def _redirect(url: WebURL, response: httpx.Response) -> Redirect | WebURL:
    location = response.headers.get("location", "").strip()
    if not location:
        raise WebError(f"{url} answered HTTP {response.status_code} without a Location to go to.")
    try:
        target = url.join(location)
    except WebError as exc:
        raise WebError(
            f"{url} redirected to {location!r}, which WebFetch cannot follow: {exc}"
        ) from None
    if url.same_site(target):
        return target
    return Redirect(url, response.status_code, str(target))


def _content_type(header: str) -> tuple[str, str | None]:
    media, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    return media.strip().lower(), charset


def _too_large(url: WebURL, limit: int, declared: int | None = None) -> str:
    size = f" ({_size(declared)})" if declared is not None else ""
    return (
        f"{url} is larger than {_size(limit)}{size}; WebFetch reads at most {_size(limit)}. "
        "Fetch a smaller page (a section, a raw file, an API)."
    )


def _size(count: int) -> str:
    if count < 1_048_576:
        return f"{count:,} bytes"
    return f"{count / 1_048_576:.1f}".removesuffix(".0") + " MB"
