"""What goes along with a chat message: ``@path`` mentions and pasted image paths.

- ``@path`` names a workspace file whose text goes along (resolved against the current
  directory, then the workspace root; it must stay inside the workspace). Binary files are
  refused and big ones cut, with a problem line for the user either way.
- An image, ``@``-mentioned or just pasted as a path (a terminal pastes a dragged file as its
  path, maybe quoted or with ``\\ `` for spaces, or as a ``file://`` URL), goes along as an
  image the model can see (``devagent.images``). A screenshot usually lives outside the
  project, so an image path the user typed may point anywhere; ``images_anywhere=False``
  (text that came from a file, such as a custom command) keeps images to the workspace too.

Each attachment gets one line for the screen (``attached src/app.py (42 lines)``); the
model gets the file's text or a placeholder line and the image. Pure apart from reading the
named files.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from devagent.images import ImageError, is_image_path, load_image
from devagent.messages import Block, text_block

MAX_MENTION_BYTES = 256_000
_MENTION = re.compile(r"(?<![\w`])@([^\s@`]+)")
_TRAILING = ".,;:!?)]}'\""
_SUFFIX = r"\.(?:png|jpe?g|gif|webp)"
_END = r"(?=$|[\s,;:!?)\]}]|\.(?:\s|$))"
_PASTED_IMAGE = re.compile(
    rf"(?<![\w@/.~\\-])(?:'([^'\n]+?{_SUFFIX})'|\"([^\"\n]+?{_SUFFIX})\"|"
    rf"((?:[^\s'\"\\@`]|\\.)+?{_SUFFIX}){_END})",
    re.IGNORECASE,
)
_ESCAPED = re.compile(r"\\(.)")


@dataclass
class Mentions:
    """The blocks to send after the message, the text files they hold (which count as read),
    one line per attachment for the screen, and what could not be attached."""

    blocks: list[Block] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    attached: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def expand_mentions(
    text: str, workspace: Path, cwd: Path, *, images_anywhere: bool = True
) -> Mentions:
    """Every ``@path`` in ``text`` naming a workspace file, and every image path in it."""
    found = Mentions()
    seen: set[Path] = set()
    for match in _MENTION.finditer(text):
        raw = match.group(1).rstrip(_TRAILING)
        path = _resolve(raw, workspace, cwd, images_anywhere and is_image_path(raw))
        if path is not None and path not in seen:
            seen.add(path)
            _attach(found, f"@{raw}", raw, path)
    for raw in pasted_image_paths(text):
        path = _resolve(raw, workspace, cwd, images_anywhere)
        if path is not None and path not in seen:
            seen.add(path)
            _attach(found, raw, raw, path)
    return found


def pasted_image_paths(text: str) -> list[str]:
    """Image paths written in ``text`` outside ``@`` mentions: quoted, with escaped spaces,
    or as ``file://`` URLs, unescaped."""
    paths = []
    for match in _PASTED_IMAGE.finditer(text):
        quoted = match.group(1) or match.group(2)
        raw = quoted if quoted is not None else _ESCAPED.sub(r"\1", match.group(3))
        paths.append(raw.removeprefix("file://"))
    return paths


def _resolve(raw: str, workspace: Path, cwd: Path, anywhere: bool) -> Path | None:
    if not raw:
        return None
    for base in (cwd, workspace):
        candidate = Path(os.path.realpath(base / os.path.expanduser(raw)))
        inside = candidate == workspace or workspace in candidate.parents
        if candidate.is_file() and (inside or anywhere):
            return candidate
    return None


def _attach(found: Mentions, label: str, raw: str, path: Path) -> None:
    if is_image_path(path):
        _attach_image(found, label, raw, path)
        return
    block, problem, lines = _mention_block(raw, path)
    if block is not None:
        found.blocks.append(block)
        found.files.append(path)
        found.attached.append(f"attached {raw} ({lines} line{'' if lines == 1 else 's'})")
    if problem:
        found.problems.append(problem)


def _attach_image(found: Mentions, label: str, raw: str, path: Path) -> None:
    try:
        image = load_image(path, raw)
    except ImageError as exc:
        found.problems.append(f"{label}: not attached: {exc}")
        return
    found.blocks += [text_block(image.placeholder), image.block()]
    found.attached.append(f"attached {image.placeholder.removeprefix('[image: ').rstrip(']')}")


def _mention_block(raw: str, path: Path) -> tuple[Block | None, str | None, int]:
    try:
        data = path.read_bytes()[: MAX_MENTION_BYTES + 1]
    except OSError as exc:
        return None, f"@{raw}: cannot be read ({exc.strerror or exc})", 0
    if b"\x00" in data[:8192]:
        return None, f"@{raw}: binary file, not added", 0
    cut = len(data) > MAX_MENTION_BYTES
    text = data[:MAX_MENTION_BYTES].decode("utf-8", errors="replace")
    note = f"\n[cut at {MAX_MENTION_BYTES} bytes; use Read for the rest]" if cut else ""
    body = f'<file path="{raw}">\n{text}{note}\n</file>'
    problem = f"@{raw}: only the first {MAX_MENTION_BYTES} bytes added" if cut else None
    return text_block(body), problem, _line_count(text)


def _line_count(text: str) -> int:
    return text.count("\n") + (0 if not text or text.endswith("\n") else 1)
