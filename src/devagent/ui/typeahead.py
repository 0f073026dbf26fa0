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
"""

from __future__ import annotations

import contextlib
import os
import re
import select
from collections.abc import Iterator

_ESCAPE_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|O.|.)?", re.DOTALL)
_ERASE = "\x7f\x08"
_KILL_LINE = "\x15"
_KILL_WORD = "\x17"


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

    def __init__(self, fd: int | None) -> None:
        self._fd = fd if fd is not None and os.isatty(fd) else None
        self._pending = bytearray()

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """No echo and no line editing while the block runs; the terminal's own settings are
        restored afterwards, however the block ends."""
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
        try:
            yield
        finally:
            self.drain()
            termios.tcsetattr(fd, termios.TCSANOW, saved)

    def drain(self) -> None:
        """Move whatever has been typed so far into the buffer (never waits)."""
        fd = self._fd
        while fd is not None:
            try:
                if not select.select([fd], [], [], 0)[0]:
                    return
                chunk = os.read(fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            self._pending += chunk

    def take(self) -> str:
        """The text typed ahead so far (see ``typed_text``); the buffer starts again empty."""
        self.drain()
        data, self._pending = bytes(self._pending), bytearray()
        return typed_text(data)
