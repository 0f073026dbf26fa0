"""The address classifier and the resolve-check step: what WebFetch may connect to.

Numeric host forms (decimal, octal, hex, short) are resolved by the system's resolver like any
name; each test first proves the form is parsed as a number (``AI_NUMERICHOST``), so no DNS
query leaves the machine.
"""

from __future__ import annotations

import ipaddress
import socket

import pytest

from devagent.web import BlockedAddress, WebError
from devagent.web.addresses import AddressPolicy, embedded_ipv4, non_public_reason


def reason(text: str) -> str | None:
    return non_public_reason(ipaddress.ip_address(text))


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local, the cloud metadata address"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("fd00:ec2::254", "link-local, the cloud metadata address"),
        ("fc00::1", "unique-local"),
        ("fd12:3456::1", "unique-local"),
        ("100.64.0.1", "shared (carrier NAT)"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "private"),
        ("192.0.2.10", "private"),
    ],
)
def test_non_public_addresses_are_named(address: str, expected: str) -> None:
    assert reason(address) == expected


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "1.1.1.1"])
def test_public_addresses_pass(address: str) -> None:
    assert reason(address) is None


@pytest.mark.parametrize(
    ("address", "inner", "kind"),
    [
        ("::ffff:127.0.0.1", "127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "169.254.169.254", "link-local, the cloud metadata address"),
        ("::ffff:10.0.0.1", "10.0.0.1", "private"),
        ("::127.0.0.1", "127.0.0.1", "loopback"),
        ("64:ff9b::7f00:1", "127.0.0.1", "loopback"),
        ("64:ff9b::a9fe:a9fe", "169.254.169.254", "link-local, the cloud metadata address"),
        ("2002:7f00:1::", "127.0.0.1", "loopback"),
        ("2002:c0a8:101::1", "192.168.1.1", "private"),
    ],
)
def test_ipv4_inside_ipv6_is_judged_by_the_ipv4_address(
    address: str, inner: str, kind: str
) -> None:
    assert embedded_ipv4(ipaddress.ip_address(address)) == ipaddress.ip_address(inner)
    assert reason(address) == f"{kind} ({inner} inside {ipaddress.ip_address(address)})"


def test_a_mapped_public_address_is_public() -> None:
    assert reason("::ffff:93.184.216.34") is None


@pytest.mark.parametrize("host", ["2130706433", "0177.0.0.1", "0x7f.1", "127.1", "0x7f000001", "0"])
def test_numeric_host_forms_resolve_to_loopback_and_are_refused(host: str) -> None:
    numeric = socket.getaddrinfo(host, 80, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    assert numeric, "the form must parse as a number (no DNS query)"
    with pytest.raises(BlockedAddress, match=r"resolves to (127\.0\.0\.1|0\.0\.0\.0), which is a"):
        AddressPolicy().addresses(host, 80)


def test_a_rule_naming_the_host_lets_it_resolve_to_loopback() -> None:
    policy = AddressPolicy(named_by_rule=lambda host: host == "127.0.0.1")
    assert policy.addresses("127.0.0.1", 80) == ["127.0.0.1"]
    with pytest.raises(BlockedAddress, match=r"Refused: 127\.0\.0\.2 is a loopback address"):
        policy.addresses("127.0.0.2", 80)


def test_one_private_answer_among_public_ones_refuses_the_host() -> None:
    answers = {"mixed.test": ["93.184.216.34", "10.0.0.7"]}
    policy = AddressPolicy(resolve=lambda host, port: answers[host])
    with pytest.raises(BlockedAddress) as caught:
        policy.addresses("mixed.test", 443)
    assert str(caught.value) == (
        "Refused: mixed.test resolves to 10.0.0.7, which is a private address. WebFetch "
        "reaches loopback, private and link-local addresses only for a host an allow rule "
        "names, e.g. WebFetch(domain:mixed.test) in permissions.allow of the settings."
    )


def test_resolution_failures_are_clear_errors() -> None:
    def fail(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(WebError, match=r"Could not resolve the host nowhere\.test: Name or"):
        AddressPolicy(resolve=fail).addresses("nowhere.test", 443)
    with pytest.raises(WebError, match="has no address"):
        AddressPolicy(resolve=lambda host, port: []).addresses("empty.test", 443)
