"""Inline markdown for the terminal: the palettes, inline markup (code spans, emphasis, links)
resolved to styled pieces, word wrapping by cells, and drawing a row's pieces as ANSI text.

``mdlines`` builds block structure on top of this; ``mdcode`` colours fenced code with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.cells import cell_len, get_character_cell_size

# -- palettes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Palette:
    """SGR parameters for each role (colours follow rich's default markdown theme)."""

    strong: str = "1"
    em: str = "3"
    strike: str = "9"
    code: str = "1;36"
    link: str = "94"
    url: str = "2"
    bullet: str = "1;33"
    quote: str = "35"
    rule: str = "33"
    headings: tuple[str, ...] = ("1;4", "1;4", "1", "1;2", "4", "3")
    code_block: str = ""  # a code row's colours (set once per row), or "" for none
    code_text: str = ""  # what a token's colour returns to, inside a coloured row
    keyword: str = "35"
    string: str = "33"
    comment: str = "2"
    number: str = "36"


_DEFAULT_PALETTE = Palette()
# On 256-colour terminals code sits on a dark background (monokai's colours), which the row's
# erase-to-end-of-line paints to the right edge; tokens switch the foreground only.
_RICH_PALETTE = Palette(
    code_block="38;5;252;48;5;235",
    code_text="38;5;252",
    keyword="38;5;204",
    string="38;5;186",
    comment="38;5;245",
    number="38;5;141",
)


def palette_for(color_system: str | None) -> Palette | None:
    """The palette for rich's ``Console.color_system`` (None: write no escape codes)."""
    if color_system is None:
        return None
    return _RICH_PALETTE if color_system in ("256", "truecolor") else _DEFAULT_PALETTE


# -- inline markup --------------------------------------------------------------------------

INLINE_HINT = re.compile(r"[`\\\[<*_~]")
# The leading lookahead lets the scan skip positions that cannot start markup; the
# underscore forms check the character before them from behind the run (``(?<!\w__)``).
_INLINE = re.compile(
    r"(?=[`\\!\[<*_~])(?:"
    r"(?<!`)(?P<ticks>`+)(?!`)(?P<code>.+?)(?<!`)(?P=ticks)(?!`)"
    r"|\\(?P<escaped>[!-/:-@\[-`{-~])"
    r"|!\[(?P<alt>[^\]]*)\]\([^)]*\)"
    r"|\[(?P<label>[^\]]+)\]\((?P<url>[^)\s]+)(?:[ \t]+\"[^\"]*\")?\)"
    r"|<(?P<auto>(?:https?|mailto):[^>\s]+)>"
    r"|\*\*(?=\S)(?P<strong>.+?)(?<=\S)\*\*"
    r"|__(?<!\w__)(?=\S)(?P<strong_>.+?)(?<=\S)__(?!\w)"
    r"|\*(?=[^\s*])(?P<em>.+?)(?<=[^\s*])\*"
    r"|_(?<!\w_)(?=[^\s_])(?P<em_>.+?)(?<=[^\s_])_(?!\w)"
    r"|~~(?=\S)(?P<strike>.+?)(?<=\S)~~"
    r")"
)

Piece = tuple[int, int, str]  # start, end, SGR parameters
Segment = tuple[str, str]  # text, SGR parameters ("" for none); the text may be empty


def _segments(text: str, sgr: str, p: Palette, out: list[Segment]) -> None:
    """Append ``text`` to ``out`` with its inline markup turned into styles layered on ``sgr``."""
    if INLINE_HINT.search(text) is None:
        out.append((text, sgr))
        return
    at = 0
    for match in _INLINE.finditer(text):
        out.append((text[at : match.start()], sgr))
        _token(match, sgr, p, out)
        at = match.end()
    out.append((text[at:], sgr))


def _token(match: re.Match[str], sgr: str, p: Palette, out: list[Segment]) -> None:
    kind = match.lastgroup or ""
    value = match.group(kind)
    if kind == "code":
        out.append((_strip_code(value), _join(sgr, p.code)))
    elif kind in ("escaped", "alt"):
        out.append((value, sgr))
    elif kind == "url":  # a link: its url group is the last to close
        _segments(match.group("label"), _join(sgr, p.link), p, out)
        out.append((f" ({value})", _join(sgr, p.url)))
    elif kind == "auto":
        out.append((value, _join(sgr, p.link)))
    else:
        _segments(value, _join(sgr, getattr(p, _EMPHASIS.get(kind, "strike"))), p, out)


_EMPHASIS = {"strong": "strong", "strong_": "strong", "em": "em", "em_": "em"}


def _strip_code(text: str) -> str:
    """A code span's content: one space of padding on both sides is removed (CommonMark)."""
    if len(text) > 2 and text[0] == " " and text[-1] == " " and text.strip():
        return text[1:-1]
    return text


def _join(outer: str, inner: str) -> str:
    return f"{outer};{inner}" if outer else inner


def _markup(text: str, palette: Palette | None, sgr: str) -> list[Segment]:
    out: list[Segment] = []
    _segments(text, sgr, palette or _DEFAULT_PALETTE, out)
    return out


def _drawn(segments: list[Segment]) -> str:
    """Segments as one row of text with their escape codes."""
    return "".join(f"\x1b[{sgr}m{text}\x1b[0m" if sgr and text else text for text, sgr in segments)


def _plain(segments: list[Segment]) -> tuple[str, list[Piece]]:
    """Segments as plain text and the styled pieces of it."""
    pieces: list[Piece] = []
    at = 0
    for text, sgr in segments:
        if sgr and text:
            pieces.append((at, at + len(text), sgr))
        at += len(text)
    return "".join(text for text, _ in segments), pieces


def inline(text: str, palette: Palette | None, sgr: str = "") -> tuple[str, list[Piece]]:
    """``text`` with its inline markup resolved: the plain text and its styled pieces."""
    return _plain(_markup(text, palette, sgr))


# -- wrapping -------------------------------------------------------------------------------


def wrap(plain: str, width: int) -> list[tuple[int, int]]:
    """Rows of ``plain`` as (start, end) offsets, at most ``width`` cells each, broken at
    spaces; a word longer than a row is split."""
    width = max(width, 1)
    if plain.isascii():
        return _wrap_ascii(plain, width)
    return _wrap_cells(plain, width)


def _wrap_ascii(plain: str, width: int) -> list[tuple[int, int]]:
    rows: list[tuple[int, int]] = []
    at, end = 0, len(plain)
    while end - at > width:
        space = plain.rfind(" ", at + 1, at + width + 1)
        if space < 0:
            rows.append((at, at + width))
            at += width
        else:
            rows.append((at, space))
            at = space + 1
    rows.append((at, end))
    return rows


def _wrap_cells(plain: str, width: int) -> list[tuple[int, int]]:
    rows: list[tuple[int, int]] = []
    start, used, space = 0, 0, -1
    for index, char in enumerate(plain):
        size = get_character_cell_size(char)
        if used + size > width and index > start:
            cut = space if space > start else index
            rows.append((start, cut))
            start = cut + 1 if cut == space else cut
            used = cell_len(plain[start:index])
            space = -1
        if char == " ":
            space = index
        used += size
    rows.append((start, len(plain)))
    return rows


def _styled(plain: str, pieces: list[Piece], start: int, end: int, restore: str = "0") -> str:
    """``plain[start:end]`` with the escape codes of the pieces that overlap it; after each
    piece the style returns to ``restore`` (plain text, or a code row's colours)."""
    if not pieces:
        return plain[start:end]
    out: list[str] = []
    at = start
    for first, last, sgr in pieces:
        if last <= start or first >= end:
            continue
        first, last = max(first, start), min(last, end)
        out.append(f"{plain[at:first]}\x1b[{sgr}m{plain[first:last]}\x1b[{restore}m")
        at = last
    out.append(plain[at:end])
    return "".join(out)
