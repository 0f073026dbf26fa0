"""``@path`` mentions in a chat message: each names a workspace file whose text goes along.

Pure apart from reading the named files: a mention resolves against the current directory,
then the workspace root, and must stay inside the workspace; binary files are refused and big
ones cut, with a problem line for the user either way.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from devagent.messages import Block, text_block

MAX_MENTION_BYTES = 256_000
_MENTION = re.compile(r"(?<![\w`])@([^\s@`]+)")
_TRAILING = ".,;:!?)]}'\""


@dataclass
class Mentions:
    blocks: list[Block] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def expand_mentions(text: str, workspace: Path, cwd: Path) -> Mentions:
    """Read every ``@path`` in ``text`` that names a file inside the workspace."""
    found = Mentions()
    seen: set[Path] = set()
    for match in _MENTION.finditer(text):
        raw = match.group(1).rstrip(_TRAILING)
        path = _resolve_mention(raw, workspace, cwd)
        if path is None or path in seen:
            continue
        seen.add(path)
        block, problem = _mention_block(raw, path)
        if block is not None:
            found.blocks.append(block)
            found.files.append(path)
        if problem:
            found.problems.append(problem)
    return found


def _resolve_mention(raw: str, workspace: Path, cwd: Path) -> Path | None:
    if not raw:
        return None
    for base in (cwd, workspace):
        candidate = Path(os.path.realpath(base / os.path.expanduser(raw)))
        if candidate.is_file() and (candidate == workspace or workspace in candidate.parents):
            return candidate
    return None


def _mention_block(raw: str, path: Path) -> tuple[Block | None, str | None]:
    try:
        data = path.read_bytes()[: MAX_MENTION_BYTES + 1]
    except OSError as exc:
        return None, f"@{raw}: cannot be read ({exc.strerror or exc})"
    if b"\x00" in data[:8192]:
        return None, f"@{raw}: binary file, not added"
    cut = len(data) > MAX_MENTION_BYTES
    text = data[:MAX_MENTION_BYTES].decode("utf-8", errors="replace")
    note = f"\n[cut at {MAX_MENTION_BYTES} bytes; use Read for the rest]" if cut else ""
    body = f'<file path="{raw}">\n{text}{note}\n</file>'
    return text_block(body), (
        f"@{raw}: only the first {MAX_MENTION_BYTES} bytes added" if cut else None
    )
