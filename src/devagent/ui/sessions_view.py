"""Stored sessions as the chat lists them: the ``/resume`` picker and the line that says a
session was resumed.

    1. 5m ago     a1b2c3d4   3 messages    12 KB  fix the failing test in parser.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.text import Text

from devagent.messages import Usage
from devagent.session import SessionInfo
from devagent.ui.console import sanitize, say

PREVIEW_CHARS = 60
MAX_LISTED = 20


def choose_session(
    console: Console, ask: Callable[[str], str], sessions: list[SessionInfo], wanted: str | None
) -> Path | None:
    """The session ``wanted`` names (a number of the list or an id prefix); without one, the
    list is shown and the user asked. None, said why, when nothing is chosen."""
    if wanted is None:
        if not sessions:
            say(console, "No other session in this project.")
            return None
        for row in picker_rows(sessions[:MAX_LISTED]):
            console.print(Text(row), soft_wrap=True)
        wanted = ask("Resume which (number or id, Enter to cancel)? ").strip()
        if not wanted:
            return None
    if wanted.isdigit() and 1 <= int(wanted) <= len(sessions):
        return sessions[int(wanted) - 1].path
    matches = [s for s in sessions if s.id.startswith(wanted)]
    if len(matches) == 1:
        return matches[0].path
    say(console, f"No session {wanted!r} in this project.", "error")
    return None


def age(seconds: float) -> str:
    """``just now``, ``5m ago``, ``3h ago``, ``2d ago``, ``7w ago``."""
    seconds = max(0.0, seconds)
    for unit, size in (("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return "just now"


def size(count: int) -> str:
    """A file size in B, KB or MB."""
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count // 1024} KB"
    return f"{count / (1024 * 1024):.1f} MB"


def messages(count: int) -> str:
    return f"{count} message{'' if count == 1 else 's'}"


def picker_rows(sessions: list[SessionInfo], now: float | None = None) -> list[str]:
    """One numbered row per session: age, id, how many messages the user sent, the file's
    size and the first prompt."""
    now = time.time() if now is None else now
    rows = []
    for number, info in enumerate(sessions, start=1):
        preview = sanitize(info.preview)[:PREVIEW_CHARS] or "(no message)"
        rows.append(
            f"{number:3}. {age(now - info.modified):<9} {info.id[:8]}  "
            f"{messages(info.messages):>12}  {size(info.size):>7}  {preview}"
        )
    return rows


def resumed_line(session_id: str, prompts: int, usage: Usage, cost: str) -> str:
    """``Resumed session ID (3 messages · 12.4k tokens · $0.0312 so far).``"""
    tokens = usage.input_tokens + usage.output_tokens
    tokens += usage.cache_read_input_tokens + usage.cache_creation_input_tokens
    spent = f" · {short_count(tokens)} tokens · {cost} so far" if tokens else ""
    return f"Resumed session {session_id} ({messages(prompts)}{spent})."


def short_count(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 1000:
        return f"{n / 1000:.1f}k"
    return str(n)
