"""Fenced code for the terminal: keywords, strings, comments and numbers coloured per
language, rows folded at the width and, with a background colour, painted to the right edge."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from rich.cells import cell_len, get_character_cell_size

from devagent.ui.mdinline import Palette, Piece, _styled

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
