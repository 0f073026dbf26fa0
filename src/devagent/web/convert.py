"""A fetched page as text for the small model: HTML as Markdown, text and JSON as they are.

HTML (``text/html``, ``application/xhtml+xml``) goes through ``html-to-markdown`` (loaded on
first use): scripts, styles and navigation are left out, links are made absolute against the
page's URL, and inline ``data:`` images keep only their alt text. ``text/*``, JSON, XML,
YAML and JavaScript pass through as text. PDFs, images, audio, video and other binary bodies
are refused with a message saying so. A body without a media type is judged by its bytes.
"""

from __future__ import annotations

import re

from devagent.web import WebError
from devagent.web.fetch import Page

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_TEXT_APPLICATION = frozenset(
    {
        "application/json",
        "application/xml",
        "application/javascript",
        "application/ecmascript",
        "application/x-javascript",
        "application/x-ndjson",
        "application/yaml",
        "application/x-yaml",
        "application/toml",
        "application/x-sh",
        "application/sql",
        "application/graphql",
    }
)
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
)
_SNIFF = 8192
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def page_text(page: Page) -> str:
    """The page as text (Markdown for HTML); ``WebError`` for a body that is not text."""
    media = page.media_type or _sniffed_type(page.body)
    if media not in HTML_TYPES and not is_text_type(media):
        raise WebError(_binary_message(str(page.url), media))
    if b"\x00" in page.body[:_SNIFF]:
        raise WebError(_binary_message(str(page.url), f"{media} holding binary data"))
    if media in HTML_TYPES:
        charset = page.charset or _meta_charset(page.body)
        return html_to_markdown(decode(page.body, charset), str(page.url))
    return decode(page.body, page.charset)


def is_text_type(media: str) -> bool:
    """Whether a media type is read as text (``text/*``, JSON, XML and the like)."""
    if media.startswith("text/") or media in _TEXT_APPLICATION:
        return True
    return media.startswith("application/") and media.endswith(("+json", "+xml", "+yaml"))


def decode(body: bytes, charset: str | None) -> str:
    """``body`` as text: the declared charset, else UTF-8; bytes that do not decode are
    replaced rather than failing the page."""
    for encoding in (charset, "utf-8"):
        if not encoding:
            continue
        try:
            return body.decode(encoding).removeprefix("\ufeff")
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", errors="replace").removeprefix("\ufeff")


def html_to_markdown(html: str, base_url: str) -> str:
    """Markdown for ``html``; links resolved against ``base_url``."""
    from html_to_markdown import ConversionError, ConversionOptions, convert

    options = ConversionOptions(base_url=base_url, inline_data_media="alt_text_only")
    try:
        result = convert(html, options)
    except ConversionError as exc:
        raise WebError(f"The page's HTML could not be converted to Markdown: {exc}.") from None
    return (result.content or "").strip()


def _sniffed_type(body: bytes) -> str:
    for magic, media in _MAGIC:
        if body.startswith(magic):
            return media
    head = body[:_SNIFF]
    if b"\x00" in head:
        return "application/octet-stream"
    start = head.lstrip().lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return "text/html"
    return "text/plain"


def _meta_charset(body: bytes) -> str | None:
    found = _META_CHARSET.search(body[:4096])
    return found.group(1).decode("ascii") if found else None


def _binary_message(url: str, media: str) -> str:
    if media == "application/pdf":
        what = "a PDF"
    elif media.startswith(("image/", "audio/", "video/")):
        what = f"{media.split('/', 1)[0]} content ({media})"
    else:
        what = f"binary content ({media or 'no media type'})"
    return (
        f"{url} is {what}. WebFetch reads HTML, text and JSON pages only; "
        "look for an HTML or text version of it."
    )
