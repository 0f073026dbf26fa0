"""The live status while a turn works: the spinner with what is going on, and the toolbar.

    ⠋ Running Bash… (12s · 3.4k tokens · esc to interrupt)
     claude-sonnet-4-5 · agent: default · mode: default (shift+tab) · 8.1k tokens · $0.0123 ·…

``TurnClock`` keeps what the line reports: when the turn started and the tokens its requests
have used so far (input, cache and output, as the toolbar counts them; shown once the first
reply has come). ``StatusLine`` draws the spinner row and, below it, the chat's toolbar, so the
toolbar stays on screen during a turn. It reads the clock each time it is drawn, so the
seconds count up while the spinner runs. Both rows are cut at the console's width.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from devagent.messages import Usage
from devagent.ui.toolview import OneLine

if TYPE_CHECKING:
    from rich.spinner import Spinner

Clock = Callable[[], float]


def short_count(n: int) -> str:
    """``950``, ``1.2k``, ``3.4M``."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 1000:
        return f"{n / 1000:.1f}k"
    return str(n)


def elapsed_text(seconds: float) -> str:
    """``7s``, ``59s``, ``1m 05s``."""
    whole = max(0, int(seconds))
    return f"{whole}s" if whole < 60 else f"{whole // 60}m {whole % 60:02d}s"


class TurnClock:
    """When the running turn started and the tokens it has used; ``reset`` when it ends."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self.started: float | None = None
        self.tokens = 0

    def start(self) -> None:
        """Mark the turn's start; later calls in the same turn change nothing."""
        if self.started is None:
            self.started = self.clock()

    def add(self, usage: Usage) -> None:
        self.tokens += (
            usage.input_tokens
            + usage.cache_read_input_tokens
            + usage.cache_creation_input_tokens
            + usage.output_tokens
        )

    def reset(self) -> None:
        self.started = None
        self.tokens = 0

    def describe(self) -> str:
        """``12s · 3.4k tokens · esc to interrupt``."""
        parts = [elapsed_text(self.clock() - (self.started or self.clock()))]
        if self.tokens:
            parts.append(f"{short_count(self.tokens)} tokens")
        parts.append("esc to interrupt")
        return " · ".join(parts)


class StatusLine:
    """The spinner row (``label (describe)``) and the toolbar row, drawn from ``turn``."""

    def __init__(
        self, label: str, turn: TurnClock, toolbar: Callable[[], str] | None = None
    ) -> None:
        from rich.spinner import Spinner

        self.label = label
        self.turn = turn
        self.toolbar = toolbar
        self._spinner: Spinner = Spinner("dots", style="cyan")

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        row = Text()
        row.append_text(self._frame())
        row.append(" " + self.label, style="dim")
        row.append(f" ({self.turn.describe()})", style="dim")
        yield OneLine(row)
        if self.toolbar is not None:
            yield OneLine(Text(self.toolbar(), style="reverse"))

    def _frame(self) -> Text:
        frame = self._spinner.render(self.turn.clock())
        return frame if isinstance(frame, Text) else Text("·")
