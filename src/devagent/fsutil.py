"""File helpers every layer may use: replacing a file atomically, reading a JSON object file.

``replace_file`` is the one way devagent replaces a file's content (the edit tools, checkpoint
restore, settings and trust files). ``read_json_object`` is the one way it reads a JSON file a
person edits (settings, trusted folders); its ``JSONFileError`` names the file, and the line and
column for broken JSON, and leaves what to do about it to the caller. ``folders_up`` and
``unique_by_path`` serve the catalogs that search folders from the working folder upward
(personas, skills).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any, Literal, TypeVar

JSONProblem = Literal["unreadable", "invalid", "not-an-object"]
T = TypeVar("T")


class JSONFileError(Exception):
    """A JSON file that cannot be used as it is. The message says where and what is wrong
    (``path:line:col: invalid JSON (...)``); ``problem`` lets callers add the right advice."""

    def __init__(self, path: Path, problem: JSONProblem, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.problem = problem


def read_json_object(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``: None when there is no such file, ``{}`` when it is blank.

    A UTF-8 byte-order mark is allowed. Raises ``JSONFileError`` when the file cannot be read,
    is not JSON, or holds something other than an object.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise JSONFileError(path, "unreadable", f"{path}: cannot be read ({exc})") from exc
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"{path}:{exc.lineno}:{exc.colno}"
        raise JSONFileError(path, "invalid", f"{where}: invalid JSON ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise JSONFileError(path, "not-an-object", f"{path}: not a JSON object")
    return data


def replace_file(
    path: Path,
    data: bytes,
    *,
    mode: int | None = None,
    dir_fd: int | None = None,
    before_replace: Callable[[], None] | None = None,
) -> None:
    """Replace the file at ``path`` with ``data``: readers see the old or the new bytes, never
    a mix, and a crash leaves the old file in place.

    The bytes go to a temp file in the same directory (created exclusively, never through a
    symlink), are fsynced and renamed over ``path``; then the directory is fsynced. A symlink
    at ``path`` is replaced, not followed: resolve it first to write through it. The parent
    directory must exist. ``mode`` gives the new file's permission bits; without it the file
    keeps the mode and, where allowed, the owner of the file it replaces (of a symlink's
    target), and a new file gets 0o666 less the umask. With ``dir_fd``, ``path.name`` is taken
    in that directory. ``before_replace`` runs just before the rename and may raise to cancel
    it. On any failure the temp file is removed and the exception propagates (``OSError``
    for the file system's).
    """
    if dir_fd is not None:
        _replace_in(dir_fd, path.name, data, mode, before_replace)
        return
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        _replace_in(fd, path.name, data, mode, before_replace)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd`` (``os.write`` may write fewer)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _replace_in(
    dir_fd: int,
    name: str,
    data: bytes,
    mode: int | None,
    before_replace: Callable[[], None] | None,
) -> None:
    old = None if mode is not None else _stat_or_none(name, dir_fd)
    tmp = f".{name}.devagent-{os.getpid()}-{secrets.token_hex(4)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    # A new file gets 0o666 from the kernel, less the umask; any other mode is set below.
    fd = os.open(tmp, flags, 0o666 if mode is None and old is None else 0o600, dir_fd=dir_fd)
    try:
        try:
            _set_mode(fd, mode, old)
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise
    os.fsync(dir_fd)


def _set_mode(fd: int, mode: int | None, old: os.stat_result | None) -> None:
    if mode is not None:
        os.fchmod(fd, mode)
    elif old is not None:
        with suppress(PermissionError):
            os.fchown(fd, old.st_uid, old.st_gid)
        # After fchown: changing the owner clears the setuid and setgid bits.
        os.fchmod(fd, old.st_mode & 0o7777)


def _stat_or_none(name: str, dir_fd: int) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return None


def folders_up(cwd: Path, workspace: Path) -> list[Path]:
    """``cwd`` and each parent up to ``workspace``; just ``cwd`` when it is outside it."""
    here, root = cwd.resolve(), workspace.resolve()
    if here != root and root not in here.parents:
        return [here]
    folders = [here]
    while folders[-1] != root:
        folders.append(folders[-1].parent)
    return folders


def unique_by_path(items: Iterable[T], path_of: Callable[[T], Path]) -> list[T]:
    """``items`` in order, each resolved path kept once (the first wins)."""
    seen: set[Path] = set()
    kept: list[T] = []
    for item in items:
        key = path_of(item).resolve()
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept
