"""Byte-exact text file I/O for the file-changing tools: decode, re-encode, write atomically.

Encoding policy (what ``read_text_file`` accepts for editing):

- A BOM selects the codec: UTF-8, UTF-16 LE/BE or UTF-32 LE/BE. The BOM is kept in
  ``TextFile.bom`` and written back unchanged.
- Without a BOM, a NUL byte means binary: refused. Text that decodes strictly as UTF-8 is UTF-8.
- Otherwise the file is treated as a legacy 8-bit file (cp1252 when every byte is defined
  there, else Latin-1), but only when it holds no valid multi-byte UTF-8 sequence: a file
  mixing UTF-8 with stray 8-bit bytes is refused rather than guessed at.
- Every decoding is verified: re-encoding the text must give back the exact bytes, or the
  file is refused. U+FFFD is never inserted and nothing is transcoded: new text is encoded in
  the file's own encoding, and text that encoding cannot hold is a ``ToolError``.

Write policy (``atomic_write``, RELIABILITY §4.1):

- The target is resolved with ``realpath`` and must lie inside the workspace; a symlink is
  kept and its (contained) target is written. Directories are walked from the workspace root
  with ``O_NOFOLLOW`` so a component swapped for a symlink aborts the write; missing parent
  directories of a new file are created on the way.
- FIFOs, devices, sockets and directories are refused without being opened. Read-only files
  (no write bit) are refused; permissions are never changed.
- A regular file is replaced through ``devagent.fsutil.replace_file``: a temp file in the same
  directory (``O_EXCL``), given the original mode and owner, fsynced, re-checked against
  ``expected`` and then renamed over the target; the directory is fsynced. Any failure removes
  the temp file and leaves the original byte-identical.
- A file with several hard links is written in place (same inode, every name sees the new
  content) after its content is verified. That path is not crash-atomic; on a write error the
  original bytes are put back.
"""

from __future__ import annotations

import codecs
import enum
import errno
import hashlib
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Final, Literal

from devagent.fsutil import replace_file, write_all
from devagent.tools.base import ToolError
from devagent.tools.paths import is_within

MAX_TEXT_BYTES: Final = 10 * 1024 * 1024
"""Largest file the edit tools will load, and the largest content Write accepts."""

