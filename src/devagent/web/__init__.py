"""Reaching the web for WebFetch and WebSearch: fetching pages safely, reading them as text,
remembering them for a while, and asking the API to search.

Modules (each imports only the standard library and ``devagent``'s foundation; ``httpx`` and
the HTML converter load only when a page is fetched or converted):

    urls       the URLs WebFetch accepts, normalised (``http`` upgraded to ``https`` except on
               loopback), and how a redirect target is told apart by host
    addresses  the address classifier (loopback, private, link-local, unique-local, ...) and
               the resolve-check-pin step every connection goes through
    fetch      one GET with at most 5 same-host redirects, at most 10 MB, timeouts, and the
               connection pinned to the address that was checked
    convert    a fetched page as text: HTML to Markdown, ``text/*`` and JSON as they are,
               binaries refused
    cache      pages kept for 15 minutes, keyed by URL
    nested     the small model's nested requests: a prompt applied to a page, a web search
    search     the server-side web search tool's definition and what its reply holds

Errors, all ``WebError`` (a message written for the model, which the tools return as an error
result):

    WebError
    ├── BlockedAddress   the host resolves to an address that is not public, and no rule
    │                    names the host
    └── PageTooLarge     the body is over the size limit
"""

from __future__ import annotations


class WebError(Exception):
    """Fetching or searching failed; the message says what happened and what to do next."""


class BlockedAddress(WebError):
    """A host resolved to a loopback, private, link-local or other non-public address."""


class PageTooLarge(WebError):
    """A response body over the size limit."""
