"""The LS tool: a directory's contents as an indented tree, honouring .gitignore.

Entries are gathered breadth-first up to ``MAX_ENTRIES`` so a huge tree still shows its top
levels, then printed depth-first. Hidden directories (``.git``, ``.venv``, ...) are skipped;
hidden files such as ``.gitignore`` are shown. Symlinks are shown with their target and never
followed, so a link cannot pull a listing outside the workspace.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from devagent.toolkinds import ToolKind
from devagent.tools.base import (
    Args,
    PreparedCall,
    Tool,
    ToolContext,
    ToolError,
    ToolInterrupted,
    ToolResult,
)
from devagent.tools.ignore import WalkEntry, WalkOptions, spec_from_globs, tree_for, walk
from devagent.tools.paths import display_path, resolve_in_workspace

MAX_ENTRIES = 1000

DESCRIPTION = f"""\
Lists files and directories under a directory, as an indented tree (directories end with /).

Usage:
- path is the directory to list (absolute or relative to the workspace root; "." is the root).
- ignore is an optional list of gitignore-style globs to leave out, e.g. ["*.log", "build/"].
- Files ignored by .gitignore and hidden directories such as .git are left out.
- At most {MAX_ENTRIES} entries are listed, shallowest first; for bigger trees list a \
subdirectory.
- Prefer Glob and Grep when you know what you are looking for; use Read for files."""


@dataclass(frozen=True)
class Listing:
    """What LS found below ``root``; ``truncated`` when ``MAX_ENTRIES`` stopped the walk."""

    root: Path
    entries: list[WalkEntry]
    truncated: bool


def _ignore_globs(args: Args) -> list[str]:
    raw = args.get("ignore")
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(g, str) for g in raw):
        raise ToolError('ignore must be a list of glob strings, e.g. ["*.log", "build/"].')
    return [g for g in raw if g.strip()]


def _directory(args: Args, ctx: ToolContext) -> Path:
    raw = args.get("path")
    if raw is None or raw == "":
        return ctx.workspace
    if not isinstance(raw, str):
        raise ToolError(f"path must be a string, got {raw!r}.")
    real = resolve_in_workspace(raw, ctx.workspace)
    if not real.exists():
        raise ToolError(f"{raw} does not exist. Use LS on its parent directory or Glob to find it.")
    if not real.is_dir():
        raise ToolError(f"{raw} is a file, not a directory. Use Read to read it.")
    return real


def list_dir(root: Path, ignore: Sequence[str], ctx: ToolContext) -> Listing:
    """Gather up to ``MAX_ENTRIES`` entries below ``root``, breadth-first."""
    spec = spec_from_globs(ignore) if ignore else None

    def excluded(rel: str, is_dir: bool) -> bool:
        return spec is not None and spec.match_file(rel + "/" if is_dir else rel)

    options = WalkOptions(hidden_dirs=False, exclude=excluded, symlinks=True)
    entries: list[WalkEntry] = []
    for entry in walk(root, tree_for(root, ctx.workspace), options, ctx.cancel.is_set):
        if len(entries) == MAX_ENTRIES:
            return Listing(root, entries, truncated=True)
        entries.append(entry)
    if ctx.cancel.is_set():
        raise ToolInterrupted()
    return Listing(root, entries, truncated=False)


def _label(entry: WalkEntry) -> str:
    if entry.is_dir:
        return entry.path.name + "/"
    if entry.is_link:
        try:
            return f"{entry.path.name} -> {os.readlink(entry.path)}"
        except OSError:
            return f"{entry.path.name} -> ?"
    return entry.path.name


def render(listing: Listing) -> str:
    """The tree: ``- name`` lines indented two spaces per level, directories ending in /."""
    children: dict[str, list[WalkEntry]] = {}
    for entry in listing.entries:
        parent = entry.rel.rpartition("/")[0]
        children.setdefault(parent, []).append(entry)
    lines = [f"- {listing.root}/"]
    stack = list(reversed(children.get("", [])))
    while stack:
        entry = stack.pop()
        lines.append("  " * entry.depth + f"- {_label(entry)}")
        if entry.is_dir:
            stack.extend(reversed(children.get(entry.rel, [])))
    if not listing.entries:
        lines.append("  (empty: no entries, or all of them are ignored)")
    if listing.truncated:
        lines.append(
            f"(Listing cut at {MAX_ENTRIES} entries; there are more. LS a subdirectory, or use "
            "Glob with a narrower pattern.)"
        )
    return "\n".join(lines)


class LSTool(Tool):
    """LS: a directory listing as an indented tree."""

    name: ClassVar[str] = "LS"
    description: ClassVar[str] = DESCRIPTION
    kind: ClassVar[ToolKind] = "read"
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "path": {
                "type": "string",
                "description": "The directory to list (absolute, or relative to the workspace "
                "root)",
            },
            "ignore": {
                "type": "array",
                "items": {"type": "string"},
                "description": "List of glob patterns to ignore",
            },
        },
        "required": ["path"],
        "additionalProperties": False,
    }

    def prepare(self, args: Args, ctx: ToolContext) -> PreparedCall:
        root = _directory(args, ctx)
        ignore = _ignore_globs(args)

        def execute() -> ToolResult:
            if not root.is_dir():
                raise ToolError(f"{display_path(root, ctx.workspace)} is no longer a directory.")
            return ToolResult(render(list_dir(root, ignore, ctx)))

        return PreparedCall(execute=execute, paths=(root,))
