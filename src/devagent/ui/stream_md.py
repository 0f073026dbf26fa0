"""Streaming markdown: an assistant message rendered as it arrives, without redrawing the screen.

The text is cut into markdown blocks at blank lines outside code fences. A completed block is
rendered once with ``console.print`` and so lands in the terminal's scrollback, never to be
drawn again; only the open block (its last few rendered rows) lives in a transient rich
``Live`` region that is repainted at most every ``min_interval_s``. Completed blocks are
printed in batches on those same ticks, so the cost stays linear in the length of the answer
and one ``Markdown`` parse covers many blocks.

A blank line only ends a block when the next line starts a new top-level element (it is not
indented and not a list item); a loose list or an indented continuation stays in one block, so
the blocks render exactly as the whole message would. On a non-terminal no ``Live`` is used:
completed blocks are printed and ``finish`` prints the rest.
"""

from __future__ import annotations

import copy
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.text import Text

from devagent.ui.console import is_live

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from rich.live import Live
    from rich.markdown import Markdown

_FENCE_OPEN = re.compile(r"^[ \t]*(`{3,}|~{3,})(.*)$")
# HTML blocks (CommonMark types 1-6 may interrupt a paragraph; type 7, any tag, may not).
_HTML_INTERRUPT = re.compile(
    r"^ {0,3}(?:<!--|<\?|<![A-Za-z]|<!\[CDATA\[|</?(?:address|article|aside|base|basefont|"
    r"blockquote|body|caption|center|col|colgroup|dd|details|dialog|dir|div|dl|dt|fieldset|"
    r"figcaption|figure|footer|form|frame|frameset|h[1-6]|head|header|hr|html|iframe|legend|"
    r"li|link|main|menu|menuitem|nav|noframes|ol|optgroup|option|p|param|pre|script|search|"
    r"section|style|summary|table|tbody|td|textarea|tfoot|th|thead|title|tr|track|ul)"
    r"(?:[\s/>]|$))",
    re.IGNORECASE,
)
_HTML_ANY_TAG = re.compile(r"^ {0,3}</?[A-Za-z][A-Za-z0-9-]*(?:[\s/>]|$)")
_FENCE_CLOSE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*$")
# Lines that may continue the element before a blank line: indented text and list items.
_CONTINUES = re.compile(r"^(?:[ \t]|[-*+](?:[ \t]|$)|\d{1,9}[.)](?:[ \t]|$))")
# Line starts that may still become a list item.
_UNDECIDED = re.compile(r"^(?:\d{1,9}[.)]?|[-*+])$")
# A paragraph with none of these renders as its words joined by spaces (see _plain_text).
_MARKUP_CHARS = re.compile(r"[*_`\[\]<>#|~\\!&=:]|^\s*(?:[-+>]|\d+[.)])|  $|^(?: {4}|\t)", re.M)
_MIN_TAIL_ROWS = 3
# rich renders these with their own leading blank line, wherever they stand.
_CONTAINER_OPENERS = frozenset(
    {"bullet_list_open", "ordered_list_open", "blockquote_open", "table_open"}
)


class _BlockSplitter:
    """Cuts complete lines into markdown blocks; each line is looked at once."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.fence: tuple[str, int] | None = None
        self.fence_opener = ""
        self._after_blank = False
        self._in_html = False
        self.version = 0  # changes whenever ``lines`` does
        self.block_no = 0  # changes whenever a new block starts

    def push(self, line: str) -> str | None:
        """Add one line (with its newline); return the block it completed, if any."""
        body = line.rstrip("\r\n")
        done = None
        if self.fence is not None:
            self._close_fence(body)
        elif not body.strip():
            self._after_blank, self._in_html = True, False
        else:
            starts_block = self._after_blank or not self.lines
            if self._after_blank and self.lines and not _CONTINUES.match(body):
                done = self._cut()
            self._after_blank = False
            # An HTML block runs to the next blank line; a ``` inside it opens no fence.
            self._in_html = self._in_html or _opens_html(body, starts_block=starts_block)
            if not self._in_html:
                self._open_fence(body)
        self.lines.append(line)
        self.version += 1
        return done

    def close_before(self, partial: str) -> str | None:
        """The open block, if the line being written already shows it starts a new one."""
        if self.fence is not None or not self._after_blank or not self.lines:
            return None
        if not partial.strip() or not _decided(partial):
            return None
        if _CONTINUES.match(partial):
            return None
        return self._cut()

    def take_rest(self) -> str:
        self.fence, self._after_blank, self._in_html = None, False, False
        return self._cut()

    def _cut(self) -> str:
        """End the open block and return its text."""
        done = "".join(self.lines)
        self.lines = []
        self.version += 1
        self.block_no += 1
        return done

    def _open_fence(self, body: str) -> None:
        match = _FENCE_OPEN.match(body)
        if match is None:
            return
        marker, info = match.group(1), match.group(2)
        if marker[0] == "`" and "`" in info:
            return
        self.fence = (marker[0], len(marker))
        self.fence_opener = body

    def _close_fence(self, body: str) -> None:
        match = _FENCE_CLOSE.match(body)
        assert self.fence is not None
        if match is None:
            return
        marker = match.group(1)
        if marker[0] == self.fence[0] and len(marker) >= self.fence[1]:
            self.fence = None


def _decided(partial: str) -> bool:
    """Whether more text on this line cannot change if it continues the block before it."""
    return _UNDECIDED.match(partial) is None


def _opens_html(body: str, *, starts_block: bool) -> bool:
    if _HTML_INTERRUPT.match(body):
        return True
    return starts_block and _HTML_ANY_TAG.match(body) is not None


@dataclass(frozen=True)
class _StableCache:
    """Rendered rows of the open block's complete lines, and what they were rendered from."""

    version: int
    width: int
    block_no: int
    line_count: int
    fence: tuple[str, int] | None
    rows: list[list[Segment]]

    def extends_to(self, splitter: _BlockSplitter, width: int) -> bool:
        """Whether only new code lines of the same open fence were added since."""
        return (
            self.fence is not None
            and self.fence == splitter.fence
            and self.width == width
            and self.block_no == splitter.block_no
            and self.line_count < len(splitter.lines)
        )


class _Rows:
    """Pre-rendered rows, drawn as they are (the live tail)."""

    def __init__(self, rows: list[list[Segment]]) -> None:
        self.rows = rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        newline = Segment.line()
        for row in self.rows:
            yield from row
            yield newline


@cache
def _prototype() -> tuple[Markdown, MarkdownIt | None]:
    """An empty ``Markdown`` to copy, and a parser configured as rich configures its own.

    Building a markdown-it parser costs far more than parsing a paragraph, and rich builds a
    new one for every ``Markdown``; copying a prototype and parsing with one shared parser
    keeps the cost per block proportional to its length.
    """
    from markdown_it import MarkdownIt
    from rich.markdown import Markdown

    # "default" justification: paragraphs are not padded with spaces to the full width.
    proto = Markdown("", justify="default")
    if not hasattr(proto, "parsed") or not hasattr(proto, "markup"):
        return proto, None
    return proto, MarkdownIt().enable("strikethrough").enable("table")


def _markdown(source: str) -> Markdown:
    """``rich.markdown.Markdown(source)``, without rebuilding the parser each time."""
    proto, parser = _prototype()
    if parser is None:
        from rich.markdown import Markdown

        return Markdown(source, justify="default")
    markdown = copy.copy(proto)
    markdown.markup = source
    markdown.parsed = parser.parse(source)
    return markdown


def _plain_text(block: str) -> Text | None:
    """A paragraph without any markdown syntax, rendered as rich's Markdown would; else None."""
    if _MARKUP_CHARS.search(block):
        return None
    words = " ".join(line.strip() for line in block.splitlines() if line.strip())
    if not words:
        return None
    return Text(words, style="markdown.paragraph", justify="default")


def _split_plain_runs(blocks: Iterable[str]) -> list[tuple[bool, str]]:
    """Consecutive blocks grouped into runs (is_plain, source): each plain paragraph alone,
    the blocks between them joined so one parse covers them."""
    runs: list[tuple[bool, str]] = []
    pending: list[str] = []
    for block in blocks:
        if _plain_text(block) is None:
            pending.append(block)
            continue
        if pending:
            runs.append((False, "".join(pending)))
            pending = []
        runs.append((True, block))
    if pending:
        runs.append((False, "".join(pending)))
    return runs


