"""Locating and replacing ``old_string`` in a file's text for Edit and MultiEdit.

Matching tries, in order, and stops at the first level that finds anything:

1. ``exact``: the string as given, against the text with its original line endings
   (a match that would split a CRLF pair is ignored);
2. ``line-endings``: CRLF and lone CR treated as LF on both sides, so an ``old_string``
   written with LF finds its lines in a CRLF or mixed file;
3. ``quotes``: additionally, curly quotes folded to ASCII on both sides.

Spans found on normalised text are mapped back to offsets in the original text, so every
character outside a replaced span is kept exactly. ``new_string`` is inserted literally,
except that its line breaks take the ending of the line being edited (the first line break at
or after the match; the file's dominant ending when the match is on an unterminated last line).
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from devagent.tools.base import ToolError

MatchLevel = Literal["exact", "line-endings", "quotes"]
Span = tuple[int, int]

_QUOTES: Final = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
    }
)
_LINE_NUMBER_PREFIX: Final = re.compile(r"^\s*\d+\t")
_MAX_HINT_LINES: Final = 12
_MAX_SCANNED_LINES: Final = 100_000
_MAX_SHOWN_CHARS: Final = 200
_MIN_SIMILARITY: Final = 0.5


class MatchError(ToolError):
    """``old_string`` could not be applied; the message is written for the model."""


@dataclass(frozen=True)
class EditSpec:
    old_string: str
    new_string: str
    replace_all: bool = False


@dataclass(frozen=True)
class Applied:
    """The text after one edit, and where its first replacement landed."""

    text: str
    count: int
    level: MatchLevel
    first_offset: int
    first_length: int


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _Normalised:
    """``text`` with CRLF/CR as LF, and a map from its offsets back to the original's."""

    def __init__(self, text: str) -> None:
        self.text = normalise_newlines(text)
        # Normalised index of each collapsed CRLF pair, ascending.
        self._pairs = [m.start() - k for k, m in enumerate(re.finditer("\r\n", text))]

    def original_offset(self, offset: int) -> int:
        return offset + bisect.bisect_left(self._pairs, offset)


def _find_all(haystack: str, needle: str) -> list[int]:
    starts: list[int] = []
    at = haystack.find(needle)
    while at != -1:
        starts.append(at)
        at = haystack.find(needle, at + len(needle))
    return starts


def _splits_crlf(text: str, offset: int) -> bool:
    return 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n"


def find_spans(text: str, old: str) -> tuple[list[Span], MatchLevel]:
    """Spans of ``old`` in ``text`` (original offsets) at the first level that finds any."""
    spans = [(s, s + len(old)) for s in _find_all(text, old)]
    spans = [sp for sp in spans if not (_splits_crlf(text, sp[0]) or _splits_crlf(text, sp[1]))]
    if spans:
        return spans, "exact"
    norm = _Normalised(text)
    old_norm = normalise_newlines(old)
    level: MatchLevel = "line-endings"
    starts = _find_all(norm.text, old_norm)
    if not starts:
        level = "quotes"
        starts = _find_all(norm.text.translate(_QUOTES), old_norm.translate(_QUOTES))
    mapped = [(norm.original_offset(s), norm.original_offset(s + len(old_norm))) for s in starts]
    return mapped, level


def line_ending_at(text: str, offset: int, default: str) -> str:
    """The ending of the line containing ``offset`` (``default`` if that line has none)."""
    m = re.compile(r"\r\n|\r|\n").search(text, offset)
    return m.group() if m else default


def line_number(text: str, offset: int) -> int:
    prefix = text[:offset]
    return 1 + prefix.count("\n") + prefix.count("\r") - prefix.count("\r\n")


def _adapt(new: str, eol: str) -> str:
    return normalise_newlines(new).replace("\n", eol) if eol != "\n" else normalise_newlines(new)


def apply_edit(text: str, spec: EditSpec, default_newline: str) -> Applied:
    """Apply one edit to ``text``; ``MatchError`` (never a partial result) when it cannot."""
    old, new = spec.old_string, spec.new_string
    if old == new:
        raise MatchError("old_string and new_string are identical, so nothing would change.")
    if old == "":
        if text:
            raise MatchError(
                "old_string is empty but the file is not: an empty old_string only creates "
                "a file or fills an empty one. Give the exact text to replace."
            )
        return Applied(new, 1, "exact", 0, len(new))
    spans, level = find_spans(text, old)
    if not spans:
        raise MatchError(not_found_message(text, old))
    if len(spans) > 1 and not spec.replace_all:
        raise MatchError(ambiguous_message(text, spans))
    return _replace(text, spans, new, level, default_newline)


