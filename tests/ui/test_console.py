"""make_console honours NO_COLOR and non-TTY output; sanitize keeps text from driving the
terminal."""

from __future__ import annotations

import io

from devagent.events import TextDelta, ToolFinished, ToolStarted
from devagent.ui.chat_view import ChatView
from devagent.ui.console import is_live, make_console, sanitize


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_turn(out: io.StringIO, env: dict[str, str]) -> str:
    console = make_console(file=out, env=env, width=60)
    view = ChatView(console, min_interval_s=0.0)
    view(TextDelta("Some **bold** and `code`.\n\n```python\nx = 1\n```\n"))
    view(ToolStarted("t1", "Edit", {"file_path": "a.py", "old_string": "a", "new_string": "b"}))
    view(ToolFinished("t1", "Edit", "boom", True))
    view.end_turn()
    return out.getvalue()


def test_no_color_on_a_terminal_writes_no_colour_or_style_codes() -> None:
    console = make_console(file=FakeTTY(), env={"NO_COLOR": "1", "TERM": "xterm"})
    assert console.color_system is None and is_live(console)
    out = run_turn(FakeTTY(), {"NO_COLOR": "1", "TERM": "xterm"})
    assert "\x1b[1m" not in out and "\x1b[3" not in out  # no bold, no colours
    assert "● Edit a.py (+1 −1)\n" in out and "  ⎿ Error: boom\n" in out


def test_a_pipe_gets_plain_text_only() -> None:
    console = make_console(file=io.StringIO(), env={"TERM": "xterm-256color"})
    assert console.color_system is None and not is_live(console)
    out = run_turn(io.StringIO(), {"TERM": "xterm-256color"})
    assert "\x1b" not in out
    assert out == (  # markup resolved, code indented, no fence lines
        "Some bold and code.\n\n  x = 1\n\n● Edit a.py (+1 −1)\n  ⎿ Error: boom\n"
    )


def test_a_terminal_gets_colour_and_a_dumb_terminal_no_live_display() -> None:
    colour = make_console(file=FakeTTY(), env={"TERM": "xterm-256color", "COLORTERM": "truecolor"})
    assert colour.color_system == "truecolor" and is_live(colour)
    dumb = make_console(file=FakeTTY(), env={"TERM": "dumb"})
    assert not is_live(dumb)


def test_sanitize() -> None:
    assert sanitize("plain\ttext\nline") == "plain\ttext\nline"
    assert sanitize("a\r\nb") == "a\nb"
    assert sanitize("x\x1b[2Jy\rz\x07\x9b") == "x\\x1b[2Jy\\rz\\x07\\x9b"
    assert sanitize("emoji 👩‍💻 and עברית stay") == "emoji 👩‍💻 and עברית stay"
