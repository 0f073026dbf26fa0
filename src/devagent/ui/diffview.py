"""Unified diffs for approval: per file a header with +/− counts, then numbered, syntax-coloured
lines with word-level highlights where a removed line was changed into an added one.

The input is the text of ``devagent.diffs.unified_diff`` (what will be written, byte for byte).
Nothing in it reaches the terminal raw: control characters, lone CRs and bidi overrides are
shown as escapes (``\\r``, ``\\u202e``), so a file cannot hide part of an edit. A file whose
every line ends in CRLF is shown without the ``\\r`` and marked ``(CRLF)`` instead.

Without colour (``NO_COLOR``, a pipe) lines are plain ``12 + text`` with no padding.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from devagent.bashparse import escape_controls

if TYPE_CHECKING:
    from rich.syntax import SyntaxTheme

LineKind = Literal["context", "add", "remove"]

THEME = "monokai"
ADD_LINE = Style(bgcolor="#0e3b1b")
ADD_WORD = Style(bgcolor="#1d7a39")
REMOVE_LINE = Style(bgcolor="#47161a")
REMOVE_WORD = Style(bgcolor="#93303a")
SIGNS: dict[LineKind, str] = {"context": " ", "add": "+", "remove": "-"}
SIGN_STYLES: dict[LineKind, str] = {"context": "dim", "add": "green", "remove": "red"}
# Paired lines less alike than this are shown as replaced whole, not word by word.
MIN_WORD_RATIO = 0.3

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")
_WORD = re.compile(r"\w+|\s+|[^\w\s]")
_NO_NEWLINE = "\\ No newline at end of file"


@dataclass
class DiffLine:
    kind: LineKind
    body: str  # without the sign and the line ending
    ending: str  # "\n", "\r\n", "" (last line without newline) or another separator
    old_no: int | None
    new_no: int | None
    no_newline: bool = False


@dataclass
class Hunk:
    header: str
    lines: list[DiffLine] = field(default_factory=list)


@dataclass
class FileDiff:
    """One file of a unified diff. A path of None is ``/dev/null`` (file added or deleted)."""

    old_path: str | None
    new_path: str | None
    hunks: list[Hunk] = field(default_factory=list)
    rename_note: str | None = None

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or "?"

    @property
    def added(self) -> int:
        return sum(1 for h in self.hunks for ln in h.lines if ln.kind == "add")

    @property
    def removed(self) -> int:
        return sum(1 for h in self.hunks for ln in h.lines if ln.kind == "remove")

    @property
    def crlf(self) -> bool:
        lines = [ln for h in self.hunks for ln in h.lines]
        return bool(lines) and all(ln.ending == "\r\n" for ln in lines if ln.ending)


# --- parsing --------------------------------------------------------------------------------


def _strip_prefix(raw: str) -> str | None:
    name = raw.rstrip("\r\n").split("\t", 1)[0]
    if name == "/dev/null":
        return None
    return name[2:] if name.startswith(("a/", "b/")) else name


def _ending(line: str) -> tuple[str, str]:
    body = line.splitlines()[0] if line else ""
    return body, line[len(body) :]


class _Parser:
    def __init__(self) -> None:
        self.files: list[FileDiff] = []
        self.hunk: Hunk | None = None
        self.old_left = self.new_left = 0
        self.old_no = self.new_no = 0

    def feed(self, line: str) -> None:
        if line.startswith("\\"):
            self._mark_no_newline()  # content lines start with " ", "+" or "-", never "\\"
        elif self.hunk is not None and (self.old_left > 0 or self.new_left > 0):
            self._content(line)
        elif line.startswith("--- "):
            self.files.append(FileDiff(_strip_prefix(line[4:]), None))
            self.hunk = None
        elif line.startswith("+++ ") and self.files and self.files[-1].new_path is None:
            self.files[-1].new_path = _strip_prefix(line[4:])
        elif line.startswith("@@"):
            self._start_hunk(line)
        elif line.startswith("rename "):
            body = line[len("rename ") :].rstrip("\r\n")
            old, _, new = body.partition(" → ")
            self.files.append(FileDiff(old, new or None, rename_note=body))

    def _start_hunk(self, line: str) -> None:
        match = _HUNK.match(line.rstrip("\r\n"))
        if match is None or not self.files:
            return
        self.old_no, self.new_no = int(match.group(1)), int(match.group(3))
        self.old_left = int(match.group(2)) if match.group(2) is not None else 1
        self.new_left = int(match.group(4)) if match.group(4) is not None else 1
        self.hunk = Hunk(line.rstrip("\r\n"))
        self.files[-1].hunks.append(self.hunk)

    def _content(self, line: str) -> None:
        assert self.hunk is not None
        sign, rest = line[:1], line[1:]
        body, ending = _ending(rest)
        if sign == "+":
            self.hunk.lines.append(DiffLine("add", body, ending, None, self.new_no))
            self.new_no, self.new_left = self.new_no + 1, self.new_left - 1
        elif sign == "-":
            self.hunk.lines.append(DiffLine("remove", body, ending, self.old_no, None))
            self.old_no, self.old_left = self.old_no + 1, self.old_left - 1
        else:
            self.hunk.lines.append(DiffLine("context", body, ending, self.old_no, self.new_no))
            self.old_no, self.new_no = self.old_no + 1, self.new_no + 1
            self.old_left, self.new_left = self.old_left - 1, self.new_left - 1

    def _mark_no_newline(self) -> None:
        if self.hunk is not None and self.hunk.lines:
            self.hunk.lines[-1].no_newline = True


def parse_unified_diff(diff: str) -> list[FileDiff]:
    """The files, hunks and lines of a unified diff (as ``devagent.diffs`` writes them)."""
    parser = _Parser()
    for line in diff.splitlines(keepends=True):
        parser.feed(line)
    return parser.files


# --- highlighting ---------------------------------------------------------------------------


@cache
def _theme() -> SyntaxTheme:
    from rich.syntax import Syntax

    return Syntax.get_theme(THEME)


@cache
def _token_style(token_type: Any) -> Style:
    """The theme's colour for a token, without its background (the diff bands show through)."""
    style = _theme().get_style_for_token(token_type)
    return Style(color=style.color, bold=style.bold, italic=style.italic)