_BOMS: Final[tuple[tuple[bytes, str], ...]] = (
    # UTF-32 first: its LE BOM starts with the UTF-16 LE BOM.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_UTF8_MULTIBYTE: Final = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_CHUNK: Final = 1 << 20


class _Check(enum.Enum):
    ANY = "any"


ANY_CONTENT: Final = _Check.ANY
"""``expected`` value for ``atomic_write`` meaning: do not compare the current content."""

Expected = bytes | None | Literal[_Check.ANY]


@dataclass(frozen=True)
class TextFile:
    """A decoded view of a file that re-encodes to exactly the bytes it came from."""

    path: Path
    raw: bytes
    text: str
    encoding: str
    bom: bytes
    newline: str


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dominant_newline(text: str) -> str:
    """The most frequent line ending ("\\n" on ties and for text without any)."""
    crlf = text.count("\r\n")
    lone_cr = text.count("\r") - crlf
    lone_lf = text.count("\n") - crlf
    best = max(lone_lf, crlf, lone_cr)
    if best == 0 or lone_lf == best:
        return "\n"
    return "\r\n" if crlf == best else "\r"


def _decode_exact(body: bytes, encoding: str) -> str | None:
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError:
        return None
    return text if text.encode(encoding) == body else None


def _decode_without_bom(path: Path, raw: bytes) -> tuple[str, str]:
    if b"\x00" in raw:
        raise ToolError(
            f"{path} looks like a binary file (it contains NUL bytes); it cannot be edited."
        )
    text = _decode_exact(raw, "utf-8")
    if text is not None:
        return text, "utf-8"
    if _UTF8_MULTIBYTE.search(raw):
        raise ToolError(
            f"{path} mixes UTF-8 with bytes that are not valid UTF-8, so it cannot be edited "
            "without risking damage. Ask the user to fix its encoding first."
        )
    for legacy in ("cp1252", "latin-1"):
        text = _decode_exact(raw, legacy)
        if text is not None:
            return text, legacy
    raise ToolError(f"{path} is not text in an encoding devagent can edit byte-exactly.")


def decode_bytes(path: Path, raw: bytes) -> TextFile:
    """Decode ``raw`` per the module's encoding policy; ``ToolError`` when it cannot."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            text = _decode_exact(raw[len(bom) :], encoding)
            if text is None:
                raise ToolError(
                    f"{path} starts with a {encoding} byte-order mark but is not valid "
                    f"{encoding}; it cannot be edited safely."
                )
            return TextFile(path, raw, text, encoding, bom, dominant_newline(text))
    text, encoding = _decode_without_bom(path, raw)
    return TextFile(path, raw, text, encoding, b"", dominant_newline(text))


def _open_regular(path: Path | str, flags: int, *, dir_fd: int | None = None) -> int:
    """Open a regular file without following a final symlink and without blocking on FIFOs."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ToolError(f"{path} is a symbolic link here; refusing to follow it.") from exc
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise ToolError(_not_regular_message(path, st.st_mode))
    return fd


def _read_fd(fd: int, limit: int) -> bytes:
    parts: list[bytes] = []
    total = 0
    while chunk := os.read(fd, _CHUNK):
        parts.append(chunk)
        total += len(chunk)
        if total > limit:
            raise ToolError(f"The file is larger than {limit} bytes; too large to edit.")
    return b"".join(parts)


def _not_regular_message(path: Path | str, mode: int) -> str:
    if stat.S_ISDIR(mode):
        return f"{path} is a directory, not a file. Give the path of a file."
    kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device or socket"
    return f"{path} is {kind}, not a regular file; devagent only reads and writes regular files."


def read_text_file(path: Path) -> TextFile:
    """Read and decode a regular file; ``ToolError`` if missing, binary, huge or undecodable."""
    real = Path(os.path.realpath(path))
    try:
        st = os.stat(real)
    except FileNotFoundError as exc:
        raise ToolError(f"{path} does not exist. Use Glob or LS to find the right path.") from exc
    if not stat.S_ISREG(st.st_mode):
        raise ToolError(_not_regular_message(path, st.st_mode))
    if st.st_size > MAX_TEXT_BYTES:
        raise ToolError(
            f"{path} is {st.st_size} bytes, larger than the {MAX_TEXT_BYTES}-byte limit for "
            "editing. Use Bash tools (sed, a script) for files this large."
        )
    fd = _open_regular(real, os.O_RDONLY)
    try:
        raw = _read_fd(fd, MAX_TEXT_BYTES)
    finally:
        os.close(fd)
    return decode_bytes(real, raw)


def encode_text(original: TextFile, new_text: str) -> bytes:
    """``original``'s BOM plus ``new_text`` in ``original``'s encoding; never transcodes."""
    try:
        return original.bom + new_text.encode(original.encoding)
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        code = ", ".join(f"U+{ord(c):04X}" for c in bad[:3])
        raise ToolError(
            f"{original.path} is encoded as {original.encoding}, which cannot represent "
            f"{bad[:3]!r} ({code}) in the new text. Use characters that encoding can hold "
            "(or an escape the file's language understands); the file was not changed."
        ) from exc


def encode_new_file(path: Path, text: str) -> bytes:
    """``text`` as UTF-8 without a BOM, the encoding of every file devagent creates."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ToolError(
            f"The text for {path} contains an unpaired surrogate (position {exc.start}), "
            "which is not valid text. Remove it; nothing was written."
        ) from exc


def _changed_message(path: Path | str) -> str:
    return (
        f"{path} changed on disk since it was read (edited by the user or another program). "
        "Nothing was written. Read it again, then redo the change against its new content."
    )


def _check_content(path: Path | str, current: bytes | None, expected: Expected) -> None:
    if expected is ANY_CONTENT or current == expected:
        return
    if current is None:
        raise ToolError(f"{path} was deleted since it was read. Nothing was written.")
    if expected is None:
        raise ToolError(
            f"{path} now exists (it was created by someone else meanwhile). Nothing was "
            "written. Read it, then decide how to change it."
        )
    raise ToolError(_changed_message(path))


def _current_bytes(name: str, dir_fd: int | None) -> bytes | None:
    try:
        fd = _open_regular(name, os.O_RDONLY, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    try:
        return _read_fd(fd, 1 << 62)
    finally:
        os.close(fd)


def ensure_unchanged(path: Path, expected: bytes | None) -> None:
    """``ToolError`` unless ``path`` holds exactly ``expected`` (None: must not exist)."""
    if expected is None:
        current = b"" if os.path.lexists(path) else None
        _check_content(path, current, None)
        return
    current = _current_bytes(os.path.realpath(path), None)
    _check_content(path, current, expected)


def check_writable(path: Path, st: os.stat_result) -> None:
    """Refuse read-only files instead of silently replacing them (mode bits, then access)."""
    if st.st_mode & 0o222 == 0 or not os.access(path, os.W_OK):
        raise ToolError(
            f"{path} is read-only (mode {stat.S_IMODE(st.st_mode):04o}). devagent does not "
            "change permissions; ask the user to make it writable if it should be edited."
        )


@contextmanager
def _parent_dir_fd(workspace: Path, directory: Path) -> Iterator[int]:
    """An fd for ``directory``, walked from ``workspace`` without following any symlink.

    Missing directories are created (mode 0o777 less the umask) on the way down.
    """
    rel = os.path.relpath(directory, workspace)
    parts = [] if rel == "." else rel.split(os.sep)
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
    fd = os.open(workspace, flags)
    try:
        for part in parts:
            try:
                child = _open_or_make_dir(part, fd, flags | os.O_NOFOLLOW)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise ToolError(
                        f"{directory}: the path component {part!r} is not a plain directory "
                        "(it is a file or a symlink, possibly swapped in meanwhile). "
                        "Nothing was written."
                    ) from exc
                raise
            os.close(fd)
            fd = child
        yield fd
    finally:
        os.close(fd)


def _open_or_make_dir(name: str, dir_fd: int, flags: int) -> int:
    try:
        return os.open(name, flags, dir_fd=dir_fd)
    except FileNotFoundError:
        # Created concurrently is fine: it is opened below without following links.
        with suppress(FileExistsError):
            os.mkdir(name, 0o777, dir_fd=dir_fd)
        return os.open(name, flags, dir_fd=dir_fd)


def _recheck_before_replace(dir_fd: int, name: str, shown: Path, expected: Expected) -> None:
    now = _lstat_or_none(name, dir_fd)
    if now is not None and not stat.S_ISREG(now.st_mode):
        raise ToolError(
            f"{shown} stopped being a regular file (it may have been replaced by a symlink) "
            "while the change was pending. Nothing was written."
        )
    if expected is ANY_CONTENT:
        return
    _check_content(shown, None if now is None else _current_bytes(name, dir_fd), expected)


def _write_in_place(dir_fd: int, shown: Path, data: bytes, expected: Expected) -> None:
    """Rewrite a hard-linked file through its own inode, restoring it if the write fails."""
    fd = _open_regular(shown.name, os.O_RDWR, dir_fd=dir_fd)
    try:
        current = _read_fd(fd, 1 << 62)
        _check_content(shown, current, expected)
        if len(data) > len(current):
            _reserve_space(fd, len(current), len(data))
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            write_all(fd, data)
            os.ftruncate(fd, len(data))
            os.fsync(fd)
        except BaseException:
            _restore_in_place(fd, current)
            raise
    finally:
        os.close(fd)


def _reserve_space(fd: int, old_size: int, new_size: int) -> None:
    try:
        os.posix_fallocate(fd, old_size, new_size - old_size)
    except OSError as exc:
        os.ftruncate(fd, old_size)
        if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
            raise


def _restore_in_place(fd: int, original: bytes) -> None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        write_all(fd, original)
        os.ftruncate(fd, len(original))
        os.fsync(fd)
    except OSError:
        pass  # The write error being raised is the one to report.


def _lstat_or_none(name: str, dir_fd: int) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _write_resolved(workspace: Path, real: Path, data: bytes, expected: Expected) -> None:
    with _parent_dir_fd(workspace, real.parent) as dir_fd:
        old = _lstat_or_none(real.name, dir_fd)
        if old is not None:
            if stat.S_ISLNK(old.st_mode):
                raise ToolError(f"{real} is a symbolic link that could not be resolved.")
            if not stat.S_ISREG(old.st_mode):
                raise ToolError(_not_regular_message(real, old.st_mode))
            check_writable(real, old)
        elif expected is not ANY_CONTENT and expected is not None:
            raise ToolError(f"{real} was deleted since it was read. Nothing was written.")
        if old is not None and old.st_nlink > 1:
            _write_in_place(dir_fd, real, data, expected)
        else:
            recheck = partial(_recheck_before_replace, dir_fd, real.name, real, expected)
            replace_file(real, data, dir_fd=dir_fd, before_replace=recheck)


def atomic_write(
    path: Path, data: bytes, *, workspace: Path, expected: Expected = ANY_CONTENT
) -> None:
    """Write ``data`` to ``path`` safely (see the module docstring for the full policy).

    ``expected`` is what the file must still hold right before it is replaced: its bytes,
    None when it must not exist yet, or ``ANY_CONTENT`` to skip the check. Raises
    ``ToolError`` (with the original left byte-identical) on any refusal or failure.
    """
    root = Path(os.path.realpath(workspace))
    real = Path(os.path.realpath(path))
    if real == root:
        raise ToolError(f"{path} is the workspace directory itself, not a file.")
    if not is_within(root, real):
        raise ToolError(
            f"{path} resolves to {real}, which is outside the workspace {root}. "
            "Only files inside the workspace can be written."
        )
    if len(data) > MAX_TEXT_BYTES:
        raise ToolError(f"Refusing to write {len(data)} bytes: the limit is {MAX_TEXT_BYTES}.")
    try:
        _write_resolved(root, real, data, expected)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise ToolError(f"Writing {path} failed: {reason}. The file was left as it was.") from exc
