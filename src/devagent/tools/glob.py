"""The Glob tool: find files by name pattern, newest first, honouring .gitignore.

The pattern's leading literal segments (``src/app`` in ``src/app/**/*.py``) choose the
directory to walk; that directory is resolved like any other path, so ``../x/*`` or a symlink
leaving the workspace is refused rather than silently matching nothing. Without ``**`` the walk
does not descend deeper than the pattern can match.
"""

from __future__ import annotations

import os
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
from devagent.tools.ignore import WalkOptions, compile_glob, has_magic, tree_for, walk
from devagent.tools.paths import display_path, expand_user_path, resolve_in_workspace

MAX_RESULTS = 100
NO_FILES = "No files found"

DESCRIPTION = f"""\
Fast file pattern matching: finds files by name in the workspace.

Usage:
- Supports glob patterns like "**/*.js", "src/**/*.ts" or "*.{{ts,tsx}}". `*` and `?` stay \
within one directory level; `**` matches any number of directories, so use "**/*.py" to search \
the whole tree ("*.py" only matches files directly in the search directory).
- path is the directory to search (absolute or relative to the workspace root); default: the \
workspace root.
- Returns matching file paths relative to the workspace root, most recently modified first, at \
most {MAX_RESULTS}. Files ignored by .gitignore and the .git directory are skipped.
- Use it to find files by name; use Grep to search file contents, and LS to see a directory.
- When you are doing an open-ended search that may need several rounds of globbing and \
grepping, call several Glob and Grep searches in parallel."""


@dataclass(frozen=True)
class GlobQuery:
    """A validated search: walk ``base`` and keep files whose relative path fits ``rest``."""

    base: Path
    rest: str


def split_pattern(pattern: str) -> tuple[str, str]:
    """Split a glob into its literal leading directories and the part with wildcards.

    ``src/app/**/*.py`` -> (``src/app``, ``**/*.py``); a pattern with no wildcard keeps its
    last segment as the part to match, so ``src/main.py`` -> (``src``, ``main.py``).
    """
    segments = pattern.split("/")
    literal: list[str] = []
    for segment in segments[:-1]:
        if has_magic(segment):
            break
        literal.append(segment)
    rest = "/".join(segments[len(literal) :])
    prefix = "/".join(literal)
    if pattern.startswith("/") and not prefix:
        prefix = "/"
    return prefix, rest


def _search_dir(args: Args, ctx: ToolContext) -> Path:
    raw = args.get("path")
    if raw is None or raw == "":
        return ctx.workspace
    if not isinstance(raw, str):
        raise ToolError(f"path must be a string, got {raw!r}.")
    base = resolve_in_workspace(raw, ctx.workspace, must_exist=True)
    if not base.is_dir():
        raise ToolError(
            f"path {raw} is a file, not a directory. Give a directory to search in, or use Read."
        )
    return base


def parse_query(args: Args, ctx: ToolContext) -> GlobQuery:
    """Resolve the search directory and pattern; refuse anything leaving the workspace."""
    pattern = args.get("pattern")
    if not isinstance(pattern, str) or not pattern.strip():
        raise ToolError('pattern is required: give a glob such as "**/*.py".')
    search_dir = _search_dir(args, ctx)
    prefix, rest = split_pattern(expand_user_path(pattern.strip()))
    if not rest:
        raise ToolError(f'pattern {pattern!r} names no files; add a file part such as "*.py".')
    base = search_dir
    if prefix:
        joined = prefix if os.path.isabs(prefix) else os.path.join(os.fspath(search_dir), prefix)
        base = resolve_in_workspace(joined, ctx.workspace)
    return GlobQuery(base=base, rest=rest)


def _depth_limit(rest: str) -> int | None:
    """How many directory levels the pattern can reach, or None when ``**`` makes it unbounded."""
    return None if "**" in rest else rest.count("/")


def find_files(query: GlobQuery, ctx: ToolContext) -> list[Path]:
    """Every non-ignored regular file below ``query.base`` whose relative path matches."""
    if not query.base.is_dir():
        return []
    regex = compile_glob(query.rest)
    max_dirs = _depth_limit(query.rest)

    def too_deep(rel: str, is_dir: bool) -> bool:
        return is_dir and max_dirs is not None and rel.count("/") + 1 > max_dirs

    options = WalkOptions(exclude=too_deep)
    tree = tree_for(query.base, ctx.workspace)
    found = [
        entry.path
        for entry in walk(query.base, tree, options, should_stop=ctx.cancel.is_set)
        if not entry.is_dir and regex.match(entry.rel)
    ]
    if ctx.cancel.is_set():
        raise ToolInterrupted()
    return found


def newest_first(paths: list[Path]) -> list[Path]:
    """Sort by modification time, newest first; ties by path so the order is stable."""

    def key(path: Path) -> tuple[int, str]:
        try:
            return (-os.stat(path).st_mtime_ns, os.fspath(path))
        except OSError:
            return (0, os.fspath(path))

    return sorted(paths, key=key)


def format_files(paths: list[Path], workspace: Path) -> str:
    if not paths:
        return NO_FILES
    ordered = newest_first(paths)
    shown = [display_path(p, workspace) for p in ordered[:MAX_RESULTS]]
    omitted = len(ordered) - len(shown)
    if omitted:
        shown.append(
            f"(Results are truncated: {omitted} more files match and are not shown. "
            "Use a more specific pattern or path.)"
        )
    return "\n".join(shown)


class GlobTool(Tool):
    """Glob: file paths matching a pattern, newest first, at most ``MAX_RESULTS``."""

    name: ClassVar[str] = "Glob"
    description: ClassVar[str] = DESCRIPTION
    kind: ClassVar[ToolKind] = "read"
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "pattern": {
                "type": "string",
                "description": "The glob pattern to match files against",
            },
            "path": {
                "type": "string",
                "description": "The directory to search in. If not specified, the workspace "
                "root is used. Omit it for the default; do not pass null or 'undefined'.",
            },
        },
        "required": ["pattern"],
        "additionalProperties": False,
    }

    def prepare(self, args: Args, ctx: ToolContext) -> PreparedCall:
        query = parse_query(args, ctx)
        return PreparedCall(
            execute=lambda: ToolResult(format_files(find_files(query, ctx), ctx.workspace)),
            paths=(query.base,),
        )
