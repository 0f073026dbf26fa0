"""The URLs WebFetch accepts: parsed once, normalised, and compared by host.

A URL must be ``http`` or ``https`` with a host and no user name or password. Its host is
normalised the way permission rules compare hosts (``devagent.permissions.url_host``): lower
case, no trailing dot, international names in their IDNA (``xn--``) form, IP literals in their
canonical form. ``http`` is upgraded to ``https`` unless the host is a loopback name or address
(``localhost``, ``*.localhost``, ``127.0.0.0/8``, ``::1``), where plain HTTP is usual.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from devagent.hostnames import normalise_host
from devagent.web import WebError

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class WebURL:
    """A URL WebFetch may request. ``target`` is the path and query (at least ``/``)."""

    scheme: str
    host: str
    port: int
    target: str

    @property
    def netloc(self) -> str:
        """``host[:port]`` as the Host header carries it (IPv6 in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    def __str__(self) -> str:
        return f"{self.scheme}://{self.netloc}{self.target}"

    def pinned(self, address: str) -> str:
        """This URL with its host replaced by ``address``, to connect to exactly that address."""
        host = f"[{address}]" if ":" in address else address
        return f"{self.scheme}://{host}:{self.port}{self.target}"

    def join(self, location: str) -> WebURL:
        """Where a redirect's ``Location`` points, resolved against this URL (not upgraded)."""
        return parse_url(urljoin(str(self), location.strip()), upgrade=False)

    def same_site(self, other: WebURL) -> bool:
        """Whether a redirect to ``other`` stays on this host: same host and port, or the same
        host moving from ``http`` to ``https`` on the default ports."""
        if other.host != self.host:
            return False
        if other.scheme == self.scheme:
            return other.port == self.port
        return (self.scheme, self.port, other.scheme, other.port) == ("http", 80, "https", 443)


def parse_url(text: str, *, upgrade: bool = True) -> WebURL:
    """The URL ``text`` names; ``WebError`` saying what is wrong with it otherwise."""
    raw = text.strip()
    if not raw or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in raw):
        raise WebError(f"{raw!r} is not a URL: give a full URL such as https://example.com/page.")
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise WebError(
            f"{raw!r} is not an http:// or https:// URL: WebFetch reads web pages only; "
            "give a full URL such as https://example.com/page."
        )
    if "@" in parts.netloc:
        raise WebError(f"{raw!r} carries a user name or password: give the URL without them.")
    host = normalise_host(parts.hostname or "")
    if not host:
        raise WebError(f"{raw!r} has no valid host name: give a URL such as https://example.com/.")
    try:
        explicit = parts.port
    except ValueError:
        raise WebError(f"{raw!r} has an invalid port number.") from None
    if upgrade and scheme == "http" and not is_loopback_name(host):
        scheme = "https"
    port = explicit if explicit is not None else _DEFAULT_PORTS[scheme]
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return WebURL(scheme, host, port, target)


def is_loopback_name(host: str) -> bool:
    """``localhost``, a name under it, or a loopback address (judged without resolving)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback
