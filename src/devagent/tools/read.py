"""The Read tool: show a text file to the model in ``cat -n`` form and record that it was read.

A PNG, JPEG, GIF or WebP file (by name, or by its first bytes under any name) comes back as
an image block the model can see, after a one-line placeholder (``devagent.images``); the
placeholder is all the user's screen shows of it.

Safety rules it keeps: the path is resolved inside the workspace (symlinks included); only
regular files are opened, with ``O_NOFOLLOW | O_NONBLOCK`` so a swapped-in symlink or a FIFO
cannot redirect or hang the read; binary files are refused; a file above ``WHOLE_READ_LIMIT``
is read only in parts (``offset``/``limit``) and a file above ``FINGERPRINT_LIMIT`` is streamed
line by line, never loaded whole. Every successful read records the fingerprint of the whole
file in the ledger (when it is small enough to hash), because Edit and Write depend on it.
"""

from __future__ import annotations

import difflib
import io
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from devagent.images import (
    MAX_FILE_BYTES,
    ImageError,
    image_from_bytes,
    image_media_type,
    is_image_path,
)
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
from devagent.tools.notebook import notebook_result
from devagent.tools.paths import display_path, resolve_readable

DEFAULT_LIMIT = 2000
MAX_LINE_CHARS = 2000
WHOLE_READ_LIMIT = 256 * 1024
FINGERPRINT_LIMIT = 64 * 1024 * 1024
MAX_OUTPUT_CHARS = 100_000
SCAN_BUDGET = 512 * 1024 * 1024
SNIFF_BYTES = 8192
_CHUNK = 64 * 1024
# A UTF-8 character is at most 4 bytes; keep enough bytes to show MAX_LINE_CHARS of them.
_KEEP_BYTES = MAX_LINE_CHARS * 4 + 4

_BINARY_EXTENSION_WORDS = """
png jpg jpeg gif bmp ico webp tif tiff psd heic avif pdf zip gz tgz bz2 xz zst 7z rar tar
jar war ear whl egg exe dll so dylib o a lib obj class pyc pyo pyd wasm bin iso dmg img
mp3 mp4 m4a wav flac ogg avi mov mkv webm woff woff2 ttf otf eot sqlite sqlite3 db
parquet feather npy npz pkl pickle h5 onnx pt safetensors
"""
BINARY_EXTENSIONS = frozenset(_BINARY_EXTENSION_WORDS.split())

_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32LE"),
    (b"\x00\x00\xfe\xff", "UTF-32BE"),
    (b"\xff\xfe", "UTF-16LE"),
    (b"\xfe\xff", "UTF-16BE"),
)

DESCRIPTION = f"""\
Reads a text file from the workspace and returns it with line numbers.

Usage:
- file_path may be absolute or relative to the workspace root; it must lie inside the workspace.
- By default it reads up to {DEFAULT_LIMIT} lines from the start of the file. offset (1-based \
line number to start at) and limit (number of lines) read a part of a file; use them for large \
files, and otherwise read the whole file.
- Output is in `cat -n` format: the line number right-aligned in 6 columns, a tab, then the \
line. The number and the tab are not part of the file: never copy them into Edit's old_string.
- Lines longer than {MAX_LINE_CHARS} characters are cut and marked as cut.
- Files over {WHOLE_READ_LIMIT // 1024} KiB must be read in parts with offset and limit, or \
searched with Grep first to find the lines that matter.
- PNG, JPEG, GIF and WebP images are shown to you as images (scaled down when larger than \
the API takes). Other binary files (archives, executables, databases, PDFs) are refused. \
Directories are refused: use LS for them, and Glob to find files by name.
- A Jupyter notebook (.ipynb) is shown as its cells (ids, types, sources, outputs), as \
NotebookRead shows it; with offset or limit you get its raw JSON lines instead.
- Read a file before changing it with Edit or Write; those tools refuse files not read first.
- Call Read on several files in parallel when you need several files."""


@dataclass(frozen=True)
class _Window:
    """Which lines to show: ``start`` is 1-based; ``limit`` counts lines."""

    start: int
    limit: int
    explicit: bool


class _ScanBudgetExceeded(Exception):
    def __init__(self, line_number: int) -> None:
        super().__init__(line_number)
        self.line_number = line_number


class _LineReader:
    """Reads lines from a binary stream keeping at most ``_KEEP_BYTES`` of each in memory."""

    def __init__(self, stream: BinaryIO, budget: int | None) -> None:
        self._stream = stream
        self._budget = budget
        self.consumed = 0
        self.line_number = 0

    def _take(self, size: int) -> bytes:
        piece = self._stream.readline(size)
        self.consumed += len(piece)
        if self._budget is not None and self.consumed > self._budget:
            raise _ScanBudgetExceeded(self.line_number + 1)
        return piece

    def at_end(self) -> bool:
        return not self._stream.read(1)

    def next_line(self) -> tuple[bytes, int] | None:
        """The next line without its end-of-line (its kept prefix) and its full byte length."""
        first = self._take(_KEEP_BYTES)
        if not first:
            return None
        self.line_number += 1
        if first.endswith(b"\n"):
            line = _strip_cr(first[:-1])
            return line, len(line)
        total = len(first)
        while True:
            more = self._take(_CHUNK)
            if not more:
                return first, total
            if more.endswith(b"\n"):
                return first, total + len(more) - 1
            total += len(more)


def _strip_cr(line: bytes) -> bytes:
    return line[:-1] if line.endswith(b"\r") else line


def _decode(raw: bytes, full_length: int) -> tuple[str, bool]:
    """The text to show and whether the line held bytes that are not UTF-8."""
    cut = full_length > len(raw)
    try:
        text = raw.decode("utf-8")
        clean = True
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        clean = cut  # a cut can split a character; that is not the file's fault
    if cut or len(text) > MAX_LINE_CHARS:
        text = text[:MAX_LINE_CHARS] + f" [... line cut: {full_length} bytes in full]"
    return text, clean


def _as_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ToolError(f"{name} must be a whole number, got {value!r}.")
    if isinstance(value, float) and not value.is_integer():
        raise ToolError(f"{name} must be a whole number, got {value!r}.")
    return int(value)


def _window(args: Args) -> _Window:
    offset = _as_int(args.get("offset"), "offset")
    limit = _as_int(args.get("limit"), "limit")
    if offset is not None and offset < 0:
        raise ToolError(f"offset must be a line number (1 or more), got {offset}.")
    if limit is not None and limit < 1:
        raise ToolError(f"limit must be at least 1, got {limit}. Omit it to read {DEFAULT_LIMIT}.")
    explicit = offset is not None or limit is not None
    return _Window(max(offset or 1, 1), limit or DEFAULT_LIMIT, explicit)


def _human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    value = size / 1024
    for unit in ("KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def _not_found(raw: str, real: Path, workspace: Path) -> ToolError:
    shown = display_path(real, workspace)
    parent = real.parent
    if not parent.is_dir():
        return ToolError(
            f"File does not exist: {shown} (its directory {display_path(parent, workspace)} "
            "does not exist either). Use Glob or LS to find the right path."
        )
    try:
        names = sorted(os.listdir(parent))[:5000]
    except OSError:
        names = []
    by_lower = {name.lower(): name for name in names}
    close = difflib.get_close_matches(real.name.lower(), list(by_lower), n=3, cutoff=0.6)
    hint = ""
    if close:
        options = ", ".join(display_path(parent / by_lower[c], workspace) for c in close)
        hint = f" Did you mean: {options}?"
    return ToolError(
        f"File does not exist: {shown}.{hint} Use Glob (for example pattern "
        f"'**/{real.name}') or LS to find the right path."
    )


def _check_kind(mode: int, shown: str) -> None:
    if stat.S_ISDIR(mode):
        raise ToolError(
            f"{shown} is a directory, not a file. Use LS to list it, or Glob to find files in it."
        )
    if not stat.S_ISREG(mode):
        raise ToolError(
            f"{shown} is not a regular file (a FIFO, socket or device); Read only opens files."
        )


def _binary_error(shown: str, head: bytes) -> ToolError:
    for bom, encoding in _WIDE_BOMS:
        if head.startswith(bom):
            return ToolError(
                f"{shown} is {encoding} text; Read shows UTF-8 text only. View it with Bash, "
                f"for example: iconv -f {encoding} -t UTF-8 '{shown}' | head -n 200"
            )
    return ToolError(
        f"{shown} is a binary file (it contains NUL bytes); Read only shows text. Inspect it "
        f"with Bash instead (for example: file '{shown}', or xxd '{shown}' | head)."
    )


def _open_regular(real: Path, shown: str) -> int:
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        raise ToolError(f"Cannot open {shown}: {exc.strerror}.") from exc
    try:
        _check_kind(os.fstat(fd).st_mode, shown)
    except ToolError:
        os.close(fd)
        raise
    return fd


class ReadTool(Tool):
    """Read: numbered lines of a text file, whole or in a window."""

    name: ClassVar[str] = "Read"
    description: ClassVar[str] = DESCRIPTION
    kind: ClassVar[ToolKind] = "read"
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "file_path": {
                "type": "string",
                "description": "The path of the file to read (absolute, or relative to the "
                "workspace root)",
            },
            "offset": {
                "type": "integer",
                "description": "The line number to start reading from (1-based). Only provide "
                "if the file is too large to read at once",
            },
            "limit": {
                "type": "integer",
                "description": "The number of lines to read. Only provide if the file is too "
                "large to read at once",
            },
        },
        "required": ["file_path"],
        "additionalProperties": False,
    }

    def prepare(self, args: Args, ctx: ToolContext) -> PreparedCall:
        raw = str(args.get("file_path", ""))
        real = resolve_readable(raw, ctx)
        window = _window(args)
        return PreparedCall(execute=lambda: self._read(raw, real, window, ctx), paths=(real,))

    def _read(self, raw: str, real: Path, window: _Window, ctx: ToolContext) -> ToolResult:
        shown = display_path(real, ctx.workspace)
        try:
            st = os.stat(real)
        except (FileNotFoundError, NotADirectoryError):
            raise _not_found(raw, real, ctx.workspace) from None
        except OSError as exc:
            raise ToolError(f"Cannot read {shown}: {exc.strerror}.") from exc
        _check_kind(st.st_mode, shown)
        note = ""
        if real.suffix.lower() == ".ipynb" and not window.explicit:
            try:
                return notebook_result(real, ctx)
            except ToolError as exc:
                note = f"\n\n(Not shown as notebook cells: {exc} This is its raw text.)"
        if is_image_path(real):
            return _image_result(real, shown)
        if real.suffix.lower().lstrip(".") in BINARY_EXTENSIONS:
            raise ToolError(
                f"{shown} is a binary file type ({real.suffix}); Read only shows text. "
                f"Inspect it with Bash instead (for example: file '{shown}')."
            )
        if st.st_size > WHOLE_READ_LIMIT and not window.explicit:
            raise ToolError(
                f"{shown} is {_human_size(st.st_size)}, more than Read shows at once "
                f"({WHOLE_READ_LIMIT // 1024} KiB). Read a part of it with offset and limit "
                f"(for example offset=1, limit=500), or use Grep to find the lines you need."
            )
        fd = _open_regular(real, shown)
        with os.fdopen(fd, "rb") as handle:
            result = self._read_open(handle, real, shown, window, ctx)
        return ToolResult(result.content + note) if note else result

    def _read_open(
        self, handle: BinaryIO, real: Path, shown: str, window: _Window, ctx: ToolContext
    ) -> ToolResult:
        head = handle.read(SNIFF_BYTES)
        if image_media_type(head) is not None:  # an image under another name
            return _image_from(handle, head, shown)
        if b"\x00" in head:
            raise _binary_error(shown, head)
        size = os.fstat(handle.fileno()).st_size
        if size <= FINGERPRINT_LIMIT:
            data = head + handle.read()
            if not data:
                ctx.ledger.record(real, data)
                return ToolResult(f"{shown} exists but is empty (0 bytes).")
            total = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
            reader = _LineReader(io.BytesIO(data), budget=None)
            text = _render(reader, window, shown, total, ctx)
            ctx.ledger.record(real, data)
            return ToolResult(text)
        handle.seek(0)
        reader = _LineReader(handle, budget=SCAN_BUDGET)
        text = _render(reader, window, shown, None, ctx)
        return ToolResult(
            text + f"\n(The file is over {FINGERPRINT_LIMIT // (1024 * 1024)} MiB, so it was "
            "streamed and cannot be changed with Edit or Write.)"
        )


