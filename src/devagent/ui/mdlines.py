"""Markdown for the terminal, one source line at a time, written as ANSI text.

Each complete line of an answer is rendered on its own, from a little state carried between
lines (an open code fence, whether the last row was blank), so a line is final once its newline
arrives and streaming never has to draw it again. The cost is a few regular-expression
matches and a word wrap per line; nothing is parsed twice.

What it draws: ATX headings, bullet / numbered / task list items with a hanging indent, block
quotes, thematic breaks, fenced code (keywords, strings, comments and numbers coloured, on a
dark background when the terminal has 256 colours), and inline code, strong, emphasis,
strikethrough, links (``text (url)``) and images (their alt text). Pipe tables are held until
the table ends and drawn by rich. Source line breaks are kept; long lines are word-wrapped to
the width. Without a palette (``NO_COLOR``, a pipe) the same layout is written without escape
codes.

This module owns the block structure; inline markup, palettes and wrapping are in ``mdinline``,
code colouring in ``mdcode``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from devagent.ui.mdcode import _code_line
from devagent.ui.mdinline import (
    _DEFAULT_PALETTE,
    INLINE_HINT,
    Palette,
    _drawn,
    _markup,
    _plain,
    _styled,
    inline,
    palette_for,
    wrap,
)

# -- block structure ------------------------------------------------------------------------

_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_FENCE_CLOSE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*))?$")
_ITEM = re.compile(r"^([ \t]*)([-*+]|\d{1,9}[.)])(?:[ \t]+(.*)|$)")
_TASK = re.compile(r"^\[([ xX])\][ \t]+")
_QUOTE = re.compile(r"^ {0,3}>[ \t]?")
_TABLE_RULE = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")


class _Fence(NamedTuple):
    char: str
    size: int
    language: str
    drawn: bool = False  # a code row of this block was written
    held: int = 0  # blank code lines not yet written: only drawn if more code follows


class _State(NamedTuple):  # tuples: built on every fence and blank line, so cheap to make
    fence: _Fence | None = None
    started: bool = False  # a row was written
    gap: bool = False  # a blank row is owed before the next row (none at the start or the end)


_AFTER_TEXT = _State(started=True)
# The first non-blank character of lines that may be more than a paragraph line.
BLOCK_STARTS = frozenset("-*_+#>0123456789")


TableRenderer = Callable[[str, int], str]


class LineRenderer:
    """Renders complete markdown lines in order; ``partial`` previews an unfinished one.

    ``table`` draws a pipe table's source (held until the table ends) at a width.
    """

    def __init__(self, palette: Palette | None, table: TableRenderer | None = None) -> None:
        self.palette = palette
        self._table = table
        self._state = _State()
        self._held: list[str] = []  # lines of a table (or what may start one)

    def line(self, line: str, width: int) -> str:
        """Rows for one complete line (without its newline), each ending in a newline."""
        if self._state.fence is None and (self._held or ("|" in line[:4] and _piped(line))):
            return self._table_line(line, width)
        text, self._state = _render(line, self._state, self.palette, width)
        return text

    def _table_line(self, line: str, width: int) -> str:
        if _piped(line):
            self._held.append(line)
            return ""
        out = self._release(width)
        text, self._state = _render(line, self._state, self.palette, width)
        return out + text

    def partial(self, line: str, width: int) -> list[str]:
        """Rows (without newlines) for held table lines and a line still being written."""
        state, rows = self._state, []
        for held in [*self._held, line] if line else self._held:
            text, state = _render(held, state, self.palette, width)  # no fence while held
            rows.extend(text.split("\n")[:-1])
        return rows

    def close(self, width: int) -> str:
        """Rows for whatever is still held; call once, after the last line."""
        return self._release(width)

    def _release(self, width: int) -> str:
        held, self._held = self._held, []
        if len(held) >= 2 and _TABLE_RULE.match(held[1]) and self._table is not None:
            table = _trimmed(self._table("\n".join(held) + "\n", width))
            gap, self._state = _gap(self._state), _AFTER_TEXT
            return gap + table
        out = []
        for line in held:
            text, self._state = _render(line, self._state, self.palette, width)
            out.append(text)
        return "".join(out)


def _piped(line: str) -> bool:
    """Whether ``line`` starts with a pipe (after at most three spaces): a table row."""
    return line[:4].lstrip(" ")[:1] == "|"


def _trimmed(rows: str) -> str:
    """Rows without the blank ones at either end (rich pads a table with them)."""
    lines = rows.split("\n")
    blank = [not _SGR.sub("", line).strip() for line in lines]
    if all(blank):
        return ""
    first, last = blank.index(False), len(blank) - blank[::-1].index(False)
    return "\n".join(lines[first:last]) + "\n"


_SGR = re.compile(r"\x1b\[[0-9;]*m")


def _gap(state: _State) -> str:
    return "\n" if state.gap else ""


def _render(line: str, state: _State, palette: Palette | None, width: int) -> tuple[str, _State]:
    """Rows for one line outside a table. A blank line writes nothing: it owes a blank row to
    whatever row comes next, so runs of blank lines, and blank lines at the end, draw none."""
    if state.fence is not None:
        return _in_fence(line, state, palette, width)
    body = line.lstrip(" \t")
    if not body:
        return "", state._replace(gap=state.started)
    lead = body[0]
    if lead in "`~":
        fence = _FENCE_OPEN.match(line)
        if fence is not None and not (lead == "`" and "`" in fence.group(2)):
            marker, info = fence.group(1), fence.group(2).split()
            language = info[0].lower() if info else ""
            return "", state._replace(fence=_Fence(lead, len(marker), language))
    if lead in BLOCK_STARTS:
        done = _structured_line(line, lead, palette, width)
        if done is not None:
            return _gap(state) + done, _AFTER_TEXT
    indent = _indent_width(line[: len(line) - len(body)]) if len(body) < len(line) else 0
    shown = " " * indent if indent >= 2 else ""  # a single space is not indentation
    return _gap(state) + _rows(body, palette, width, first=shown, rest=shown), _AFTER_TEXT


def _in_fence(line: str, state: _State, palette: Palette | None, width: int) -> tuple[str, _State]:
    """A code row. Blank lines at a block's start are dropped and those before its end never
    drawn: they are held until more code follows."""
    fence = state.fence
    assert fence is not None
    if line.lstrip(" ")[:1] == fence.char:
        close = _FENCE_CLOSE.match(line)
        if close and close.group(1)[0] == fence.char and len(close.group(1)) >= fence.size:
            return "", state._replace(fence=None)
    if not line.strip():
        return "", state._replace(
            fence=fence._replace(held=fence.held + 1)
        ) if fence.drawn else state
    blanks = _code_line("", fence.language, palette, width) * fence.held
    row = _code_line(line, fence.language, palette, width)
    after = _State(fence._replace(drawn=True, held=0), started=True)
    return _gap(state) + blanks + row, after


def _structured_line(line: str, lead: str, palette: Palette | None, width: int) -> str | None:
    """A heading, rule, quote or list item, drawn; None for a paragraph line."""
    if lead in "-*_" and _RULE.match(line):
        return _paint("─" * width, palette.rule if palette else "") + "\n"
    if lead == "#":
        heading = _HEADING.match(line)
        if heading is None:
            return None
        sgr = (palette or _DEFAULT_PALETTE).headings[len(heading.group(1)) - 1]
        return _rows(_heading_text(heading.group(2) or ""), palette, width, sgr=sgr)
    if lead == ">":
        return _quote_line(line, palette, width) if _QUOTE.match(line) else None
    item = _ITEM.match(line) if lead in "-*+0123456789" else None
    return _item_line(item, palette, width) if item is not None else None


def _heading_text(text: str) -> str:
    """A heading's text without trailing blanks and the closing run of ``#`` (CommonMark: the
    run counts only after a blank, or when it is all there is)."""
    text = text.rstrip(" \t")
    if text[-1:] != "#":
        return text
    bare = text.rstrip("#")
    return bare.rstrip(" \t") if bare[-1:] in ("", " ", "\t") else text


def _quote_line(line: str, palette: Palette | None, width: int) -> str:
    depth, rest = 0, line
    while (match := _QUOTE.match(rest)) is not None:
        depth, rest = depth + 1, rest[match.end() :]
    bar = _paint("▌ " * depth, palette.quote if palette else "")
    return _rows(rest, palette, width, first=bar, rest=bar, prefix_cells=2 * depth)


def _item_line(item: re.Match[str], palette: Palette | None, width: int) -> str:
    indent = " " * _indent_width(item.group(1)) if item.start(2) else ""
    marker, body = item.group(2), item.group(3) or ""
    shown = "•" if marker in "-*+" else marker
    task = _TASK.match(body) if body[:1] == "[" else None
    if task is not None and marker in "-*+":
        shown, body = ("☑" if task.group(1) in "xX" else "☐"), body[task.end() :]
    style = palette.bullet if palette else ""
    first = indent + _paint(shown, style) + " "
    hanging = len(indent) + len(shown) + 1
    return _rows(body, palette, width, first=first, rest=" " * hanging, prefix_cells=hanging)


def _rows(
    text: str,
    palette: Palette | None,
    width: int,
    *,
    first: str = "",
    rest: str = "",
    prefix_cells: int | None = None,
    sgr: str = "",
) -> str:
    """``text`` with inline markup, wrapped after a prefix (``first`` on the first row)."""
    room = width - (len(first) if prefix_cells is None else prefix_cells)
    fits = len(text) <= room and text.isascii()  # markup only ever shortens the text
    if INLINE_HINT.search(text) is None:
        if fits:
            return f"{first}{_paint(text, sgr) if palette else text}\n"
        segments = [(text, sgr)]
    else:
        segments = _markup(text, palette, sgr)
        if fits:
            drawn = _drawn(segments) if palette else "".join(t for t, _ in segments)
            return f"{first}{drawn}\n"
    plain, pieces = _plain(segments)
    if palette is None:
        pieces = []
    spans = wrap(plain, room)
    out = [first + _styled(plain, pieces, *spans[0]) + "\n"]
    out.extend(rest + _styled(plain, pieces, a, b) + "\n" for a, b in spans[1:])
    return "".join(out)


def _indent_width(indent: str) -> int:
    return len(indent.expandtabs(4))


def _paint(text: str, sgr: str) -> str:
    return f"\x1b[{sgr}m{text}\x1b[0m" if sgr and text else text


def render_markdown(
    text: str, width: int, palette: Palette | None, table: TableRenderer | None = None
) -> str:
    """The whole of ``text`` rendered, exactly as streaming it line by line prints it."""
    renderer = LineRenderer(palette, table)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out = [renderer.line(line.rstrip("\r"), width) for line in lines]
    out.append(renderer.close(width))
    return "".join(out)


__all__ = [
    "BLOCK_STARTS",
    "INLINE_HINT",
    "LineRenderer",
    "Palette",
    "inline",
    "palette_for",
    "render_markdown",
    "wrap",
]
