"""The ``*** Begin Patch`` envelope: parse patch text and compute new file text (no I/O).

Grammar (CONTRACTS §7; the format Codex models emit)::

    *** Begin Patch
    *** Add File: path        then lines starting with "+" (the whole new file)
    *** Delete File: path
    *** Update File: path
    *** Move to: new/path     optional, right after Update File
    @@ anchor line            optional for the first chunk; "@@" alone is fine
     context line             " " prefix
    -removed line
    +added line
    *** End of File           optional: the chunk must sit at the end of the file
    *** End Patch

Leniency, each unambiguous: marker lines may carry surrounding spaces; a CRLF patch is read
like an LF one; the whole patch may be wrapped in a heredoc (``apply_patch <<'EOF'`` ...
``EOF``) or a Markdown code fence; an empty line inside a chunk is empty context; an empty
line between ``+`` lines of an added file is an empty line of that file; several ``@@``
lines in a row narrow the position step by step (``@@ class A`` then ``@@ def f``); a
unified-diff range such as ``@@ -12,7 +12,8 @@ def f`` keeps only its trailing text.

Applying (the Codex ``seek_sequence`` design): chunks are located in order from a cursor that
only moves forward. Each ``@@`` anchor, then the chunk's old lines, are sought first exactly,
then ignoring trailing whitespace, then ignoring surrounding whitespace, then with Unicode
punctuation folded to ASCII. A chunk with only ``+`` lines is appended at the end of the file.
Context lines keep the file's own text (a curly quote matched by an ASCII one stays curly).
Each line keeps its own ending; new lines get the file's dominant ending; the result ends
with exactly one line ending (an empty result stays empty).

Exceptions::

    ToolError (devagent.tools.base)
    └── PatchError
        ├── ParseError    the patch text is malformed; carries the 1-based line number
        └── ApplyError    a chunk does not match the file it is meant for
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from devagent.tools.base import ToolError
from devagent.tools.fileio import dominant_newline

LineKind = Literal[" ", "-", "+"]
ChunkLine = tuple[LineKind, str]

BEGIN_MARKER: Final = "*** Begin Patch"
END_MARKER: Final = "*** End Patch"
ADD_MARKER: Final = "*** Add File:"
DELETE_MARKER: Final = "*** Delete File:"
UPDATE_MARKER: Final = "*** Update File:"
MOVE_MARKER: Final = "*** Move to:"
EOF_MARKER: Final = "*** End of File"

_HEADERS: Final = "'*** Add File: PATH', '*** Delete File: PATH' or '*** Update File: PATH'"
_HEREDOC_OPEN: Final = re.compile(r"^(?:apply_patch\s+)?<<-?\s*(['\"]?)([A-Za-z_]\w*)\1$")
_DIFF_RANGE: Final = re.compile(r"^-\d+(?:,\d+)?\s+\+\d+(?:,\d+)?\s*@@\s?")
_SHOWN_LINES: Final = 12
_CLOSEST_SCAN_LIMIT: Final = 20_000


class PatchError(ToolError):
    """The patch cannot be used; the message is written for the model."""


class ParseError(PatchError):
    """Malformed patch text, at 1-based ``line`` of the patch."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"Invalid patch, line {line}: {message}")
        self.line = line


class ApplyError(PatchError):
    """A chunk of an ``*** Update File`` section does not match the file."""


@dataclass(frozen=True)
class Chunk:
    """One ``@@`` section: where it goes and what it changes. ``line`` is its patch line."""

    anchors: tuple[str, ...]
    lines: tuple[ChunkLine, ...]
    end_of_file: bool
    line: int

    @property
    def old_lines(self) -> list[str]:
        return [text for kind, text in self.lines if kind != "+"]

    @property
    def new_lines(self) -> list[str]:
        return [text for kind, text in self.lines if kind != "-"]


@dataclass(frozen=True)
class AddFile:
    path: str
    lines: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class DeleteFile:
    path: str
    line: int


@dataclass(frozen=True)
class UpdateFile:
    path: str
    move_to: str | None
    chunks: tuple[Chunk, ...]
    line: int


Hunk = AddFile | DeleteFile | UpdateFile


@dataclass(frozen=True)
class Patch:
    hunks: tuple[Hunk, ...]


# ---------------------------------------------------------------------------------------------
# Parsing


