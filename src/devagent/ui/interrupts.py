"""Ctrl-C during a chat turn: cancel a running Bash command first, else unwind the turn.

The turn runs on the main thread with ``InterruptGuard``'s SIGINT handler installed. It sets
``ctx.cancel``; while a Bash command of this agent runs, that alone stops it (the tool polls
the flag, kills the process group and the loop records an "interrupted" tool_result).
Anywhere else (streaming, retries, other tools, sub-agents) or on a second press it raises
``KeyboardInterrupt``, which leaves the stream (closing the response) and unwinds the loop.
Afterwards any ``tool_use`` left without a result is closed, so the next request is valid.
Esc pressed during the turn arrives as the same SIGINT (``ui.typeahead`` watches for it), so
it is handled exactly like Ctrl-C.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

from devagent.events import Event, ToolFinished, ToolStarted


class InterruptGuard:
    """SIGINT handling for one turn (see the module docstring)."""

    def __init__(self, cancel: threading.Event) -> None:
        self.cancel = cancel
        self.presses = 0
        self.raising = True
        self._unwinding = False
        self._bash = 0
        self._task = 0
        self._previous: Any = None

    def __enter__(self) -> InterruptGuard:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _handle(self, _signum: int, _frame: FrameType | None) -> None:
        self.presses += 1
        self.cancel.set()
        if not self.raising:
            return
        if self.presses == 1 and self._bash > 0 and self._task == 0:
            return  # the Bash tool sees the flag and stops its process group
        self._unwinding = True
        raise KeyboardInterrupt

    def track(self, event: Event) -> None:
        """Follow which tool is running; called for every event of the turn."""
        if isinstance(event, ToolStarted | ToolFinished):
            step = 1 if isinstance(event, ToolStarted) else -1
            if event.kind == "agent":
                self._task = max(0, self._task + step)
            elif event.name == "Bash" and self._task == 0:
                self._bash = max(0, self._bash + step)

    @contextlib.contextmanager
    def bash(self) -> Iterator[None]:
        self._bash += 1
        try:
            yield
        finally:
            self._bash -= 1

    def check(self) -> None:
        """Raise once if Ctrl-C was pressed and the turn is still going (a press can land
        just after a Bash command ended, when nothing polls the flag any more)."""
        if self.raising and self.cancel.is_set() and not self._unwinding:
            self._unwinding = True
            raise KeyboardInterrupt
