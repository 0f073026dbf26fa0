"""Golden tests of the lines shown under a tool's header: output previews, failures, errors."""

from __future__ import annotations

import io
from typing import Any

from devagent.toolkinds import ToolKind
from devagent.ui.console import make_console
from devagent.ui.preview import tool_output

PYTEST_OUTPUT = (
    "============================= test session starts ==============================\n"
    "platform linux -- Python 3.12.3, pytest-8.3.4, pluggy-1.5.0\n"
    "rootdir: /src/app\n"
    "collected 2 items\n"
    "\n"
    "tests/test_app.py ..                                                       [100%]\n"
    "\n"
    "============================== 2 passed in 0.10s ===============================\n"
)


def show(
    name: str,
    content: str,
    *,
    is_error: bool = False,
    kind: ToolKind = "other",
    width: int = 60,
    colour: bool = False,
    **tool_input: Any,
) -> str:
    out = io.StringIO()
    env = {"FORCE_COLOR": "1", "COLORTERM": "truecolor"} if colour else {}
    console = make_console(file=out, env=env, width=width)
    console.print(tool_output(name, tool_input, content, is_error, kind))
    return out.getvalue()


def test_short_output_is_shown_whole() -> None:
    assert show("Bash", "a.txt\nb.txt", kind="execute") == "  ⎿ a.txt\n    b.txt\n"
    five = "\n".join(f"line {n}" for n in range(1, 6))
    assert show("Bash", five) == "  ⎿ line 1\n    line 2\n    line 3\n    line 4\n    line 5\n"


def test_long_output_shows_its_first_lines_and_counts_the_rest() -> None:
    content = "\n".join(f"file{n}.py" for n in range(1, 21))
    assert show("Glob", content, kind="read") == (
        "  ⎿ file1.py\n    file2.py\n    file3.py\n    file4.py\n    … +16 lines (Ctrl-O)\n"
    )


def test_a_test_runners_summary_stays_on_screen() -> None:
    assert show("Bash", PYTEST_OUTPUT, width=90) == (
        "  ⎿ ============================= test session starts ==============================\n"
        "    platform linux -- Python 3.12.3, pytest-8.3.4, pluggy-1.5.0\n"
        "    rootdir: /src/app\n"
        "    collected 2 items\n"
        "    … +3 lines (Ctrl-O)\n"
        "    ============================== 2 passed in 0.10s ===============================\n"
    )
    quiet = "".join(".\n" for _ in range(12)) + "2 passed in 0.1s"
    assert show("Bash", quiet).endswith("    … +8 lines (Ctrl-O)\n    2 passed in 0.1s\n")


def test_other_runners_summaries_are_kept_too() -> None:
    padding = "".join(f"detail {n}\n" for n in range(10))
    cases = {
        "unittest": ("Ran 3 tests in 0.004s\n\nOK", ["Ran 3 tests in 0.004s", "OK"]),
        "jest": ("Tests:   1 failed, 4 passed, 5 total", ["Tests: 1 failed, 4 passed, 5 total"]),
        "cargo": ("test result: ok. 7 passed; 0 failed", ["test result: ok. 7 passed; 0 failed"]),
        "go": ("ok  \texample.com/app\t0.012s", ["ok example.com/app 0.012s"]),
        "mocha": ("  12 passing (30ms)", ["12 passing (30ms)"]),
    }
    for runner, (tail, expected) in cases.items():
        shown = show("Bash", padding + tail, width=80).splitlines()
        after = shown[shown.index(next(s for s in shown if "(Ctrl-O)" in s)) + 1 :]
        assert [" ".join(s.split()) for s in after] == expected, runner


def test_a_failed_command_shows_its_status_and_last_lines() -> None:
    output = "\n".join(f"step {n}" for n in range(1, 31))
    content = output + "\nE   AssertionError: 1 != 2\n1 failed, 1 passed in 0.2s\n\n[exit code 1]"
    assert show("Bash", content) == (
        "  ⎿ exit code 1\n"
        "    … +28 lines (Ctrl-O)\n"
        "    step 29\n"
        "    step 30\n"
        "    E   AssertionError: 1 != 2\n"
        "    1 failed, 1 passed in 0.2s\n"
    )
    assert show("Bash", "F.\n1 failed\n\n[exit code 1]") == (
        "  ⎿ exit code 1\n    F.\n    1 failed\n"
    )
    assert show("Bash", "(no output)\n\n[killed by SIGKILL (exit code 137)]") == (
        "  ⎿ killed by SIGKILL (exit code 137) · no output\n"
    )


def test_a_timeout_is_shown_as_the_failure_it_is() -> None:
    content = (
        "waiting\n\n[timed out after 2 s: the command and every process it started were "
        "killed (exit code 124). If it needs longer, raise timeout.]"
    )
    assert show("Bash", content, is_error=True) == "  ⎿ timed out after 2 s\n    waiting\n"


def test_a_command_without_output() -> None:
    assert show("Bash", "(no output)") == "  ⎿ no output\n"
    assert show("mcp__db__ping", "") == "  ⎿ done\n"


def test_errors_are_always_visible_up_to_eight_lines() -> None:
    assert show("Grep", "Invalid regex: (\nFix the pattern.", is_error=True, kind="read") == (
        "  ⎿ Error: Invalid regex: (\n    Fix the pattern.\n"
    )
    long = "\n".join(f"problem {n}" for n in range(1, 21))
    shown = show("Task", long, is_error=True, kind="agent")
    assert shown.splitlines()[0] == "  ⎿ Error: problem 1"
    assert shown.splitlines()[-2:] == ["    problem 8", "    … +12 lines (Ctrl-O)"]
    interrupted = "Interrupted by user. Output so far:\ncompiling"
    assert show("Bash", interrupted, is_error=True) == (
        "  ⎿ Error: Interrupted by user. Output so far:\n    compiling\n"
    )
    assert show("Bash", "", is_error=True) == "  ⎿ Error: failed\n"


def test_errors_and_failures_are_red_and_counts_dim() -> None:
    coloured = show("Bash", "x\n\n[exit code 2]", colour=True)
    assert coloured == "  ⎿ \x1b[31mexit code 2\x1b[0m\n    x\n"
    counted = show("Bash", "\n".join("abcdef"), colour=True)
    assert "\x1b[2m… +2 lines (Ctrl-O)\x1b[0m" in counted


def test_output_cannot_control_the_terminal_and_rows_are_cut_at_the_width() -> None:
    content = "\x1b[32mgreen\x1b[0m ok\nprogress 10%\rprogress 100%\r\nbell\x07 \x1b]0;title\x07"
    assert show("Bash", content) == (
        "  ⎿ green ok\n    progress 100%\n    bell\\x07 \\x1b]0;title\\x07\n"
    )
    assert show("Bash", "y" * 100, width=30) == "  ⎿ " + "y" * 25 + "…\n"


def test_file_contents_edits_and_plans_keep_their_summary() -> None:
    read = "".join(f"{n:>6}\tline {n}\n" for n in range(1, 43))
    assert show("Read", read, kind="read", file_path="a.py") == "  ⎿ 42 lines\n"
    edited = "Edited src/app.py: replaced 1. The changed region now reads:\n  1 x\n  2 y"
    assert show("Edit", edited, kind="edit") == "  ⎿ Edited src/app.py: replaced 1.\n"
    todos = [{"content": "Ship it", "status": "pending"}]
    assert show("TodoWrite", "ok", kind="todo", todos=todos) == "  ⎿ ☐ Ship it\n"