def parse_patch(text: str) -> Patch:
    """Parse patch text; ``ParseError`` names the first malformed line."""
    raw = [line.removesuffix("\r") for line in text.split("\n")]
    first, last = _envelope(raw)
    hunks = _Parser(raw, first + 1, last).hunks()
    if not hunks:
        raise ParseError(
            first + 1, f"the patch holds no file sections; add {_HEADERS} before '{END_MARKER}'."
        )
    return Patch(tuple(hunks))


def _bounds(raw: Sequence[str], lo: int, hi: int) -> tuple[int, int]:
    """Shrink [lo, hi] (inclusive) past blank lines."""
    while lo <= hi and not raw[lo].strip():
        lo += 1
    while hi >= lo and not raw[hi].strip():
        hi -= 1
    return lo, hi


def _unwrap(raw: Sequence[str], lo: int, hi: int) -> tuple[int, int]:
    """Drop a heredoc or Markdown-fence wrapper around the envelope, if there is one."""
    if hi - lo < 2:
        return lo, hi
    opener, closer = raw[lo].strip(), raw[hi].strip()
    heredoc = _HEREDOC_OPEN.match(opener)
    if (heredoc and closer == heredoc.group(2)) or (opener.startswith("```") and closer == "```"):
        return _bounds(raw, lo + 1, hi - 1)
    return lo, hi


def _envelope(raw: Sequence[str]) -> tuple[int, int]:
    """0-based indexes of the Begin and End marker lines."""
    lo, hi = _unwrap(raw, *_bounds(raw, 0, len(raw) - 1))
    if lo > hi:
        raise ParseError(1, f"the patch is empty; it must start with '{BEGIN_MARKER}'.")
    if raw[lo].strip() != BEGIN_MARKER:
        raise ParseError(lo + 1, f"the patch must start with '{BEGIN_MARKER}', got {raw[lo]!r}.")
    if hi == lo or raw[hi].strip() != END_MARKER:
        raise ParseError(
            hi + 1,
            f"the patch must end with '{END_MARKER}', got {raw[hi]!r}. If the patch was cut "
            "off, send it again in full.",
        )
    return lo, hi


def _is_marker(line: str) -> bool:
    """A ``***`` line that ends a chunk (content lines start with ' ', '+' or '-')."""
    return not line.startswith((" ", "+", "-")) and line.strip().startswith("***")


def _anchor_text(line: str) -> str:
    rest = _DIFF_RANGE.sub("", line[2:].strip(), count=1)
    return rest.strip()


class _Parser:
    """Reads hunks from ``raw[start:end]``; line numbers in errors are 1-based."""

    def __init__(self, raw: Sequence[str], start: int, end: int) -> None:
        self.raw = raw
        self.pos = start
        self.end = end

    def hunks(self) -> list[Hunk]:
        found: list[Hunk] = []
        while self.pos < self.end:
            line = self.raw[self.pos]
            if not line.strip():
                self.pos += 1
                continue
            found.append(self._hunk(line))
        return found

    def _hunk(self, line: str) -> Hunk:
        stripped = line.strip()
        if stripped.startswith(ADD_MARKER):
            return self._add(self._path(stripped, ADD_MARKER))
        if stripped.startswith(DELETE_MARKER):
            hunk = DeleteFile(self._path(stripped, DELETE_MARKER), self.pos + 1)
            self.pos += 1
            return hunk
        if stripped.startswith(UPDATE_MARKER):
            return self._update(self._path(stripped, UPDATE_MARKER))
        raise ParseError(self.pos + 1, self._not_a_header(line))

    def _not_a_header(self, line: str) -> str:
        stripped = line.strip()
        hint = ""
        if stripped == END_MARKER:
            hint = f" '{END_MARKER}' may appear only once, as the last line."
        elif stripped.startswith(("@@", "+", "-")) or line.startswith(" "):
            hint = " Chunk lines must follow an '*** Update File: PATH' line."
        elif stripped.startswith(MOVE_MARKER):
            hint = f" '{MOVE_MARKER}' must come right after its '*** Update File:' line."
        return f"expected a hunk header ({_HEADERS}), got {line!r}.{hint}"

    def _path(self, stripped: str, marker: str) -> str:
        path = stripped[len(marker) :].strip()
        if not path:
            raise ParseError(self.pos + 1, f"'{marker}' must be followed by a file path.")
        return path

    def _add(self, path: str) -> AddFile:
        start = self.pos
        self.pos += 1
        body: list[str] = []
        while self.pos < self.end:
            line = self.raw[self.pos]
            if line.startswith("+"):
                body.append(line[1:])
                self.pos += 1
            elif not line.strip() and self._plus_follows_blanks():
                body.append("")
                self.pos += 1
            else:
                break
        return AddFile(path, tuple(body), start + 1)

    def _plus_follows_blanks(self) -> bool:
        ahead = self.pos
        while ahead < self.end and not self.raw[ahead].strip():
            ahead += 1
        return ahead < self.end and self.raw[ahead].startswith("+")

    def _update(self, path: str) -> UpdateFile:
        start = self.pos
        self.pos += 1
        move_to: str | None = None
        if self.pos < self.end and self.raw[self.pos].strip().startswith(MOVE_MARKER):
            move_to = self._path(self.raw[self.pos].strip(), MOVE_MARKER)
            self.pos += 1
        chunks: list[Chunk] = []
        while True:
            self._skip_blank()
            if self.pos >= self.end or _is_marker(self.raw[self.pos]):
                break
            chunks.append(self._chunk(path, first=not chunks))
        if not chunks and move_to is None:
            raise ParseError(
                start + 1,
                f"'{UPDATE_MARKER} {path}' has no changes: add '@@' chunks with ' ' context, "
                "'-' removed and '+' added lines (or a '*** Move to:' line to rename it).",
            )
        return UpdateFile(path, move_to, tuple(chunks), start + 1)

    def _skip_blank(self) -> None:
        while self.pos < self.end and not self.raw[self.pos].strip():
            self.pos += 1

    def _chunk(self, path: str, *, first: bool) -> Chunk:
        start = self.pos
        anchors: list[str] = []
        while self.pos < self.end and self.raw[self.pos].startswith("@@"):
            anchor = _anchor_text(self.raw[self.pos])
            if anchor:
                anchors.append(anchor)
            self.pos += 1
        if self.pos == start and not first:
            raise ParseError(
                self.pos + 1,
                f"expected '@@' to start the next chunk of {path}, got {self.raw[self.pos]!r}.",
            )
        lines, end_of_file = self._chunk_lines(path)
        if not lines:
            raise ParseError(
                start + 1,
                f"this chunk of {path} has no lines; give ' ' context, '-' removed and '+' "
                "added lines after '@@'.",
            )
        return Chunk(tuple(anchors), tuple(lines), end_of_file, start + 1)

    def _chunk_lines(self, path: str) -> tuple[list[ChunkLine], bool]:
        lines: list[ChunkLine] = []
        while self.pos < self.end:
            line = self.raw[self.pos]
            if line.startswith("@@"):
                return lines, False
            if _is_marker(line):
                if line.strip() != EOF_MARKER:
                    return lines, False
                self.pos += 1
                return lines, True
            lines.append(self._chunk_line(line, path))
            self.pos += 1
        return lines, False

    def _chunk_line(self, line: str, path: str) -> ChunkLine:
        if line.startswith(" "):
            return " ", line[1:]
        if line.startswith("-"):
            return "-", line[1:]
        if line.startswith("+"):
            return "+", line[1:]
        if not line.strip():
            return " ", ""
        raise ParseError(
            self.pos + 1,
            f"unexpected line in a chunk of {path}: {line!r}. Every chunk line starts with "
            "' ' (unchanged context), '-' (removed) or '+' (added); an unchanged line needs "
            "its leading space.",
        )


def added_file_text(hunk: AddFile, newline: str = "\n") -> str:
    """The full text of an ``*** Add File`` section (empty when it has no lines)."""
    return "".join(line + newline for line in hunk.lines)


# ---------------------------------------------------------------------------------------------
# Applying

_FOLD: Final[dict[int, str]] = {
    **{cp: "-" for cp in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xFE63)},
    **{cp: "'" for cp in (0x2018, 0x2019, 0x201A, 0x201B, 0x2032)},
    **{cp: '"' for cp in (0x201C, 0x201D, 0x201E, 0x201F, 0x2033)},
    **{cp: " " for cp in (0x00A0, 0x202F, 0x205F, 0x3000, *range(0x2002, 0x200B))},
    0x2026: "...",
    0x200B: "",
    0xFEFF: "",
}


def _fold(text: str) -> str:
    return text.translate(_FOLD).strip()


def _same(text: str) -> str:
    return text


_STAGES: Final[tuple[Callable[[str], str], ...]] = (_same, str.rstrip, str.strip, _fold)


def split_lines(text: str) -> list[tuple[str, str]]:
    """``(content, ending)`` pairs; CRLF, a lone CR and a lone LF each end a line, in every
    file (as Edit reads them, and as Codex's preserve-line-endings mode does)."""
    parts = re.split(r"(\r\n|\r|\n)", text)
    pairs = [(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
    if parts[-1]:
        pairs.append((parts[-1], ""))
    return pairs


class _Finder:
    """Seeks line sequences with growing tolerance; normalised lines are computed once."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines
        self._normalised: dict[int, list[str]] = {}

    def _stage(self, index: int) -> list[str]:
        if index not in self._normalised:
            norm = _STAGES[index]
            self._normalised[index] = [norm(line) for line in self.lines]
        return self._normalised[index]

    def seek(self, pattern: Sequence[str], start: int, *, at_end: bool = False) -> int | None:
        """First index >= ``start`` where ``pattern`` matches (only at the end if ``at_end``)."""
        size = len(pattern)
        if size == 0 or size > len(self.lines) or start > len(self.lines) - size:
            return None
        starts = (
            self._end_starts(size, start) if at_end else range(start, len(self.lines) - size + 1)
        )
        for index, norm in enumerate(_STAGES):
            lines = self._stage(index)
            want = [norm(line) for line in pattern]
            for i in starts:
                if lines[i] == want[0] and lines[i : i + size] == want:
                    return i
        return None

    def _end_starts(self, size: int, start: int) -> list[int]:
        """The last position, then positions leaving only blank lines after the match."""
        last = len(self.lines) - size
        starts = [last]
        tail = len(self.lines) - 1
        while tail >= start + size and not self.lines[tail].strip():
            tail -= 1
            starts.append(tail - size + 1)
        return [s for s in starts if s >= start]


@dataclass(frozen=True)
class _Edit:
    start: int
    length: int
    lines: tuple[ChunkLine, ...]


def apply_chunks(
    text: str, chunks: Sequence[Chunk], *, path: str, newline: str | None = None
) -> str:
    """The new text of ``path`` after ``chunks``; ``ApplyError`` if a chunk does not match.

    ``text`` has no BOM; ``newline`` is the file's dominant ending (detected when None).
    Untouched and context lines keep their own endings; every added line, a replacing one
    included, gets the dominant ending, and so does a last line that had none.
    """
    ending = newline or dominant_newline(text)
    lines = split_lines(text)
    finder = _Finder([content for content, _ in lines])
    edits: list[_Edit] = []
    cursor = 0
    for number, chunk in enumerate(chunks, 1):
        edit = _locate(finder, chunk, cursor, _Where(path, number, len(chunks)))
        edits.append(edit)
        if edit.length:
            cursor = edit.start + edit.length
    return _render(lines, edits, ending)


@dataclass(frozen=True)
class _Where:
    path: str
    number: int
    total: int

    def __str__(self) -> str:
        return f"{self.path}, chunk {self.number} of {self.total}"


def _locate(finder: _Finder, chunk: Chunk, cursor: int, where: _Where) -> _Edit:
    start_from = _seek_anchors(finder, chunk, cursor, where)
    if not chunk.old_lines:
        return _Edit(len(finder.lines), 0, chunk.lines)
    found = finder.seek(chunk.old_lines, start_from, at_end=chunk.end_of_file)
    lines = chunk.lines
    if found is None and _trailing_blank_context(lines):
        # Models often end a chunk with an empty separator line the file does not have there.
        lines = _trailing_blank_context(lines)
        found = finder.seek([t for k, t in lines if k != "+"], start_from, at_end=chunk.end_of_file)
    if found is None:
        raise ApplyError(_not_found_message(finder, chunk, start_from, where))
    return _Edit(found, sum(1 for kind, _ in lines if kind != "+"), lines)


def _trailing_blank_context(lines: tuple[ChunkLine, ...]) -> tuple[ChunkLine, ...]:
    """``lines`` without trailing empty context lines, or () when there are none to drop."""
    end = len(lines)
    while end > 0 and lines[end - 1][0] == " " and not lines[end - 1][1].strip():
        end -= 1
    if end == len(lines) or not any(kind != "+" for kind, _ in lines[:end]):
        return ()
    return lines[:end]


def _seek_anchors(finder: _Finder, chunk: Chunk, cursor: int, where: _Where) -> int:
    """Where the chunk's lines are sought from: the last anchor's line, or ``cursor``."""
    position = cursor
    found = cursor
    for anchor in chunk.anchors:
        index = finder.seek([anchor], position)
        if index is None:
            raise ApplyError(_anchor_message(finder, anchor, position, chunk, where))
        found, position = index, index + 1
    return found


def _quote(lines: Sequence[str], first_number: int | None = None) -> str:
    shown = list(lines[:_SHOWN_LINES])
    if first_number is None:
        body = "\n".join(f"    {line}" for line in shown)
    else:
        body = "\n".join(f"{first_number + i:6}  {line}" for i, line in enumerate(shown))
    if len(lines) > _SHOWN_LINES:
        body += f"\n    ... ({len(lines) - _SHOWN_LINES} more lines)"
    return body


def _anchor_message(
    finder: _Finder, anchor: str, position: int, chunk: Chunk, where: _Where
) -> str:
    head = f"{where} (patch line {chunk.line}): the '@@ {anchor}' line was not found"
    earlier = finder.seek([anchor], 0)
    if earlier is not None:
        return (
            f"{head} after line {position}; it is at line {earlier + 1}, before an earlier "
            "chunk. Put chunks in the order their lines appear in the file."
        )
    return (
        f"{head} in the file. The text after '@@ ' must be a line copied from the file (for "
        "example the enclosing 'def' or 'class' line); use a bare '@@' when unsure."
        + _closest_text(finder, [anchor])
    )


def _not_found_message(finder: _Finder, chunk: Chunk, start_from: int, where: _Where) -> str:
    old = chunk.old_lines
    place = "at the end of the file" if chunk.end_of_file else f"after line {start_from}"
    message = (
        f"{where} (patch line {chunk.line}): these context/removed lines were not found "
        f"{place}:\n{_quote(old)}"
    )
    elsewhere = finder.seek(old, 0)
    if elsewhere is not None and chunk.end_of_file:
        message += (
            f"\nThey are at line {elsewhere + 1}, not at the end of the file: drop "
            f"'{EOF_MARKER}' from this chunk."
        )
    elif elsewhere is not None:
        message += (
            f"\nThey are at line {elsewhere + 1}, above where this chunk is sought (after the "
            "previous chunk and this chunk's '@@' lines). Put chunks in file order and use "
            "'@@' lines that come before these lines."
        )
    else:
        message += _closest_text(finder, old)
    return (
        message + "\nCopy the ' ' and '-' lines exactly from the current file (read it "
        "again if unsure) and send the corrected patch."
    )


def _closest_text(finder: _Finder, pattern: Sequence[str]) -> str:
    """The file lines most like the pattern's first non-blank line, or "" when none is close."""
    probe = next((line.strip() for line in pattern if line.strip()), "")
    lines = finder.lines
    if not probe or len(lines) > _CLOSEST_SCAN_LIMIT:
        return ""
    stripped = [line.strip() for line in lines]
    match = difflib.get_close_matches(probe, stripped, n=1, cutoff=0.6)
    if not match:
        return ""
    index = stripped.index(match[0])
    window = lines[index : index + max(len(pattern), 1)]
    return f"\nClosest text in the file, from line {index + 1}:\n{_quote(window, index + 1)}"


def _render(lines: Sequence[tuple[str, str]], edits: Sequence[_Edit], ending: str) -> str:
    out: list[tuple[str, str]] = []
    k = 0
    for edit in sorted(edits, key=lambda e: e.start):
        out.extend(lines[k : edit.start])
        k = edit.start
        for kind, content in edit.lines:
            if kind == " ":
                out.append(lines[k])
                k += 1
            elif kind == "-":
                k += 1
            else:
                out.append((content, ending))
    out.extend(lines[k:])
    return "".join(content + (end or ending) for content, end in out)