class StreamingMarkdown:
    """Append-only markdown renderer for one assistant message.

    ``feed`` takes text deltas; ``finish`` prints whatever is left and closes the live tail
    (idempotent). Nothing printed is ever printed again. ``clock`` exists for tests.
    """

    def __init__(
        self,
        console: Console,
        *,
        min_interval_s: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.console = console
        self.min_interval_s = min_interval_s
        self._clock = clock
        self._live_ok = is_live(console)
        self._live: Live | None = None
        self._splitter = _BlockSplitter()
        self._partial = ""
        self._ready: list[str] = []
        self._last_paint = -math.inf
        self._gap_needed = False
        self._finished = False
        self._stable_cache: _StableCache | None = None

    # public surface -------------------------------------------------------------------------

    def feed(self, text: str) -> None:
        """Add a text delta; print completed blocks and repaint the tail when due."""
        if self._finished or not text:
            return
        self._ingest(text)
        now = self._clock()
        if now - self._last_paint >= self.min_interval_s:
            self._last_paint = now
            self._paint()

    def finish(self) -> None:
        """Print everything not yet printed and remove the live tail. Idempotent."""
        if self._finished:
            return
        self._finished = True
        if self._partial:
            self._push_line(self._partial)
            self._partial = ""
        rest = self._splitter.take_rest()
        if rest.strip():
            self._ready.append(rest)
        try:
            if self._live is not None:
                self._live.update(Text(""), refresh=False)
            self._flush_ready()
        finally:
            if self._live is not None:
                self._live.stop()
                self._live = None

    # ingesting ------------------------------------------------------------------------------

    def _ingest(self, text: str) -> None:
        if "\n" in text:
            first, *middle, last = (self._partial + text).split("\n")
            self._push_line(first + "\n")
            for line in middle:
                self._push_line(line + "\n")
            self._partial = last
        else:
            self._partial += text
        done = self._splitter.close_before(self._partial)
        if done is not None and done.strip():
            self._ready.append(done)

    def _push_line(self, line: str) -> None:
        done = self._splitter.push(line)
        if done is not None and done.strip():
            self._ready.append(done)

    # painting -------------------------------------------------------------------------------

    def _paint(self) -> None:
        if not self._live_ok:
            self._flush_ready()
            return
        if self._live is None:
            self._start_live()
        assert self._live is not None
        self._live.update(self._tail_rows(), refresh=False)
        if self._ready:
            self._flush_ready()  # printing under a Live repaints the tail once
        else:
            self._live.refresh()

    def _start_live(self) -> None:
        from rich.live import Live

        self._live = Live(
            Text(""),
            console=self.console,
            auto_refresh=False,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._live.start()

    def _tail_rows(self) -> _Rows:
        """The open block's last rows: its complete lines (rendered once per new line) and
        the line still being written (rendered on every paint, and short)."""
        limit = self._tail_limit()
        rows = [*self._stable_rows(limit), *self._partial_rows(limit)]
        return _Rows(rows[-limit:])

    def _tail_limit(self) -> int:
        return max(_MIN_TAIL_ROWS, self.console.height // 2)

    def _stable_rows(self, limit: int) -> list[list[Segment]]:
        splitter, width, cache = self._splitter, self.console.width, self._stable_cache
        if cache is not None and (cache.version, cache.width) == (splitter.version, width):
            return cache.rows
        if cache is not None and cache.extends_to(splitter, width):
            # Inside an open fence each new line is rendered once, on its own.
            rows = cache.rows + self._code_rows(splitter.lines[cache.line_count :])
        else:
            source = self._stable_source(limit)
            rows = self.console.render_lines(_markdown(source), pad=False) if source.strip() else []
            if splitter.fence is not None and rows:
                # Drop the code block's bottom padding (the fence is still open), and the empty
                # code row drawn while the fence holds no line yet.
                empty = splitter.lines[-1].rstrip("\r\n") == splitter.fence_opener
                rows = rows[:1] if empty else rows[:-1]
        rows = rows[-limit:]
        self._stable_cache = _StableCache(
            splitter.version, width, splitter.block_no, len(splitter.lines), splitter.fence, rows
        )
        return rows

    def _code_rows(self, lines: list[str]) -> list[list[Segment]]:
        source = self._splitter.fence_opener + "\n" + "".join(lines)
        rows = self.console.render_lines(_markdown(source), pad=False)
        return rows[1:-1]  # without the code block's top and bottom padding

    def _stable_source(self, limit: int) -> str:
        """The open block's last complete lines: enough to fill the tail, never the whole
        block, so a long block costs the same per line as a short one."""
        splitter = self._splitter
        lines = splitter.lines[-limit:]
        if len(lines) < len(splitter.lines) and splitter.fence is None:
            # Start at a top-level line so a cut list or paragraph is not taken for code.
            starts = [i for i, line in enumerate(lines) if line[:1] not in (" ", "\t", "\n")]
            lines = lines[starts[0] :] if starts else lines
        elif len(lines) < len(splitter.lines):
            lines = [splitter.fence_opener + "\n", *lines]
        return "".join(lines)

    def _partial_rows(self, limit: int) -> list[list[Segment]]:
        partial = self._partial[-limit * max(self.console.width, 1) :]
        if not partial.strip():
            return []
        if self._splitter.fence is not None:
            return self._code_rows([partial + "\n"])
        renderable = _plain_text(partial) or _markdown(partial)
        return self.console.render_lines(renderable, pad=False)

    def _flush_ready(self) -> None:
        if not self._ready:
            return
        blocks, self._ready = self._ready, []
        for plain, source in _split_plain_runs(blocks):
            self._print_run(plain, source)

    def _print_run(self, plain: bool, source: str) -> None:
        if plain:
            text = _plain_text(source)
            assert text is not None
            self._print_after_gap(text, leads_with_gap=False)
            self._gap_needed = True
            return
        markdown = _markdown(source)
        top_level = [token.type for token in markdown.parsed if token.level == 0]
        self._print_after_gap(
            markdown, leads_with_gap=bool(top_level) and top_level[0] in _CONTAINER_OPENERS
        )
        # rich follows every top-level element with a blank line, except a rule, which draws
        # its own.
        self._gap_needed = not top_level or top_level[-1] != "hr"

    def _print_after_gap(self, renderable: Text | Markdown, *, leads_with_gap: bool) -> None:
        if self._gap_needed and not leads_with_gap:
            self.console.print()
        self.console.print(renderable)