def _replace(
    text: str, spans: Sequence[Span], new: str, level: MatchLevel, default_newline: str
) -> Applied:
    pieces: list[str] = []
    cursor = 0
    first_offset = first_length = 0
    for index, (start, end) in enumerate(spans):
        pieces.append(text[cursor:start])
        replacement = _adapt(new, line_ending_at(text, start, default_newline))
        if index == 0:
            first_offset, first_length = start, len(replacement)
        pieces.append(replacement)
        cursor = end
    pieces.append(text[cursor:])
    return Applied("".join(pieces), len(spans), level, first_offset, first_length)


def ambiguous_message(text: str, spans: Sequence[Span]) -> str:
    lines = ", ".join(str(line_number(text, s)) for s, _ in spans[:10])
    more = ", ..." if len(spans) > 10 else ""
    return (
        f"old_string matches {len(spans)} places (starting on lines {lines}{more}). "
        "Include more surrounding lines in old_string so it matches exactly one place, "
        "or set replace_all to true to change every occurrence."
    )


def not_found_message(text: str, old: str) -> str:
    parts = ["old_string was not found in the file."]
    old_lines = normalise_newlines(old).split("\n")
    if all(_LINE_NUMBER_PREFIX.match(ln) for ln in old_lines if ln.strip()):
        parts.append(
            "It seems to include the line-number prefixes of the Read output (spaces, a "
            "number, a tab); leave those out and copy only the text after the tab."
        )
    hint = closest_lines(normalise_newlines(text), old_lines)
    if hint:
        parts.append(f"The closest lines in the file are:\n{hint}")
    else:
        parts.append("No similar lines were found.")
    parts.append(
        "Copy old_string exactly from the file (whitespace and indentation included), "
        "or Read the file again if it may have changed."
    )
    return "\n".join(parts)


def _best_line(lines: Sequence[str], anchor: str) -> tuple[int, float]:
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(anchor)
    best, best_at = 0.0, -1
    for at, line in enumerate(lines[:_MAX_SCANNED_LINES]):
        candidate = line.strip()
        if not candidate:
            continue
        matcher.set_seq1(candidate)
        if matcher.real_quick_ratio() <= best or matcher.quick_ratio() <= best:
            continue
        ratio = matcher.ratio()
        if ratio > best:
            best, best_at = ratio, at
    return best_at, best


def closest_lines(norm_text: str, old_lines: Sequence[str]) -> str | None:
    """The file lines most like ``old_lines``, numbered like Read output, or None."""
    anchors = [(i, ln.strip()) for i, ln in enumerate(old_lines) if ln.strip()]
    if not anchors:
        return None
    anchor_index, anchor = max(anchors, key=lambda item: len(item[1]))
    lines = norm_text.split("\n")
    at, score = _best_line(lines, anchor)
    if at < 0 or score < _MIN_SIMILARITY:
        return None
    start = max(0, at - anchor_index)
    end = min(len(lines), start + max(len(old_lines), 1), start + _MAX_HINT_LINES)
    return number_lines(lines[start:end], start + 1)


def number_lines(lines: Sequence[str], first: int) -> str:
    """Lines in Read's format: number right-aligned in 6 columns, a tab, the line."""
    out = []
    for n, line in enumerate(lines, start=first):
        shown = line if len(line) <= _MAX_SHOWN_CHARS else line[:_MAX_SHOWN_CHARS] + "..."
        out.append(f"{n:>6}\t{shown}")
    return "\n".join(out)


def snippet(text: str, offset: int, length: int, context: int = 3) -> str:
    """Numbered lines around ``text[offset:offset + length]``, for a tool result."""
    first = line_number(text, offset)
    last = line_number(text, offset + length)
    lines = normalise_newlines(text).split("\n")
    start = max(1, first - context)
    end = min(len(lines), last + context, start + 2 * context + _MAX_HINT_LINES)
    return number_lines(lines[start - 1 : end], start)
