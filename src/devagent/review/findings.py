"""Review findings: the Finding model, validation against the reviewed files, dedupe and order.

A finding names a file under review (relative to the workspace root, posix separators) and a
line range inside it. ``validate`` turns a ReportFinding call into a Finding or raises a
``ToolError`` written for the model (what is wrong, the valid choices, what to do next), so
the model can correct the call. ``FindingCollector`` is shared by concurrent tool calls and
merges duplicates; ``ordered`` sorts by priority, then location.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import os
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from devagent.tools.base import ToolError
from devagent.tools.paths import absolute, is_within

Priority = Literal[0, 1, 2, 3]
PRIORITIES: tuple[Priority, ...] = (0, 1, 2, 3)
MAX_TITLE_CHARS = 200
MAX_EXCERPT_LINES = 200
MAX_FILE_BYTES = 8 * 1024 * 1024
FINGERPRINT_KEY = "devagentFinding/v1"


@dataclass(frozen=True)
class Finding:
    """One problem the reviewer reported. ``excerpt`` holds the flagged lines as reported."""

    title: str
    body: str
    priority: Priority
    confidence: float
    file_path: str
    line_start: int
    line_end: int
    excerpt: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"P{self.priority}"

    @property
    def location(self) -> str:
        lines = str(self.line_start)
        if self.line_end != self.line_start:
            lines += f"-{self.line_end}"
        return f"{self.file_path}:{lines}"

    def fingerprint(self) -> str:
        """Stable across runs while the flagged code is unchanged, even if it moves lines."""
        code = "\n".join(line.strip() for line in self.excerpt)
        key = "\0".join((self.file_path, normalize_title(self.title), code))
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "body": self.body,
            "priority": self.priority,
            "confidence": self.confidence,
            "file_path": self.file_path,
            "line_start": self.line_start,
            "line_end": self.line_end,
            "fingerprint": self.fingerprint(),
        }


@dataclass(frozen=True)
class Report:
    """What every output format renders: the findings in order, the summary, the files."""

    findings: list[Finding]
    summary: str
    files_reviewed: list[str]

    def counts(self) -> dict[str, int]:
        counts = {f"P{p}": 0 for p in PRIORITIES}
        for finding in self.findings:
            counts[finding.label] += 1
        return counts


def normalize_title(title: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", title.lower()).split())


def split_lines(text: str) -> list[str]:
    """Lines as Read numbers them: split on LF only, a CR before the LF dropped."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def file_lines(path: Path) -> list[str]:
    with open(path, "rb") as handle:
        data = handle.read(MAX_FILE_BYTES)
    return split_lines(data.decode("utf-8", errors="replace"))


@dataclass(frozen=True)
class ReviewScope:
    """The files under review: findings may point only at these (relative posix paths)."""

    workspace: Path
    files: tuple[str, ...]

    def relative(self, raw: str) -> str:
        """The workspace-relative form of a model-supplied path; ToolError if outside."""
        real = Path(os.path.realpath(absolute(raw, self.workspace)))
        if not is_within(self.workspace, real) or real == self.workspace:
            raise ToolError(
                f"file_path {raw!r} is outside the workspace. Use a path relative to the "
                f"workspace root, one of the files under review: {self._listing()}."
            )
        return real.relative_to(self.workspace).as_posix()

    def require(self, raw: str) -> str:
        rel = self.relative(raw)
        if rel in self.files:
            return rel
        close = difflib.get_close_matches(rel, self.files, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]}?" if close else ""
        raise ToolError(
            f"{rel} is not one of the files under review, so a finding cannot point at it.{hint} "
            f"Report the problem at the line in a reviewed file that causes or uses it, and "
            f"mention {rel} in the body. Files under review: {self._listing()}."
        )

    def _listing(self, limit: int = 20) -> str:
        shown = ", ".join(self.files[:limit])
        more = len(self.files) - limit
        return shown + (f" and {more} more" if more > 0 else "")


def _text(args: Mapping[str, Any], key: str) -> str:
    value = args.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ToolError(f"{key} is empty: give a non-empty string.")
    return value.strip()


def _priority(value: object) -> Priority:
    for priority in PRIORITIES:
        if value == priority and not isinstance(value, bool):
            return priority
    raise ToolError(
        f"priority must be 0, 1, 2 or 3 (0 most severe), got {value!r}. Use 0 for breakage, "
        "data loss or a security hole, 1 for a real bug, 2 for an unlikely one, 3 for minor."
    )


def _confidence(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ToolError(f"confidence must be a number from 0 to 1, got {value!r}.")
    if not 0 <= value <= 1:
        raise ToolError(f"confidence must be between 0 and 1, got {value}.")
    return float(value)


def _line(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ToolError(f"{key} must be a whole line number (1-based), got {value!r}.")
    return int(value)


def _range(args: Mapping[str, Any], rel: str, count: int) -> tuple[int, int]:
    start = _line(args.get("line_start"), "line_start")
    end_raw = args.get("line_end")
    end = start if end_raw is None else _line(end_raw, "line_end")
    last = max(count, 1)
    if start < 1 or start > last:
        raise ToolError(
            f"line_start {start} is outside {rel}, which has {count} lines (1-{last}). Use the "
            "line numbers shown in the listing or by Read."
        )
    if end < start:
        raise ToolError(f"line_end {end} is before line_start {start}; give line_end >= start.")
    if end > last:
        raise ToolError(
            f"line_end {end} is past the end of {rel}, which has {count} lines. Use the line "
            "numbers shown in the listing or by Read."
        )
    return start, end


def validate(args: Mapping[str, Any], scope: ReviewScope) -> Finding:
    """A Finding from a ReportFinding call, or a ToolError the model can act on."""
    title = " ".join(_text(args, "title").split())[:MAX_TITLE_CHARS]
    body = _text(args, "body")
    priority = _priority(args.get("priority"))
    confidence = _confidence(args.get("confidence"))
    rel = scope.require(_text(args, "file_path"))
    try:
        lines = file_lines(scope.workspace / rel)
    except OSError as exc:
        raise ToolError(f"{rel} cannot be read ({exc.strerror}); report it elsewhere.") from exc
    start, end = _range(args, rel, len(lines))
    excerpt = tuple(lines[start - 1 : min(end, start - 1 + MAX_EXCERPT_LINES)])
    return Finding(title, body, priority, confidence, rel, start, end, excerpt)


def _same(a: Finding, b: Finding) -> bool:
    """One problem reported twice: same file, overlapping lines, the same title."""
    overlap = a.line_start <= b.line_end and b.line_start <= a.line_end
    return (
        a.file_path == b.file_path
        and overlap
        and (normalize_title(a.title) == normalize_title(b.title))
    )


def _merge(kept: Finding, again: Finding) -> Finding:
    return replace(
        kept,
        priority=min(kept.priority, again.priority),
        confidence=max(kept.confidence, again.confidence),
    )


def sort_key(finding: Finding) -> tuple[int, str, int, int, str]:
    return (
        finding.priority,
        finding.file_path,
        finding.line_start,
        finding.line_end,
        finding.title,
    )


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Duplicates merged (the higher priority and confidence kept), then sorted."""
    kept: list[Finding] = []
    for finding in findings:
        index = next((i for i, k in enumerate(kept) if _same(k, finding)), None)
        if index is None:
            kept.append(finding)
        else:
            kept[index] = _merge(kept[index], finding)
    return sorted(kept, key=sort_key)


@dataclass
class FindingCollector:
    """Findings of one review, added from concurrent tool calls; duplicates are merged."""

    scope: ReviewScope
    _findings: list[Finding] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, finding: Finding) -> tuple[int, bool]:
        """(1-based number of the finding, whether it repeated an earlier one)."""
        with self._lock:
            for index, kept in enumerate(self._findings):
                if _same(kept, finding):
                    self._findings[index] = _merge(kept, finding)
                    return index + 1, True
            self._findings.append(finding)
            return len(self._findings), False

    def findings(self) -> list[Finding]:
        with self._lock:
            return ordered(self._findings)


def at_or_above(findings: Sequence[Finding], threshold: int | None) -> list[Finding]:
    """The findings that make ``--fail-on P<threshold>`` fail (priority <= threshold)."""
    if threshold is None:
        return []
    return [f for f in findings if f.priority <= threshold]
