"""ChatView: a turn's events as the user sees them (golden), tool details, threads, and only
one live display at a time on a terminal."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.live import Live

from devagent.events import (
    AssistantMessageDone,
    Notice,
    PermissionDenied,
    ReasoningDelta,
    Retrying,
    TextDelta,
    ToolFinished,
    ToolResultsSent,
    ToolStarted,
    TurnUsage,
)
from devagent.messages import AssistantReply, Usage
from devagent.ui.chat_view import ChatView
from devagent.ui.console import make_console


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def pipe_view(width: int = 60) -> tuple[ChatView, io.StringIO]:
    out = io.StringIO()
    view = ChatView(make_console(file=out, env={}, width=width), min_interval_s=0.0)
    return view, out


def done() -> AssistantMessageDone:
    return AssistantMessageDone(AssistantReply([], "tool_use", Usage(), "m"))


def test_a_turn_on_a_pipe() -> None:
    view, out = pipe_view()
    view.waiting(True)
    for piece in ("I'll **read** the ", "file first.\n\nThen run the tests."):
        view(TextDelta(piece))
    view(done())
    view(ToolStarted("t1", "Read", {"file_path": "src/app.py"}))
    view(ToolFinished("t1", "Read", "     1\tx = 1\n     2\ty = 2\n", False))
    view(ToolStarted("t2", "Bash", {"command": "pytest -q"}))
    view(ToolFinished("t2", "Bash", "F.\n1 failed\n\n[exit code 1]", False))
    edit = {"file_path": "src/app.py", "old_string": "x = 1", "new_string": "x = 2"}
    view(PermissionDenied("t3", "Edit", edit, "the user said no"))
    view(ToolFinished("t3", "Edit", "Permission denied: the user said no.", True))
    view(ToolResultsSent([]))
    view(Retrying(2, 1.5, "overloaded"))
    view(TurnUsage(Usage(), Usage(), 0.0))
    view(TextDelta("Fixed.\n"))
    view(Notice("Stopped after 3 turns.", "warning"))
    view.end_turn()
    assert out.getvalue() == (
        "I'll read the file first.\n"
        "\n"
        "Then run the tests.\n"
        "\n"
        "● Read src/app.py\n"
        "  ⎿ 2 lines\n"
        "\n"
        "● Bash pytest -q\n"
        "  ⎿ exit code 1\n"
        "    F.\n"
        "    1 failed\n"
        "\n"
        "● Edit src/app.py (+1 −1)\n"
        "  ⎿ denied: the user said no\n"
        "  retrying in 1.5s (overloaded) · attempt 2\n"
        "\n"
        "Fixed.\n"
        "  Stopped after 3 turns.\n"
    )


def test_a_call_that_fails_before_it_starts_still_gets_its_header() -> None:
    view, out = pipe_view()
    view(ToolFinished("t1", "Read", "The call could not be used: bad JSON.", True))
    assert out.getvalue() == "● Read\n  ⎿ Error: The call could not be used: bad JSON.\n"


def test_interleaved_parallel_results_repeat_their_header() -> None:
    view, out = pipe_view()
    view(ToolStarted("a", "Read", {"file_path": "a.py"}))
    view(ToolStarted("b", "Read", {"file_path": "b.py"}))
    view(ToolFinished("a", "Read", "     1\ta\n", False))
    view(ToolFinished("b", "Read", "     1\tb\n     2\tb\n", False))
    assert out.getvalue() == (
        "● Read a.py\n\n● Read b.py\n\n● Read a.py\n  ⎿ 1 line\n\n● Read b.py\n  ⎿ 2 lines\n"
    )


def test_last_tool_details_keep_the_full_results() -> None:
    view, _ = pipe_view()
    assert view.last_tool_details() == []
    for n in range(3):
        view(ToolStarted(f"t{n}", "Bash", {"command": f"echo {n}"}))
        view(ToolFinished(f"t{n}", "Bash", f"line {n}\n\x1b[31mred\x1b[0m", False))
    assert view.last_tool_details() == ["Bash echo 2\nline 2\n\\x1b[31mred\\x1b[0m"]
    assert [d.splitlines()[0] for d in view.last_tool_details(5)] == [
        "Bash echo 0",
        "Bash echo 1",
        "Bash echo 2",
    ]
    assert view.last_tool_details(0) == []


def test_model_text_cannot_control_the_terminal() -> None:
    view, out = pipe_view()
    for piece in ("one\r", "\ntwo \x1b[2J three\r", "\n"):
        view(TextDelta(piece))
    view.end_turn()
    assert out.getvalue() == "one\ntwo \\x1b[2J three\n"  # CR LF ends a line; ESC is shown


def test_events_from_many_threads_each_print_once() -> None:
    view, out = pipe_view()

    def call(n: int) -> None:
        view(ToolStarted(f"t{n}", "Grep", {"pattern": f"p{n}"}))
        view(ToolFinished(f"t{n}", "Grep", f"match{n}", False))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(call, range(40)))
    text = out.getvalue()
    for n in range(40):
        assert text.count(f"  ⎿ match{n}\n") == 1


def test_on_a_terminal_the_spinner_and_the_stream_never_overlap() -> None:
    console = Console(
        file=FakeTTY(), width=60, height=20, force_terminal=True, color_system=None, _environ={}
    )
    view = ChatView(console, workspace=Path("/w"), min_interval_s=0.0)
    view.waiting(True)
    view(TextDelta("Looking at the code.\n\n"))
    view(done())
    view(ToolStarted("t1", "Bash", {"command": "sleep 1"}))
    view(ToolFinished("t1", "Bash", "(no output)", False))
    view(ToolResultsSent([]))
    view(TextDelta("All done."))
    view.waiting(False)
    view.end_turn()
    view.end_turn()
    with Live(console=console):  # raises if a live display were still active
        pass
    raw = console.file.getvalue()  # type: ignore[attr-defined]
    assert "Looking at the code." in raw and "All done." in raw
    assert "⎿ no output" in raw
    assert "\x1b[2J" not in raw


def test_pause_finishes_the_stream_so_a_question_can_follow() -> None:
    view, out = pipe_view()
    view(TextDelta("Half a sentence"))
    view.pause()
    assert out.getvalue() == "Half a sentence\n"
    view(TextDelta(" and more"))
    view.end_turn()
    assert out.getvalue() == "Half a sentence\n\nand more\n"


def test_reasoning_shows_dim_line_by_line_before_the_answer_and_apart_from_it() -> None:
    view, out = pipe_view()
    view.waiting(True)
    for piece in ("Let me th", "ink.\nThe file", " is small."):
        view(ReasoningDelta(piece))
    assert out.getvalue() == "  Let me think.\n"  # a line shows once it is whole
    view(TextDelta("Answer.\n"))
    view(done())
    view.end_turn()
    assert out.getvalue() == "  Let me think.\n  The file is small.\n\nAnswer.\n"


def test_reasoning_is_dim_on_a_terminal_and_the_answer_is_not() -> None:
    out = FakeTTY()
    console = Console(file=out, force_terminal=True, color_system="standard", width=60)
    view = ChatView(console, min_interval_s=0.0)
    view(ReasoningDelta("Pondering.\n"))
    view(TextDelta("Plain answer.\n"))
    view(done())
    view.end_turn()
    shown = out.getvalue()
    assert "\x1b[2;3mPondering.\x1b[0m" in shown.replace("  Pondering", "Pondering")
    answer_line = next(line for line in shown.splitlines() if "Plain answer." in line)
    assert "\x1b[2" not in answer_line
