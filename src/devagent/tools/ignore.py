"""Directory walking that honours .gitignore, shared by Glob, LS and the Python Grep fallback.

Ignore files are read the way git and ripgrep read them: a ``.gitignore`` (or ``.ignore``)
applies to the directory it sits in and everything below, a deeper file overrides a shallower
one, ``!pattern`` re-includes, and ``.git/info/exclude`` applies to the whole workspace. Only
files at or below the workspace root count. Ignored directories are pruned, never entered.
Version-control directories (``.git`` and friends) are always skipped and symlinks are never
followed, so a walk cannot leave the workspace.

Also here: ``compile_glob``, the one glob-to-regex translation (``*``, ``?``, ``[...]``,
``{a,b}``, ``**``) used by Glob and by the fallback's ``--glob`` filter.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pathspec

VCS_DIRS = frozenset({".git", ".hg", ".svn", ".bzr", ".jj", ".sl"})
IGNORE_FILES = (".gitignore", ".ignore")

# Called with the path relative to the walk's start (posix separators) and whether it is a dir.
ExcludeFn = Callable[[str, bool], bool]


@dataclass(frozen=True)
class _Rules:
    """The patterns of one ignore file, anchored at the directory holding it."""

    base: Path
    spec: pathspec.GitIgnoreSpec


def _read_lines(path: Path) -> list[str] | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().splitlines()
    except OSError:
        return None


class IgnoreTree:
    """The ignore rules of one workspace, loaded per directory on first use and cached."""

    def __init__(self, workspace: Path) -> None:
        self._workspace = workspace
        self._chains: dict[Path, tuple[_Rules, ...]] = {}

    def _own_rules(self, directory: Path) -> tuple[_Rules, ...]:
        sources = [directory / name for name in IGNORE_FILES]
        if directory == self._workspace:
            sources.insert(0, directory / ".git" / "info" / "exclude")
        found: list[_Rules] = []
        for source in sources:
            lines = _read_lines(source)
            if lines:
                found.append(_Rules(directory, _spec(lines)))
        return tuple(found)

    def chain(self, directory: Path) -> tuple[_Rules, ...]:
        """Every rule set that applies to entries of ``directory``, shallowest first."""
        cached = self._chains.get(directory)
        if cached is not None:
            return cached
        if directory == self._workspace or self._workspace not in directory.parents:
            inherited: tuple[_Rules, ...] = ()
        else:
            inherited = self.chain(directory.parent)
        result = inherited + self._own_rules(directory)
        self._chains[directory] = result
        return result

    def is_ignored(self, path: Path, is_dir: bool) -> bool:
        """True when the nearest rule that mentions ``path`` ignores it."""
        for rules in reversed(self.chain(path.parent)):
            rel = path.relative_to(rules.base).as_posix() + ("/" if is_dir else "")
            verdict = rules.spec.check_file(rel).include
            if verdict is not None:
                return verdict
        return False


def tree_for(start: Path, workspace: Path) -> IgnoreTree:
    """The ignore rules for a walk from ``start``.

    Naming an ignored directory explicitly (``LS node_modules``) means the caller wants to
    look inside it, so rules from above an ignored ``start`` are dropped; only ignore files
    at or below ``start`` apply then.
    """
    tree = IgnoreTree(workspace)
    if workspace not in start.parents:
        return tree
    current = workspace
    for part in start.relative_to(workspace).parts:
        current = current / part
        if current.name in VCS_DIRS or tree.is_ignored(current, is_dir=True):
            return IgnoreTree(start)
    return tree


@dataclass(frozen=True)
class WalkEntry:
    """One file or directory met by ``walk``; ``rel`` is relative to the walk's start."""

    path: Path
    rel: str
    is_dir: bool
    depth: int
    is_link: bool = False


@dataclass(frozen=True)
class WalkOptions:
    """What ``walk`` skips besides ignored paths and VCS directories."""

    hidden_files: bool = True
    hidden_dirs: bool = True
    exclude: ExcludeFn | None = None
    # Yield symlinks as leaf entries (never followed); otherwise they are skipped.
    symlinks: bool = False


def _children(directory: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as entries:
            return sorted(entries, key=lambda entry: entry.name)
    except OSError:
        return []


def _kind(entry: os.DirEntry[str], symlinks: bool) -> bool | None:
    """True for a real directory, False for a regular file (or a wanted symlink), else None."""
    try:
        if entry.is_symlink():
            return False if symlinks else None
        if entry.is_dir(follow_symlinks=False):
            return True
        return False if entry.is_file(follow_symlinks=False) else None
    except OSError:
        return None


def _skipped(entry: os.DirEntry[str], is_dir: bool, options: WalkOptions) -> bool:
    hidden = entry.name.startswith(".")
    if is_dir:
        return entry.name in VCS_DIRS or (hidden and not options.hidden_dirs)
    return hidden and not options.hidden_files


def walk(
    start: Path,
    tree: IgnoreTree,
    options: WalkOptions | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[WalkEntry]:
    """Yield files and directories below ``start`` breadth-first, each level sorted by name.

    Ignored directories are not entered; symlinks, sockets and devices are skipped.
    ``should_stop`` is polled once per directory so a long walk can be interrupted.
    """
    opts = options or WalkOptions()
    queue: deque[tuple[Path, str, int]] = deque([(start, "", 0)])
    while queue:
        if should_stop is not None and should_stop():
            return
        directory, prefix, depth = queue.popleft()
        for entry in _children(directory):
            is_dir = _kind(entry, opts.symlinks)
            if is_dir is None or _skipped(entry, is_dir, opts):
                continue
            path = directory / entry.name
            rel = prefix + entry.name
            if tree.is_ignored(path, is_dir):
                continue
            if opts.exclude is not None and opts.exclude(rel, is_dir):
                continue
            yield WalkEntry(path, rel, is_dir, depth + 1, is_link=entry.is_symlink())
            if is_dir:
                queue.append((path, rel + "/", depth + 1))


def _spec(lines: Sequence[str]) -> pathspec.GitIgnoreSpec:
    import pathspec  # ~14 ms: loaded by the first search that meets an ignore file or glob

    return pathspec.GitIgnoreSpec.from_lines(lines)


def spec_from_globs(globs: Sequence[str]) -> pathspec.GitIgnoreSpec:
    """A gitignore-style matcher for user-given globs (LS ``ignore``)."""
    return _spec(globs)


_GLOB_SPECIALS = frozenset("*?[{\\")


def has_magic(segment: str) -> bool:
    """True when a glob segment contains wildcard syntax."""
    return any(char in _GLOB_SPECIALS for char in segment)


def _translate_class(pattern: str, i: int) -> tuple[str, int]:
    """Translate a ``[...]`` class starting at ``pattern[i] == '['``; literal if unclosed."""
    j = i + 1
    if j < len(pattern) and pattern[j] in "!^":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        j += 1
    if j >= len(pattern):
        return re.escape("["), i + 1
    body = pattern[i + 1 : j]
    if body[:1] in ("!", "^"):
        body = "^" + body[1:]
    return "[" + body.replace("\\", "\\\\") + "]", j + 1


def _closing_brace(pattern: str, i: int) -> int:
    depth = 0
    for j in range(i, len(pattern)):
        if pattern[j] == "{":
            depth += 1
        elif pattern[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return -1


def _split_alternatives(body: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in body:
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        depth += {"{": 1, "}": -1}.get(char, 0)
        current.append(char)
    parts.append("".join(current))
    return parts


def _translate_star(pattern: str, i: int) -> tuple[str, int]:
    if not pattern.startswith("**", i):
        return "[^/]*", i + 1
    if (i == 0 or pattern[i - 1] == "/") and pattern.startswith("**/", i):
        return "(?:[^/]*/)*", i + 3
    return ".*", i + 2


def _translate(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            piece, i = _translate_star(pattern, i)
        elif char == "?":
            piece, i = "[^/]", i + 1
        elif char == "[":
            piece, i = _translate_class(pattern, i)
        elif char == "{" and (end := _closing_brace(pattern, i)) != -1:
            options = _split_alternatives(pattern[i + 1 : end])
            piece, i = "(?:" + "|".join(_translate(o) for o in options) + ")", end + 1
        elif char == "\\" and i + 1 < len(pattern):
            piece, i = re.escape(pattern[i + 1]), i + 2
        else:
            piece, i = re.escape(char), i + 1
        out.append(piece)
    return "".join(out)


def compile_glob(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """Compile a glob to a regex matched against whole ``/``-separated relative paths."""
    flags = re.IGNORECASE if ignore_case else 0
    return re.compile(r"(?s:" + _translate(pattern) + r")\Z", flags)
