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
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

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


class _State(NamedTuple):  # tuples: built on every fence and blank line, so cheap to make
    fence: _Fence | None = None
    blank: bool = True  # the last row written was blank (or nothing was written yet)


_AFTER_BLANK = _State(blank=True)
_AFTER_TEXT = _State(blank=False)
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
        rows = [r for held in self._held for r in self._plain_rows(held, width)]
        if line:
            text, _ = _render(line, self._state, self.palette, width)
            rows.extend(text.split("\n")[:-1])
        return rows

    def close(self, width: int) -> str:
        """Rows for whatever is still held; call once, after the last line."""
        return self._release(width)

    def _plain_rows(self, line: str, width: int) -> list[str]:
        text, _ = _render(line, self._state, self.palette, width)  # no fence while held
        return text.split("\n")[:-1]

    def _release(self, width: int) -> str:
        held, self._held = self._held, []
        if len(held) >= 2 and _TABLE_RULE.match(held[1]) and self._table is not None:
            self._state = _AFTER_TEXT
            return self._table("\n".join(held) + "\n", width)
        out = []
        for line in held:
            text, self._state = _render(line, self._state, self.palette, width)
            out.append(text)
        return "".join(out)


def _piped(line: str) -> bool:
    """Whether ``line`` starts with a pipe (after at most three spaces): a table row."""
    return line[:4].lstrip(" ")[:1] == "|"


def _render(line: str, state: _State, palette: Palette | None, width: int) -> tuple[str, _State]:
    if state.fence is not None:
        return _in_fence(line, state, palette, width)
    body = line.lstrip(" \t")
    if not body:
        return ("" if state.blank else "\n"), _AFTER_BLANK
    lead = body[0]
    if lead in "`~":
        fence = _FENCE_OPEN.match(line)
        if fence is not None and not (lead == "`" and "`" in fence.group(2)):
            marker, info = fence.group(1), fence.group(2).split()
            language = info[0].lower() if info else ""
            return "", _State(fence=_Fence(lead, len(marker), language), blank=state.blank)
    if lead in BLOCK_STARTS:
        done = _structured_line(line, lead, palette, width)
        if done is not None:
            return done, _AFTER_TEXT
    indent = _indent_width(line[: len(line) - len(body)]) if len(body) < len(line) else 0
    shown = " " * indent if indent >= 2 else ""  # a single space is not indentation
    return _rows(body, palette, width, first=shown, rest=shown), _AFTER_TEXT


def _in_fence(line: str, state: _State, palette: Palette | None, width: int) -> tuple[str, _State]:
    fence = state.fence
    assert fence is not None
    if line.lstrip(" ")[:1] == fence.char:
        close = _FENCE_CLOSE.match(line)
        if close and close.group(1)[0] == fence.char and len(close.group(1)) >= fence.size:
            return "", _AFTER_TEXT
    after = state if not state.blank else state._replace(blank=False)
    return _code_line(line, fence.language, palette, width), after


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


# -- code -----------------------------------------------------------------------------------

_KEYWORDS: dict[str, str] = {
    "python": "and as assert async await break class continue def del elif else except False "
    "finally for from global if import in is lambda None nonlocal not or pass raise return "
    "True try while with yield match case self",
    "js": "async await break case catch class const continue debugger default delete do else "
    "export extends false finally for function if import in instanceof let new null of "
    "return static super switch this throw true try typeof undefined var void while yield "
    "interface type enum implements readonly private public protected",
    "go": "break case chan const continue default defer else fallthrough for func go goto if "
    "import interface map package range return select struct switch type var nil true false",
    "rust": "as async await break const continue crate dyn else enum extern false fn for if "
    "impl in let loop match mod move mut pub ref return self Self static struct super trait "
    "true type unsafe use where while None Some Ok Err",
    "shell": "if then else elif fi case esac for while until do done in function return "
    "export local readonly echo cd exit set unset",
    "c": "auto break case char const continue default do double else enum extern float for "
    "goto if int long register return short signed sizeof static struct switch typedef "
    "union unsigned void volatile while class public private protected new delete this "
    "true false null nullptr namespace using template typename bool import package final "
    "throws throw try catch extends implements interface static_cast",
}
_LANGUAGES: dict[str, tuple[str, str]] = {  # language: (keyword set, line comment)
    **dict.fromkeys(("python", "py", "python3", "pycon"), ("python", "#")),
    **dict.fromkeys(("js", "javascript", "ts", "typescript", "jsx", "tsx", "mjs"), ("js", "//")),
    "go": ("go", "//"),
    **dict.fromkeys(("rust", "rs"), ("rust", "//")),
    **dict.fromkeys(("sh", "bash", "shell", "zsh", "console", "shellsession"), ("shell", "#")),
    **dict.fromkeys(
        ("c", "h", "cpp", "c++", "cc", "hpp", "java", "kotlin", "cs", "csharp", "swift"),
        ("c", "//"),
    ),
    **dict.fromkeys(("yaml", "yml", "toml", "ini", "dockerfile", "makefile"), ("", "#")),
    **dict.fromkeys(("sql", "lua"), ("", "--")),
}


@dataclass(frozen=True)
class _Syntax:
    pattern: re.Pattern[str]  # groups: comment, string, number, word
    quoted: re.Pattern[str]  # groups: comment, string
    keywords: frozenset[str]
    comment: str


