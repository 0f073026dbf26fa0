"""Streaming markdown: an assistant message rendered as it arrives, without redrawing the screen.

Each complete line goes through ``mdlines.LineRenderer`` once and is written to the terminal's
scrollback, never to be drawn again. Only the line still being written (and a pipe table held
until it ends) lives in a small tail at the bottom, repainted at most every ``min_interval_s``:
the tail's rows are erased line by line (``ESC[2K``, never a screen clear) and drawn again.
When the new output begins with exactly what the tail shows (the partial line grew by plain
text, or it finished as it was drawn), only what follows is written.

Complete lines are rendered and written on those ticks, a batch in one ``write``, so the cost
stays linear in the length of the answer. On a non-terminal no tail is drawn: finished lines
are written as they come and ``finish`` writes the rest. Colour follows the console
(``NO_COLOR`` and pipes get plain text).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from rich.console import Console

from devagent.ui.console import is_live
from devagent.ui.mdlines import BLOCK_STARTS, INLINE_HINT, LineRenderer, palette_for

_MIN_TAIL_ROWS = 3
_HIDE_CURSOR, _SHOW_CURSOR = "\x1b[?25l", "\x1b[?25h"


def rich_table(console: Console) -> Callable[[str, int], str]:
    """A table renderer for ``LineRenderer``: rich's Markdown table, as text for ``console``."""

    def render(source: str, width: int) -> str:
        from rich.markdown import Markdown

        with console.capture() as captured:
            console.print(Markdown(source), width=width)
        return captured.get()

    return render


class StreamingMarkdown:
    """Append-only markdown renderer for one assistant message.

    ``feed`` takes text deltas; ``finish`` writes whatever is left and removes the tail
    (idempotent). Nothing written to scrollback is ever written again. ``clock`` is for tests.
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
        self._live = is_live(console)
        self._lines = LineRenderer(palette_for(console.color_system), rich_table(console))
        self._partial = ""
        self._done: list[str] = []  # complete lines not yet rendered (that waits for a paint)
        self._tail: list[str] = []  # the rows of the tail on screen now
        self._tail_is_partial = False  # the tail is one row: the partial line, unstyled
        self._width, self._height = console.width, console.height
        self._cursor_hidden = False
        self._last_paint = -math.inf
        self._finished = False

    # public surface -------------------------------------------------------------------------

    def feed(self, text: str) -> None:
        """Add a text delta; write finished lines and repaint the tail when due."""
        if self._finished or not text:
            return
        if "\n" in text:
            *done, self._partial = (self._partial + text).split("\n")
            self._done.extend(done)
        else:
            self._partial += text
        now = self._clock()
        if now - self._last_paint >= self.min_interval_s:
            self._last_paint = now
            self._paint()

    def finish(self) -> None:
        """Write everything not yet written and remove the tail. Idempotent."""
        if self._finished:
            return
        self._finished = True
        if self._partial:
            self._done.append(self._partial)
            self._partial = ""
        try:
            self._write(self._redraw(self._render_done() + self._lines.close(self._width)))
        finally:
            self._tail = []
            if self._cursor_hidden:
                self._cursor_hidden = False
                self._write(_SHOW_CURSOR)

    # painting -------------------------------------------------------------------------------

    def _paint(self) -> None:
        if not self._live:
            self._write(self._render_done())
            return
        if not self._done and self._grow_in_place():
            return
        if self._done:  # the terminal's size is read once per batch of lines, not per delta
            self._width, self._height = self.console.size
        ready = self._render_done()
        tail = self._tail_rows()
        hide = "" if self._cursor_hidden or not tail else _HIDE_CURSOR
        self._cursor_hidden = self._cursor_hidden or bool(tail)
        self._write(hide + self._redraw(ready + "\n".join(tail)))
        self._tail = tail
        self._tail_is_partial = tail == [self._partial]

    def _render_done(self) -> str:
        """The rows of the complete lines received since the last paint, rendered in one go
        (a tight loop over a batch costs less than rendering each line as it arrives)."""
        done, self._done = self._done, []
        render, width = self._lines.line, self._width
        return "".join([render(line.removesuffix("\r"), width) for line in done])

    def _grow_in_place(self) -> bool:
        """Write only the new characters when the tail is the partial line drawn as it is, and
        what was added to it is plain text that still fits the row (no markup, no new block)."""
        if not self._tail_is_partial:
            return False
        shown, partial = self._tail[0], self._partial
        added = partial[len(shown) :]
        plain = (
            partial.startswith(shown)
            and len(partial) <= self._width
            and added.isascii()
            and "\r" not in added
            and INLINE_HINT.search(added) is None
            and partial.lstrip(" ")[:1] not in BLOCK_STARTS
        )
        if plain and added:
            self._write(added)
            self._tail = [partial]
        return plain

    def _tail_rows(self) -> list[str]:
        limit = max(_MIN_TAIL_ROWS, self._height // 2)
        width = self._width
        # Only the end of a very long line can be in the tail; render no more than that.
        partial = self._partial[-limit * max(width, 1) :].removesuffix("\r")
        return self._lines.partial(partial, width)[-limit:]

    def _redraw(self, text: str) -> str:
        """What to write to replace the tail with ``text``: only the rest of it when it begins
        with exactly what the tail shows (a line finished as it was drawn), else an erase first."""
        shown = "\n".join(self._tail)
        if shown and text.startswith(shown):
            return text[len(shown) :]
        return self._erase() + text

    def _erase(self) -> str:
        """Move to the tail's first row, erasing each of its rows (nothing above it)."""
        if not self._tail:
            return ""
        return "\r\x1b[2K" + "\x1b[1A\x1b[2K" * (len(self._tail) - 1)

    def _write(self, text: str) -> None:
        if not text:
            return
        file = self.console.file
        file.write(text)
        file.flush()