@cache
def _lexer(path: str) -> Any:
    """The pygments lexer for ``path``'s name (via rich, which owns the pygments dependency),
    or None for plain text."""
    from rich.syntax import Syntax

    # tab_size 0: pygments must not expand tabs, so columns match the text shown.
    return Syntax("", Syntax.guess_lexer(path), tab_size=0).lexer


def _highlight(bodies: list[str], path: str) -> list[Text]:
    """Each line of ``bodies`` coloured as part of one file, so multi-line tokens hold."""
    if not bodies:
        return []
    lexer = _lexer(path)
    if lexer is None:
        return [Text(body) for body in bodies]
    text = Text()
    for token_type, value in lexer.get_tokens("\n".join(bodies)):
        text.append(value, style=_token_style(token_type))
    lines = text.split("\n", allow_blank=True)[: len(bodies)]
    if [line.plain for line in lines] != bodies:
        return [Text(body) for body in bodies]  # the lexer changed the text: show it uncoloured
    return list(lines)


def _word_spans(old: str, new: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Character ranges that differ between two paired lines, compared word by word."""
    a, b = _WORD.findall(old), _WORD.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < MIN_WORD_RATIO:
        return [], []
    a_at, b_at = _offsets(a), _offsets(b)
    old_spans: list[tuple[int, int]] = []
    new_spans: list[tuple[int, int]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:
            old_spans.append((a_at[i1], a_at[i2]))
        if j2 > j1:
            new_spans.append((b_at[j1], b_at[j2]))
    return old_spans, new_spans


def _offsets(tokens: list[str]) -> list[int]:
    at = [0]
    for token in tokens:
        at.append(at[-1] + len(token))
    return at


def _change_runs(lines: list[DiffLine]) -> Iterator[tuple[list[int], list[int]]]:
    """Index lists of each run of removed lines followed by added lines."""
    i = 0
    while i < len(lines):
        removed = []
        while i < len(lines) and lines[i].kind == "remove":
            removed.append(i)
            i += 1
        added = []
        while i < len(lines) and lines[i].kind == "add":
            added.append(i)
            i += 1
        if removed and added:
            yield removed, added
        if not removed and not added:
            i += 1


# --- rendering ------------------------------------------------------------------------------


def _shown(body: str, ending: str, crlf: bool) -> str:
    visible_ending = "" if ending == "\n" or (crlf and ending == "\r\n") else ending
    return escape_controls(body + visible_ending.rstrip("\n"))


def diff_header(file: FileDiff) -> Text:
    """``path  +N −M``; ``(new)``/``(deleted)``/``old → new`` and ``(CRLF)`` where they apply."""
    header = Text()
    if file.rename_note is not None or (
        file.old_path and file.new_path and file.old_path != file.new_path
    ):
        header.append(escape_controls(f"{file.old_path} → {file.new_path}"), style="bold")
    else:
        header.append(escape_controls(file.path), style="bold")
    if file.old_path is None:
        header.append(" (new)", style="dim")
    elif file.new_path is None and file.rename_note is None:
        header.append(" (deleted)", style="dim")
    if file.crlf:
        header.append(" (CRLF)", style="dim")
    header.append("  ")
    header.append(f"+{file.added}", style="green")
    header.append(" ")
    header.append(f"−{file.removed}", style="red")
    return header


class DiffView:
    """A rich renderable of a unified diff (one or more files)."""

    def __init__(self, diff: str) -> None:
        self.files = parse_unified_diff(diff)

    @property
    def added(self) -> int:
        return sum(f.added for f in self.files)

    @property
    def removed(self) -> int:
        return sum(f.removed for f in self.files)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        colour = console.color_system is not None
        for index, file in enumerate(self.files):
            if index:
                yield Text()
            yield diff_header(file)
            yield from _FileRender(file, colour).rows(console, options)


class _FileRender:
    def __init__(self, file: FileDiff, colour: bool) -> None:
        self.file = file
        self.colour = colour
        numbers = [n for h in file.hunks for ln in h.lines for n in (ln.old_no, ln.new_no) if n]
        self.width = len(str(max(numbers, default=0)))

    def rows(self, console: Console, options: ConsoleOptions) -> Iterable[Segment | Text]:
        for hunk in self.file.hunks:
            yield Text(hunk.header, style="cyan dim", no_wrap=True, overflow="ellipsis")
            texts = self._coloured(hunk.lines)
            for line, text in zip(hunk.lines, texts, strict=True):
                yield from self._line(line, text, console, options)

    def _coloured(self, lines: list[DiffLine]) -> list[Text]:
        crlf = self.file.crlf
        shown = [_shown(ln.body, ln.ending, crlf) for ln in lines]
        old_side = [i for i, ln in enumerate(lines) if ln.kind != "add"]
        new_side = [i for i, ln in enumerate(lines) if ln.kind != "remove"]
        texts: list[Text] = [Text() for _ in lines]
        for side in (old_side, new_side):
            coloured = _highlight([shown[i] for i in side], self.file.path)
            for i, text in zip(side, coloured, strict=True):
                texts[i] = text
        for removed, added in _change_runs(lines):
            for r, a in zip(removed, added, strict=False):
                old_spans, new_spans = _word_spans(shown[r], shown[a])
                for start, end in old_spans:
                    texts[r].stylize(REMOVE_WORD, start, end)
                for start, end in new_spans:
                    texts[a].stylize(ADD_WORD, start, end)
        return texts

    def _line(
        self, line: DiffLine, text: Text, console: Console, options: ConsoleOptions
    ) -> Iterator[Segment]:
        number = line.new_no if line.kind != "remove" else line.old_no
        gutter = f"{number or '':>{self.width}} {SIGNS[line.kind]} "
        code_width = max(options.max_width - len(gutter), 8)
        band = {"add": ADD_LINE, "remove": REMOVE_LINE}.get(line.kind) if self.colour else None
        text.no_wrap, text.overflow = False, "fold"
        rows = console.render_lines(
            text, options.update(width=code_width), style=band, pad=band is not None
        )
        sign_style = console.get_style(SIGN_STYLES[line.kind])
        for index, row in enumerate(rows):
            lead = gutter if index == 0 else " " * len(gutter)
            if band is None and not any(seg.text for seg in row):
                lead = lead.rstrip()
            yield Segment(lead, sign_style + band)
            yield from row
            yield Segment.line()
        if line.no_newline:
            yield Segment(" " * len(gutter) + _NO_NEWLINE, console.get_style("dim"))
            yield Segment.line()
