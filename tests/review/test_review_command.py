"""What `devagent review` prints on stderr, and how results map to exit codes."""

from __future__ import annotations

import io
from pathlib import Path

from devagent.commands.review import (
    PlainProgress,
    event_line,
    exit_code,
    progress_for,
    summary_line,
)
from devagent.events import Notice, PermissionDenied, TextDelta, ToolFinished, ToolStarted
from devagent.messages import Usage
from devagent.review.findings import Finding, Report
from devagent.review.runner import ReviewResult
from devagent.review.targets import Skipped, TargetFile

FILES = [TargetFile("src/a.py", "x" * 400), TargetFile("src/b.py", "y" * 40)]
RECORDED = "Recorded P1 finding #1 at src/a.py:3: Close the file"


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def result(*priorities: int, stop: str | None = None) -> ReviewResult:
    findings = [Finding(f"T{p}", "b", p, 0.5, "a.py", 1, 1) for p in priorities]  # type: ignore[arg-type]
    report = Report(findings, "s", ["a.py", "b.py"])
    done = ReviewResult(report, [Skipped("c.png", "binary")], Usage(1234, 56), 0.01234, 3)
    done.stop_kind = stop  # type: ignore[assignment]
    return done


def test_plain_progress_lines() -> None:
    err = io.StringIO()
    progress = PlainProgress(err)
    progress.chunk_started(1, 2, FILES)
    for event in (
        ToolStarted("t1", "Read", {"file_path": "src/a.py"}),
        ToolStarted("t2", "ReportFinding", {"title": "x"}),
        ToolFinished("t2", "ReportFinding", RECORDED, False),
        ToolFinished("t3", "ReportFinding", "line_end 9 is past the end\nmore", True),
        ToolFinished("t1", "Read", "     1\tcode", False),
        PermissionDenied("t4", "Bash", {}, "Bash is not available in a review"),
        TextDelta("thinking aloud"),
        Notice("slow down", "warn"),
    ):
        progress.event(event)
    progress.chunk_finished(1, 2)
    assert err.getvalue() == (
        "[1/2] reviewing 2 files (~142 tokens)\n"
        "  → Read src/a.py\n"
        f"  ● {RECORDED}\n"
        "  ✗ ReportFinding: line_end 9 is past the end\n"
        "  ⊘ Bash denied: Bash is not available in a review\n"
        "warn: slow down\n"
    )


def test_event_line_ignores_text() -> None:
    assert event_line(TextDelta("x")) is None


def test_a_terminal_gets_a_progress_bar_with_lines_above_it() -> None:
    err = TTY()
    with progress_for(err, 2) as listener:
        assert not isinstance(listener, PlainProgress)
        listener.chunk_started(1, 1, FILES)
        listener.event(ToolFinished("t", "ReportFinding", RECORDED, False))
        listener.chunk_finished(1, 1)
    text = err.getvalue()
    assert "[1/1] reviewing 2 files (~142 tokens)" in text and f"● {RECORDED}" in text


def test_a_pipe_gets_plain_lines() -> None:
    with progress_for(io.StringIO(), 2) as listener:
        assert isinstance(listener, PlainProgress)


def test_summary_line() -> None:
    assert summary_line(result(1, 3, 3)) == (
        "Reviewed 2 files (1 skipped) in 3 requests: 3 findings (P0 0, P1 1, P2 0, P3 2); "
        "1,234 input / 56 output tokens; $0.0123"
    )


def test_summary_line_says_one_file_request_and_finding_in_the_singular() -> None:
    report = Report([Finding("T", "b", 2, 0.5, "a.py", 1, 1)], "s", ["a.py"])
    done = ReviewResult(report, [], Usage(10, 5), 0.001, 1)
    assert summary_line(done) == (
        "Reviewed 1 file in 1 request: 1 finding (P0 0, P1 0, P2 1, P3 0); "
        "10 input / 5 output tokens; $0.0010"
    )


def test_exit_codes() -> None:
    assert exit_code(result(1, 2), 1) == 4
    assert exit_code(result(2, 3), 1) == 0
    assert exit_code(result(0), None) == 0
    assert exit_code(result(2, stop="budget"), 1) == 3
    assert exit_code(result(1, stop="budget"), 1) == 4
    assert exit_code(result(stop="turns"), None) == 3
    assert exit_code(result(stop="error"), None) == 1


def test_the_command_module_imports_nothing_heavy() -> None:
    source = (Path(__file__).parents[2] / "src/devagent/commands/review.py").read_text()
    top = source.split("\ndef ", 1)[0]
    assert "import rich" not in top and "devagent.review" not in top.split("TYPE_CHECKING:")[0]
