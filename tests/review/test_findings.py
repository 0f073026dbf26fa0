"""Findings: validation against the reviewed files, dedupe, order, fingerprints, the tool."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from devagent.review.findings import (
    Finding,
    FindingCollector,
    ReviewScope,
    at_or_above,
    ordered,
    validate,
)
from devagent.review.report_tool import ReportFindingTool
from devagent.tools.base import ToolContext, ToolError


@pytest.fixture
def scope(tmp_path: Path) -> ReviewScope:
    ws = tmp_path.resolve()
    (ws / "src").mkdir()
    (ws / "src" / "app.py").write_text("import os\n\ndef main():\n    return os.getcwd()\n")
    (ws / "src" / "crlf.py").write_bytes(b"a = 1\r\nb = 2\r\n")
    (ws / "other.py").write_text("x = 1\n")
    return ReviewScope(ws, ("src/app.py", "src/crlf.py"))


def args(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": "Handle the missing directory",
        "body": "os.getcwd() raises when the directory was removed.",
        "priority": 1,
        "confidence": 0.8,
        "file_path": "src/app.py",
        "line_start": 3,
        "line_end": 4,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def test_a_valid_finding_keeps_its_fields_and_the_flagged_lines(scope: ReviewScope) -> None:
    finding = validate(args(), scope)
    assert finding == Finding(
        "Handle the missing directory",
        "os.getcwd() raises when the directory was removed.",
        1,
        0.8,
        "src/app.py",
        3,
        4,
        ("def main():", "    return os.getcwd()"),
    )
    assert finding.location == "src/app.py:3-4" and finding.label == "P1"


def test_absolute_and_dotted_paths_become_workspace_relative(scope: ReviewScope) -> None:
    absolute = str(scope.workspace / "src" / "app.py")
    assert validate(args(file_path=absolute), scope).file_path == "src/app.py"
    assert validate(args(file_path="./src/../src/app.py"), scope).file_path == "src/app.py"


def test_line_end_defaults_to_line_start(scope: ReviewScope) -> None:
    finding = validate(args(line_end=None, line_start=1), scope)
    assert (finding.line_start, finding.line_end, finding.excerpt) == (1, 1, ("import os",))


def test_crlf_lines_are_counted_like_read_counts_them(scope: ReviewScope) -> None:
    finding = validate(args(file_path="src/crlf.py", line_start=2, line_end=2), scope)
    assert finding.excerpt == ("b = 2",)
    with pytest.raises(ToolError, match="has 2 lines"):
        validate(args(file_path="src/crlf.py", line_start=3, line_end=3), scope)


def test_a_file_outside_the_reviewed_set_is_rejected_with_the_choices(scope: ReviewScope) -> None:
    with pytest.raises(ToolError) as caught:
        validate(args(file_path="other.py", line_start=1, line_end=1), scope)
    text = str(caught.value)
    assert "other.py is not one of the files under review" in text
    assert "src/app.py, src/crlf.py" in text


def test_a_path_outside_the_workspace_is_rejected(scope: ReviewScope) -> None:
    with pytest.raises(ToolError, match="outside the workspace"):
        validate(args(file_path="../../etc/passwd"), scope)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"line_start": 9, "line_end": 9}, "line_start 9 is outside src/app.py, which has 4 lines"),
        ({"line_end": 40}, "line_end 40 is past the end of src/app.py, which has 4 lines"),
        ({"line_start": 4, "line_end": 2}, "line_end 2 is before line_start 4"),
        ({"line_start": 0}, "line_start 0 is outside"),
        ({"priority": 7}, "priority must be 0, 1, 2 or 3"),
        ({"priority": True}, "priority must be 0, 1, 2 or 3"),
        ({"confidence": 1.5}, "confidence must be between 0 and 1"),
        ({"confidence": "high"}, "confidence must be a number"),
        ({"title": "  "}, "title is empty"),
        ({"line_start": 2.5}, "line_start must be a whole line number"),
    ],
)
def test_invalid_findings_say_what_to_fix(
    scope: ReviewScope, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ToolError, match=message.replace("(", r"\(")):
        validate(args(**changes), scope)


def finding(
    path: str = "a.py", start: int = 1, end: int = 1, priority: int = 2, title: str = "Fix it"
) -> Finding:
    return Finding(title, "body", priority, 0.5, path, start, end, ("x",))  # type: ignore[arg-type]


def test_ordered_sorts_by_priority_then_location() -> None:
    found = [finding("b.py", 1, priority=3), finding("b.py", 9), finding("a.py", 5), finding()]
    keys = [(f.priority, f.file_path, f.line_start) for f in ordered(found)]
    assert keys == [(2, "a.py", 1), (2, "a.py", 5), (2, "b.py", 9), (3, "b.py", 1)]


def test_duplicates_merge_keeping_the_higher_priority_and_confidence() -> None:
    first = finding(start=3, end=5, priority=2, title="Close the file!")
    again = Finding("close the FILE", "other words", 1, 0.9, "a.py", 4, 4, ("y",))
    elsewhere = finding(start=20, end=20, title="Close the file")
    merged = ordered([first, again, elsewhere])
    assert [(f.priority, f.confidence, f.line_start) for f in merged] == [(1, 0.9, 3), (2, 0.5, 20)]


def test_fingerprints_survive_moved_lines_but_not_changed_code() -> None:
    here = Finding("Fix", "b", 1, 0.5, "a.py", 3, 3, ("    return x",))
    moved = Finding("Fix", "other body", 2, 0.9, "a.py", 30, 30, ("return x",))
    changed = Finding("Fix", "b", 1, 0.5, "a.py", 3, 3, ("    return y",))
    assert here.fingerprint() == moved.fingerprint() != changed.fingerprint()
    assert len(here.fingerprint()) == 32


def test_fail_on_threshold_counts_priority_at_or_above() -> None:
    found = [finding(priority=1), finding(priority=2), finding(priority=3)]
    assert [f.priority for f in at_or_above(found, 1)] == [1]
    assert [f.priority for f in at_or_above(found, 2)] == [1, 2]
    assert at_or_above(found, 0) == [] and at_or_above(found, None) == []


def test_the_tool_records_rejects_and_merges(scope: ReviewScope) -> None:
    collector = FindingCollector(scope)
    tool = ReportFindingTool(collector)
    ctx = ToolContext(scope.workspace, scope.workspace)
    assert tool.read_only
    first = tool.run(args(), ctx)
    assert first.content == (
        "Recorded P1 finding #1 at src/app.py:3-4: Handle the missing directory"
    )
    assert not first.is_error
    repeat = tool.run(args(priority=0, line_start=4, line_end=4), ctx)
    assert repeat.content.startswith("Already recorded as finding #1")
    with pytest.raises(ToolError):
        tool.run(args(line_end=99), ctx)
    assert [(f.priority, f.line_start) for f in collector.findings()] == [(0, 3)]


def test_the_collector_is_safe_under_concurrent_reports(scope: ReviewScope) -> None:
    collector = FindingCollector(scope)
    lines = [(n % 4) + 1 for n in range(40)]

    def report(line: int, n: int) -> None:
        collector.add(validate(args(line_start=line, line_end=line, title=f"Issue {n}"), scope))

    threads = [threading.Thread(target=report, args=(line, n)) for n, line in enumerate(lines)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(collector.findings()) == 40