_STRING = r"""("[^"\\]*(?:\\.[^"\\]*)*"|'[^'\\]*(?:\\.[^'\\]*)*')"""
_DECIMAL = re.compile(r"\d\.\d")


@cache
def _code_syntax(language: str) -> _Syntax | None:
    """How to colour a language's code (None: a language without a keyword list)."""
    known = _LANGUAGES.get(language)
    if known is None:
        return None
    keywords, comment = known
    quoted = rf"({re.escape(comment)}.*$)|{_STRING}"
    pattern = re.compile(
        # The lookahead lets the scan skip what cannot start a token.
        rf"(?=[{re.escape(comment[0])}\"'\w])(?:{quoted}|(\b\d[\d_]*(?:\.\d+)?\b)|([A-Za-z_]\w*))"
    )
    words = frozenset(_KEYWORDS.get(keywords, "").split())
    return _Syntax(pattern, re.compile(quoted), words, comment)


def _code_line(line: str, language: str, palette: Palette | None, width: int) -> str:
    """A code line, indented two cells and folded at the width (on a background if the
    palette has one, painted to the right edge by erasing the rest of the row)."""
    text = line.expandtabs(4) if "\t" in line else line
    ascii_text = text.isascii()
    spans = [(0, len(text))] if ascii_text and len(text) <= width - 2 else _fold(text, width - 2)
    if palette is None:
        return "".join(f"  {text[a:b]}\n" for a, b in spans)
    syntax = _code_syntax(language)
    base = palette.code_block
    if base and len(spans) == 1 and syntax is not None:
        body = _coloured_code(text, syntax, palette)
        return _code_row(body, base, 2 + (len(text) if ascii_text else cell_len(text)), width)
    pieces = _code_pieces(text, syntax, palette) if syntax is not None else []
    if not base:
        return "".join(f"  {_styled(text, pieces, a, b)}\n" for a, b in spans)
    rows = []
    for a, b in spans:
        body = _styled(text, pieces, a, b, palette.code_text)
        rows.append(_code_row(body, base, 2 + cell_len(text[a:b]), width))
    return "".join(rows)


def _code_row(body: str, base: str, used: int, width: int) -> str:
    # Erasing to the end of a full row would erase its last cell.
    return f"\x1b[{base}m  {body}{_ERASE_LINE if used < width else ''}\x1b[0m\n"


_ERASE_LINE = "\x1b[K"
_NON_WORD = re.compile(r"(\W+)")


def _coloured_code(text: str, syntax: _Syntax, palette: Palette) -> str:
    """One code row coloured token by token, exactly as ``_code_pieces`` and ``_styled`` draw
    it, for a fraction of the cost: strings and comments are found first, and what lies between
    them (bounded by quotes or a comment's start, so no word runs across) is coloured by word."""
    if '"' not in text and "'" not in text and syntax.comment not in text:
        return _code_words(text, syntax, palette)
    out, at = [], 0
    after = f"\x1b[{palette.code_text}m"
    for match in syntax.quoted.finditer(text):
        role = palette.comment if match.lastindex == 1 else palette.string
        words = _code_words(text[at : match.start()], syntax, palette)
        out.append(f"{words}\x1b[{role}m{match.group()}{after}")
        at = match.end()
    out.append(_code_words(text[at:], syntax, palette))
    return "".join(out)


def _code_words(text: str, syntax: _Syntax, palette: Palette) -> str:
    """Code without strings or comments, its keywords and numbers coloured."""
    if _DECIMAL.search(text) is None:
        return _words_in_colour(text, syntax.keywords, palette)
    return _styled(text, _code_pieces(text, syntax, palette), 0, len(text), palette.code_text)


def _words_in_colour(text: str, keywords: frozenset[str], palette: Palette) -> str:
    """Code without strings, comments or decimals: keywords and numbers coloured word by word."""
    tokens = _NON_WORD.split(text)  # words at even indices, what separates them at odd ones
    numbers = _DIGIT.search(text) is not None
    after = f"\x1b[{palette.code_text}m"
    for index in range(0, len(tokens), 2):
        token = tokens[index]
        if token in keywords:
            tokens[index] = f"\x1b[{palette.keyword}m{token}{after}"
        elif numbers and token[:1].isdigit() and _NUMBER.fullmatch(token):
            tokens[index] = f"\x1b[{palette.number}m{token}{after}"
    return "".join(tokens)


_DIGIT = re.compile(r"\d")
_NUMBER = re.compile(r"\d[\d_]*")


def _code_pieces(text: str, syntax: _Syntax, palette: Palette) -> list[Piece]:
    roles = ("", palette.comment, palette.string, palette.number, palette.keyword)
    return [
        (m.start(), m.end(), roles[m.lastindex or 1])
        for m in syntax.pattern.finditer(text)
        if m.lastindex != 4 or m.group(4) in syntax.keywords
    ]


def _fold(text: str, width: int) -> list[tuple[int, int]]:
    """Code rows: cut at the width, never at spaces (indentation matters)."""
    width = max(width, 1)
    if text.isascii():
        if len(text) <= width:
            return [(0, len(text))]
        return [(a, min(a + width, len(text))) for a in range(0, len(text), width)]
    rows: list[tuple[int, int]] = []
    start, used = 0, 0
    for index, char in enumerate(text):
        size = get_character_cell_size(char)
        if used + size > width and index > start:
            rows.append((start, index))
            start, used = index, 0
        used += size
    rows.append((start, len(text)))
    return rows


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
