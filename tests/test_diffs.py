"""Diffs shown for approval: exact content, including endings the file really has."""

from __future__ import annotations

from pathlib import Path

from devagent.diffs import unified_diff
from devagent.tools.base import FileChange


def test_missing_final_newline_is_marked(tmp_path: Path) -> None:
    change = FileChange(tmp_path / "a.txt", b"one\ntwo", b"one\nthree")
    assert unified_diff([change], tmp_path) == (
        "--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n one\n-two\n"
        "\\ No newline at end of file\n+three\n\\ No newline at end of file\n"
    )


def test_lone_cr_and_form_feed_lines_are_not_marked_unterminated(tmp_path: Path) -> None:
    change = FileChange(tmp_path / "m.txt", b"a\rb\x0cc\r", b"a\rB\x0cc\r")
    text = unified_diff([change], tmp_path)
    assert "No newline" not in text
    assert "-b\x0cc\r\n+B\x0cc\r\n" in text


def test_added_and_deleted_files(tmp_path: Path) -> None:
    added = FileChange(tmp_path / "new.py", None, b"x = 1\n")
    gone = FileChange(tmp_path / "old.py", b"y = 2\n", None)
    text = unified_diff([added, gone], tmp_path)
    assert "--- /dev/null\n+++ b/new.py\n" in text and "--- a/old.py\n+++ /dev/null\n" in text
