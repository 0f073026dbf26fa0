"""Host names as permission rules and WebFetch compare them: one normal form for both.

Lower case, no trailing dot, international names in their IDNA (``xn--``) form, IP literals in
their canonical form; '' for anything that is not a valid host name or address.
"""

from __future__ import annotations

import ipaddress
import re

_HOST_NAME = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")


def normalise_host(host: str) -> str:
    """``host`` as rules compare it, or '' when it is not a valid host name or address."""
    host = host.strip().lower().rstrip(".")
    if not host:
        return ""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return ""
    return ascii_host if _HOST_NAME.match(ascii_host) else ""
