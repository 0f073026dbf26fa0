"""The terminal console: one place that decides colour, width and whether output is a live TTY.

``NO_COLOR`` (any non-empty value, https://no-color.org) turns every style off, so nothing but
plain text reaches the terminal. When the output is not a terminal (a pipe, a file), rich
already writes no escape codes; ``is_live`` tells renderers whether they may repaint in place.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import IO, Literal

from rich.console import Console
from rich.text import Text

Level = Literal["info", "warn", "error"]
"""How loud a status line is: plain, yellow or red."""
_STYLES: dict[Level, str] = {"info": "", "warn": "yellow", "error": "red"}


def make_console(
    *,
    file: IO[str] | None = None,
    env: Mapping[str, str] | None = None,
    width: int | None = None,
) -> Console:
    """A console for ``file`` (stdout by default) that honours ``NO_COLOR`` and non-TTY output.

    ``env`` replaces the process environment for every decision rich makes (``NO_COLOR``,
    ``FORCE_COLOR``, ``TERM``, ``COLUMNS``), so tests can pin them. Auto-highlighting and emoji
    codes are off: model and tool text is printed as written.
    """
    environ = dict(os.environ if env is None else env)
    no_color = environ.get("NO_COLOR", "") != ""
    return Console(
        file=file,
        width=width,
        color_system=None if no_color else "auto",
        no_color=no_color,
        highlight=False,
        emoji=False,
        _environ=environ,
    )


def terminal_width(env: Mapping[str, str] | None = None) -> int | None:
    """The width of the terminal the user is looking at, even when stdout is a pipe.

    ``COLUMNS`` wins; then the first of stdout, stderr and stdin that is a terminal. None when
    there is no terminal at all (a script), so callers can choose not to cut anything.
    """
    environ = os.environ if env is None else env
    columns = environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    for fd in (1, 2, 0):
        try:
            return os.get_terminal_size(fd).columns or None
        except OSError:
            continue
    return None


def is_live(console: Console) -> bool:
    """Whether ``console`` may repaint in place (a real, non-dumb terminal)."""
    return console.is_terminal and not console.is_dumb_terminal


# C0 controls except tab and newline, DEL and C1 controls: they move the cursor, clear the
# screen or start escape sequences, so model and tool text must never reach the terminal raw.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def sanitize(text: str) -> str:
    """``text`` safe to print: CRLF becomes LF, other control characters become visible escapes
    (``\\x1b``, ``\\r``)."""
    text = text.replace("\r\n", "\n")
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(lambda m: "\\r" if m.group(0) == "\r" else f"\\x{ord(m.group(0)):02x}", text)


def say(console: Console, text: str, level: Level = "info") -> None:
    """A status line for the user, outside the model's answer; printed as written."""
    console.print(Text(text, style=_STYLES[level]), soft_wrap=True)
