"""Which addresses WebFetch may connect to, and the resolve-check-pin step before each request.

``non_public_reason`` classifies one address. Addresses that carry an IPv4 address inside an
IPv6 one (mapped ``::ffff:a.b.c.d``, compatible ``::a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4
``2002::/16``) are judged by the IPv4 address they carry. Refused: unspecified (``0.0.0.0``,
``::``), loopback, link-local (``169.254.0.0/16``, where cloud metadata services answer, and
``fe80::/10``), unique-local (``fc00::/7``), private, shared (``100.64.0.0/10``), multicast and
every other address that is not globally routable.

``AddressPolicy.addresses`` resolves a host once and checks every address it got: one
non-public answer refuses the host (a name that answers both is how DNS rebinding starts),
unless a rule names the host. The fetcher then connects to the addresses it was given, never
resolving the name again, so a second DNS answer cannot differ from the one that was checked.
Hosts that are written as numbers (``2130706433``, ``0177.0.0.1``) are resolved like names, so
they are judged by the address they stand for.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from devagent.web import BlockedAddress, WebError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")
_METADATA = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    value = int(address)
    if address in _NAT64 or (value >> 32 == 0 and value > 1):
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    return None


def non_public_reason(address: IPAddress) -> str | None:
    """Why WebFetch may not connect to ``address`` without a rule, or None for a public one."""
    inner = embedded_ipv4(address)
    if inner is not None:
        reason = non_public_reason(inner)
        return None if reason is None else f"{reason} ({inner} inside {address})"
    if address in _METADATA:
        return "link-local, the cloud metadata address"
    checks: tuple[tuple[bool, str], ...] = (
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (isinstance(address, ipaddress.IPv6Address) and address in _UNIQUE_LOCAL, "unique-local"),
        (isinstance(address, ipaddress.IPv4Address) and address in _SHARED, "shared (carrier NAT)"),
        (address.is_private, "private"),
        (address.is_multicast, "multicast"),
    )
    for hit, reason in checks:
        if hit:
            return reason
    return None if address.is_global else "reserved"


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the order the system prefers them."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]
        if address not in found:
            found.append(address)
    return found


@dataclass(frozen=True)
class AddressPolicy:
    """Resolves and checks hosts. ``named_by_rule(host)`` says whether a permission rule names
    ``host``, which lets it resolve to a non-public address (a local test server)."""

    named_by_rule: Callable[[str], bool] = field(default=lambda host: False)
    resolve: Resolver = system_resolver

    def addresses(self, host: str, port: int) -> list[str]:
        """The checked addresses of ``host`` to connect to (in order); ``BlockedAddress``
        when one is not public and no rule names the host, ``WebError`` when none is found."""
        try:
            found = self.resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise WebError(f"Could not resolve the host {host}: {_why(exc)}.") from None
        if not found:
            raise WebError(f"The host {host} has no address.")
        for text in found:
            reason = non_public_reason(ipaddress.ip_address(text))
            if reason is not None and not self.named_by_rule(host):
                raise BlockedAddress(_blocked_text(host, text, reason))
        return found


def _why(exc: BaseException) -> str:
    return str(exc.args[-1]) if isinstance(exc, OSError) and exc.args else str(exc)


def _blocked_text(host: str, address: str, reason: str) -> str:
    shown = host if host == address else f"{host} resolves to {address}, which"
    return (
        f"Refused: {shown} is a {reason} address. WebFetch reaches loopback, private and "
        f"link-local addresses only for a host an allow rule names, e.g. "
        f"WebFetch(domain:{host}) in permissions.allow of the settings."
    )