def _image_result(real: Path, shown: str) -> ToolResult:
    fd = _open_regular(real, shown)
    with os.fdopen(fd, "rb") as handle:
        return _image_from(handle, b"", shown)


def _image_from(handle: BinaryIO, head: bytes, shown: str) -> ToolResult:
    """The image the rest of ``handle`` holds (after ``head``), as text plus an image block."""
    try:
        image = image_from_bytes(head + handle.read(MAX_FILE_BYTES + 1 - len(head)), shown)
    except ImageError as exc:
        raise ToolError(str(exc)) from None
    return ToolResult(image.placeholder, attachments=(image.block(),))


def _skip_to(reader: _LineReader, window: _Window, shown: str, ctx: ToolContext) -> None:
    while reader.line_number < window.start - 1:
        if reader.line_number % 10_000 == 0 and ctx.cancel.is_set():
            raise ToolInterrupted()
        if reader.next_line() is None:
            raise ToolError(
                f"offset {window.start} is past the end of {shown}, which has "
                f"{reader.line_number} lines. Use an offset between 1 and {reader.line_number}."
            )


@dataclass
class _Shown:
    """The numbered lines picked for output and why picking stopped."""

    lines: list[str]
    clean: bool = True
    capped: bool = False
    too_long_at: int | None = None


def _collect(reader: _LineReader, window: _Window) -> _Shown:
    shown = _Shown([])
    used = 0
    while len(shown.lines) < window.limit:
        try:
            line = reader.next_line()
        except _ScanBudgetExceeded as exc:
            if not shown.lines:
                raise
            shown.too_long_at = exc.line_number
            return shown
        if line is None:
            break
        text, line_clean = _decode(*line)
        if reader.line_number == 1:
            text = text.removeprefix("\ufeff")
        numbered = f"{reader.line_number:>6}\t{text}"
        if shown.lines and used + len(numbered) + 1 > MAX_OUTPUT_CHARS:
            shown.capped = True
            return shown
        shown.lines.append(numbered)
        used += len(numbered) + 1
        shown.clean = shown.clean and line_clean
    return shown


def _budget_error(shown: str, line_number: int) -> ToolError:
    return ToolError(
        f"Stopped scanning {shown} at line {line_number} after "
        f"{SCAN_BUDGET // (1024 * 1024)} MiB: the lines are too long to stream. Use Grep to "
        "find what you need, or Bash (for example head -c) to look at raw bytes."
    )


def _notes(picked: _Shown, first: int, total: int | None, more: bool) -> list[str]:
    last = first + len(picked.lines) - 1
    notes: list[str] = []
    if not picked.clean:
        notes.append("(The file is not valid UTF-8; bytes that do not decode are shown as \ufffd.)")
    if picked.too_long_at is not None:
        notes.append(
            f"(Stopped before line {picked.too_long_at}: it is too long to stream. Use Grep to "
            "search the rest of the file.)"
        )
    elif total is not None and last < total:
        notes.append(
            f"(Showing lines {first}-{last} of {total}. To read more, call Read with "
            f"offset={last + 1}.)"
        )
    elif more:
        notes.append(
            f"(Showing lines {first}-{last}; the file continues. To read more, call Read with "
            f"offset={last + 1}.)"
        )
    return notes


def _render(
    reader: _LineReader, window: _Window, shown: str, total: int | None, ctx: ToolContext
) -> str:
    try:
        _skip_to(reader, window, shown, ctx)
        picked = _collect(reader, window)
    except _ScanBudgetExceeded as exc:
        raise _budget_error(shown, exc.line_number) from None
    if not picked.lines:
        raise ToolError(f"offset {window.start} is past the end of {shown}.")
    more = picked.capped or (total is None and not reader.at_end())
    notes = _notes(picked, window.start, total, more)
    body = "\n".join(picked.lines)
    return body + ("\n\n" + "\n".join(notes) if notes else "")
