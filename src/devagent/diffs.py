"""Unified diffs of planned file changes, exactly as they will be written (or, for a change
that carries a readable view, such as a notebook cell, that view)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path

from devagent.tools.base import FileChange
from devagent.tools.paths import display_path

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _lines(data: bytes | None) -> list[str]:
    """Lines split only at CRLF, CR and LF (str.splitlines also splits at \f, \x1c, …)."""
    if data is None:
        return []
    return _LINE.findall(data.decode("utf-8", errors="replace"))


def _one(change: FileChange, workspace: Path) -> str:
    old_name = display_path(change.path, workspace)
    new_name = display_path(change.move_to, workspace) if change.move_to else old_name
    before = "/dev/null" if change.before is None else f"a/{old_name}"
    after = "/dev/null" if change.after is None else f"b/{new_name}"
    if change.view is not None:
        old_lines, new_lines = (_LINE.findall(side) for side in change.view)
    else:
        old_lines, new_lines = _lines(change.before), _lines(change.after)
    parts = list(difflib.unified_diff(old_lines, new_lines, before, after))
    text = "".join(_terminated(p) for p in parts)
    if not text and change.move_to:
        text = f"rename {old_name} → {new_name}\n"
    return text


def _terminated(part: str) -> str:
    if part.endswith("\n"):
        return part
    if part.endswith("\r"):  # a lone-CR line: show it on its own line, it is not unterminated
        return part + "\n"
    return part + "\n\\ No newline at end of file\n"


def unified_diff(changes: Iterable[FileChange], workspace: Path) -> str:
    """One unified diff covering every change, paths relative to the workspace."""
    return "".join(_one(change, workspace) for change in changes)
