"""Keys typed while a turn runs: kept off the screen, never taken as an answer, offered next.

Between prompts a terminal is in cooked mode: whatever the user types is echoed over the
streaming answer and the spinner, and once Enter is pressed the line waits for whoever reads
the terminal next, which may be an approval question. While a turn runs, ``TypeAhead.quiet``
turns echo and line editing off (Ctrl-C still interrupts), and ``drain`` moves what was typed
into a buffer: before every question, so an approval is never answered by keys typed for
something else, and when the turn ends. ``take`` gives the next prompt the text to start from,
as the user typed it: backspace, Ctrl-U and Ctrl-W applied, other control keys dropped, and
Enter kept as a new line, so sending it stays a deliberate Enter at the prompt (a message
drafted while the answer streamed may no longer be what the user wants to send).

Given ``on_escape``, a thread reads the keys as they come while the turn runs, and Esc pressed
alone (not the start of an arrow key's sequence: nothing follows it within ``ESC_WAIT_S``)
calls ``on_escape`` instead of being kept; the chat makes that interrupt the turn as Ctrl-C
does. ``paused`` stops that thread and drains while a question reads the keys itself.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import threading
from collections.abc import Callable, Iterator

_ESCAPE_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|O.|.)?", re.DOTALL)
_ERASE = "\x7f\x08"
_KILL_LINE = "\x15"
_KILL_WORD = "\x17"
_ESC = b"\x1b"
ESC_WAIT_S = 0.05


def typed_text(data: bytes) -> str:
    """The text a user meant by the keys ``data``, with their editing keys applied."""
    text = _ESCAPE_SEQUENCE.sub("", data.decode("utf-8", "replace"))
    out: list[str] = []
    for char in text:
        if char in "\r\n":
            out.append("\n")
        elif char in _ERASE:
            if out:
                out.pop()
        elif char == _KILL_LINE:
            while out and out[-1] != "\n":
                out.pop()
        elif char == _KILL_WORD:
            _kill_word(out)
        elif char == "\t" or char >= " ":
            out.append(char)
    return "".join(out).strip("\n")


def _kill_word(out: list[str]) -> None:
    while out and out[-1] == " ":
        out.pop()
    while out and out[-1] not in " \n":
        out.pop()


class TypeAhead:
    """What the user types on ``fd`` (a terminal) while no prompt is reading it."""

    def __init__(self, fd: int | None, on_escape: Callable[[], None] | None = None) -> None:
        self._fd = fd if fd is not None and os.isatty(fd) else None
        self._on_escape = on_escape
        self._pending = bytearray()
        self._lock = threading.Lock()
        self._watch: tuple[threading.Thread, int, int] | None = None

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """No echo and no line editing while the block runs; the terminal's own settings are
        restored afterwards, however the block ends. Esc is watched for meanwhile."""
        import termios

        fd = self._fd
        if fd is None:
            yield
            return
        saved = termios.tcgetattr(fd)
        quiet = [*saved[:6], list(saved[6])]
        quiet[3] = saved[3] & ~(termios.ECHO | termios.ICANON | termios.IEXTEN)
        quiet[6][termios.VMIN], quiet[6][termios.VTIME] = 1, 0
        termios.tcsetattr(fd, termios.TCSANOW, quiet)
        self._start_watch()
        try:
            yield
        finally:
            self._stop_watch()
            self.drain()
            termios.tcsetattr(fd, termios.TCSANOW, saved)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """For a question: nothing typed so far can answer it, and while it reads the keys,
        nobody else does."""
        watching = self._stop_watch()
        self.drain()
        try:
            yield
        finally:
            if watching:
                self._start_watch()

    def drain(self) -> None:
        """Move whatever has been typed so far into the buffer (never waits)."""
        fd = self._fd
        while fd is not None and _readable(fd, 0):
            chunk = _read(fd)
            if not chunk:
                return
            self._keep(chunk)

    def take(self) -> str:
        """The text typed ahead so far (see ``typed_text``); the buffer starts again empty."""
        self.drain()
        with self._lock:
            data, self._pending = bytes(self._pending), bytearray()
        return typed_text(data)

    def _keep(self, chunk: bytes) -> None:
        with self._lock:
            self._pending += chunk

    # watching for Esc ------------------------------------------------------------------------

    def _start_watch(self) -> None:
        if self._fd is None or self._on_escape is None or self._watch is not None:
            return
        wake_r, wake_w = os.pipe()
        thread = threading.Thread(target=self._watch_keys, args=(self._fd, wake_r), daemon=True)
        self._watch = (thread, wake_r, wake_w)
        thread.start()

    def _stop_watch(self) -> bool:
        """Stop the thread; whether it was running."""
        if self._watch is None:
            return False
        thread, wake_r, wake_w = self._watch
        self._watch = None
        os.write(wake_w, b"x")
        thread.join()
        os.close(wake_r)
        os.close(wake_w)
        return True

    def _watch_keys(self, fd: int, wake: int) -> None:
        while True:
            try:
                ready = select.select([fd, wake], [], [])[0]
            except OSError:
                return
            if wake in ready:
                return
            chunk = _read(fd)
            if not chunk:
                return
            while chunk.endswith(_ESC) and _readable(fd, ESC_WAIT_S):
                more = _read(fd)
                if not more:
                    break
                chunk += more
            if chunk.endswith(_ESC) and self._on_escape is not None:
                self._keep(chunk[:-1])
                self._on_escape()
            else:
                self._keep(chunk)


def _readable(fd: int, timeout: float) -> bool:
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    except OSError:
        return False


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except OSError:
        return b""
