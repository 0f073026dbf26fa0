"""The chat turn on screen: an EventSink that renders the agent's events as they happen.

Assistant text streams through ``StreamingMarkdown``; each tool call becomes a one-line header
with the first lines of its output under it (``ui.preview``; the full result is kept for
``last_tool_details``, which Ctrl-O and ``/details`` show); retries, notices and denials are
dim status lines. While the model is being waited for and while a tool runs, a spinner says
what is going on, with the seconds and tokens of the turn so far, above the chat's toolbar
(``ui.status``). Only one rich ``Live`` is ever active: the spinner stops before text streams.
Events may arrive from several threads (read-only tools run in parallel), so every event is
handled under one lock.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console, RenderableType
from rich.text import Text

from devagent.events import (
    AssistantMessageDone,
    Event,
    Notice,
    PermissionDenied,
    ReasoningDelta,
    Retrying,
    TextDelta,
    ToolFinished,
    ToolResultsSent,
    ToolStarted,
    TurnUsage,
)
from devagent.toolkinds import ToolKind
from devagent.ui.console import is_live, sanitize
from devagent.ui.preview import tool_output
from devagent.ui.status import Clock, StatusLine, TurnClock
from devagent.ui.stream_md import StreamingMarkdown
from devagent.ui.toolview import denied_summary, tool_header, tool_label

if TYPE_CHECKING:
    from rich.live import Live

WAITING_LABEL = "Thinking…"
REASONING_STYLE = "dim italic"
NOTICE_STYLES = {"warning": "yellow", "error": "red"}
MAX_DETAILS = 50


@dataclass(frozen=True)
class _Call:
    """A tool call as shown: what its header and summary are drawn from."""

    name: str
    input: dict[str, Any]
    kind: ToolKind


class ChatView:
    """Turns agent events into terminal output during one turn (see the module docstring)."""

    def __init__(
        self,
        console: Console,
        *,
        workspace: Path | None = None,
        min_interval_s: float = 0.05,
        toolbar: Callable[[], str] | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.console = console
        self.workspace = workspace
        self.min_interval_s = min_interval_s
        self.toolbar = toolbar  # drawn under the spinner; the chat sets it once it exists
        self.turn = TurnClock(clock)
        self._lock = threading.RLock()
        self._stream: StreamingMarkdown | None = None
        self._held_cr = False
        self._reasoning: str | None = None  # the unfinished line of reasoning
        self._spinner: Live | None = None
        self._calls: dict[str, _Call] = {}
        self._running: set[str] = set()
        self._denied: set[str] = set()
        self._last_header: str | None = None
        self._printed = False
        self._details: deque[str] = deque(maxlen=MAX_DETAILS)
        self._handlers: dict[type, Callable[[Any], None]] = {
            TextDelta: self._on_text,
            ReasoningDelta: self._on_reasoning,
            AssistantMessageDone: self._on_message_done,
            ToolStarted: self._on_tool_started,
            ToolFinished: self._on_tool_finished,
            PermissionDenied: self._on_denied,
            Retrying: self._on_retrying,
            Notice: self._on_notice,
            ToolResultsSent: self._on_results_sent,
            TurnUsage: self._on_usage,
        }

    # public surface -------------------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        handler = self._handlers.get(type(event))
        if handler is None:
            return
        with self._lock:
            handler(event)

    def waiting(self, on: bool) -> None:
        """Show (or hide) the spinner that says the model is being waited for."""
        with self._lock:
            if on:
                self._end_stream()
                self._spin(WAITING_LABEL)
            else:
                self._spin(None)

    def pause(self) -> None:
        """Stop the spinner and finish any open stream, e.g. before asking the user something
        in the middle of a turn. Output resumes with the next event."""
        with self._lock:
            self._spin(None)
            self._end_stream()

    def end_turn(self) -> None:
        """Finish any open stream and stop the spinner. Safe to call at any time, repeatedly."""
        with self._lock:
            self._spin(None)
            self._end_stream()
            self._running.clear()
            self._last_header = None
            self.turn.reset()

    def last_tool_details(self, n: int = 1) -> list[str]:
        """The full text of the last ``n`` tool results, oldest first: the call's header line,
        then its result (control characters already made visible)."""
        with self._lock:
            return list(self._details)[-n:] if n > 0 else []

    # text -----------------------------------------------------------------------------------

    def _on_reasoning(self, event: ReasoningDelta) -> None:
        """A model's reasoning, dim, a whole line at a time; never part of the answer."""
        if self._stream is not None:
            self._end_stream()
        first = self._reasoning is None
        *lines, self._reasoning = ((self._reasoning or "") + sanitize(event.text)).split("\n")
        if not lines:
            return
        self._spin(None)
        if first:
            self._gap()
        for line in lines:
            self._print(Text("  " + line, style=REASONING_STYLE))
        self._spin(WAITING_LABEL)

    def _end_reasoning(self) -> None:
        rest, self._reasoning = self._reasoning, None
        if rest:
            self._spin(None)
            self._print(Text("  " + rest, style=REASONING_STYLE))

    def _on_text(self, event: TextDelta) -> None:
        self._end_reasoning()
        text = ("\r" if self._held_cr else "") + event.text
        self._held_cr = text.endswith("\r")
        text = text[:-1] if self._held_cr else text
        if not text:
            return
        if self._stream is None:
            self._spin(None)
            self._gap()
            self._stream = StreamingMarkdown(self.console, min_interval_s=self.min_interval_s)
        self._stream.feed(sanitize(text))
        self._printed = True

    def _on_message_done(self, _event: AssistantMessageDone) -> None:
        self._spin(None)
        self._end_stream()

    def _end_stream(self) -> None:
        self._end_reasoning()
        if self._held_cr:
            self._held_cr = False
            if self._stream is not None:
                self._stream.feed("\\r")
        if self._stream is not None:
            stream, self._stream = self._stream, None
            stream.finish()

    # tools ----------------------------------------------------------------------------------

    def _on_tool_started(self, event: ToolStarted) -> None:
        self._end_stream()
        self._calls[event.tool_use_id] = _Call(event.name, dict(event.input), event.kind)
        self._running.add(event.tool_use_id)
        self._header(event.tool_use_id)
        self._spin_for_tools()

    def _on_tool_finished(self, event: ToolFinished) -> None:
        self._end_stream()
        call = self._calls.get(event.tool_use_id, _Call(event.name, {}, event.kind))
        self._running.discard(event.tool_use_id)
        self._spin_for_tools()
        label = tool_label(call.name, call.input, self.workspace, call.kind)
        self._details.append(sanitize(f"{call.name} {label}".rstrip() + "\n" + event.content))
        if event.tool_use_id in self._denied:
            return
        self._calls.setdefault(event.tool_use_id, call)
        if self._last_header != event.tool_use_id:
            self._header(event.tool_use_id)
        self._print(tool_output(call.name, call.input, event.content, event.is_error, call.kind))
        self._last_header = None

    def _on_denied(self, event: PermissionDenied) -> None:
        self._end_stream()
        self._spin(None)
        self._calls.setdefault(
            event.tool_use_id, _Call(event.tool_name, dict(event.tool_input), event.kind)
        )
        self._denied.add(event.tool_use_id)
        if self._last_header != event.tool_use_id:
            self._header(event.tool_use_id)
        self._print(denied_summary(event.reason))
        self._last_header = None

    def _header(self, tool_use_id: str) -> None:
        call = self._calls[tool_use_id]
        self._gap()
        self._print(tool_header(call.name, call.input, self.workspace, call.kind))
        self._last_header = tool_use_id

    # status ---------------------------------------------------------------------------------

    def _on_retrying(self, event: Retrying) -> None:
        self._end_stream()
        self._status(
            f"retrying in {event.delay_s:.1f}s ({event.reason}) · attempt {event.attempt}", "dim"
        )
        self._spin(WAITING_LABEL)

    def _on_notice(self, event: Notice) -> None:
        self._end_stream()
        self._status(event.text, NOTICE_STYLES.get(event.level, "dim"))

    def _on_usage(self, event: TurnUsage) -> None:
        self.turn.add(event.usage)

    def _on_results_sent(self, _event: ToolResultsSent) -> None:
        self._running.clear()
        self._spin(WAITING_LABEL)

    def _status(self, message: str, style: str) -> None:
        self._print(Text("  " + sanitize(message), style=style))
        self._last_header = None

    # output ---------------------------------------------------------------------------------

    def _print(self, text: RenderableType) -> None:
        self.console.print(text)
        self._printed = True

    def _gap(self) -> None:
        if self._printed:
            self.console.print()

    def _spin_for_tools(self) -> None:
        # No spinner over a sub-agent: its own calls may stop to ask the user.
        calls = [self._calls[i] for i in self._running]
        names = sorted({call.name for call in calls if call.kind != "agent"})
        self._spin(f"Running {', '.join(names)}…" if names else None)

    def _spin(self, label: str | None) -> None:
        if self._spinner is not None:
            self._spinner.stop()
            self._spinner = None
        if label is None or not is_live(self.console):
            return
        from rich.live import Live

        self.turn.start()
        self._spinner = Live(
            StatusLine(label, self.turn, self.toolbar),
            console=self.console,
            transient=True,
            refresh_per_second=10,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._spinner.start(refresh=True)
