"""StreamingMarkdown: the same output as rendering the whole answer, each line rendered and
written once, a bounded live tail on a terminal, and work linear in the answer's length."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from rich.console import Console

from devagent.ui import mdlines
from devagent.ui.mdlines import palette_for, render_markdown
from devagent.ui.stream_md import StreamingMarkdown, rich_table

ANSWER = """# Plan

Plain words in a paragraph
that spans two lines.

A paragraph with **bold**, `code` and a [link](https://example.com).

- first item
- second item

  continued under the second item

- [x] a task, done

1. one
2. two

```python
def f(x):

    return x * 2
```

---

> a quote
> over two lines

| a | b |
|---|---|
| 1 | 2 |

<details>
html block
</details>

A long closing paragraph that certainly needs more than one row of a sixty-column terminal \
to fit, with 漢字 in it.
"""


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


class CountingFile(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def pipe_console(width: int = 60) -> Console:
    return Console(file=io.StringIO(), width=width, color_system=None, _environ={})


def tty_console(width: int = 60, height: int = 20, **kwargs: Any) -> Console:
    options: dict[str, Any] = {"color_system": "truecolor", **kwargs}
    return Console(
        file=FakeTTY(), width=width, height=height, force_terminal=True, _environ={}, **options
    )


def stream(console: Console, text: str, step: int, **kwargs: Any) -> StreamingMarkdown:
    renderer = StreamingMarkdown(console, **kwargs)
    for i in range(0, len(text), step):
        renderer.feed(text[i : i + step])
    renderer.finish()
    return renderer


def output(console: Console) -> str:
    out = console.file
    assert isinstance(out, io.StringIO)
    return out.getvalue()


def whole(text: str, console: Console) -> str:
    palette = palette_for(console.color_system)
    return render_markdown(text, console.width, palette, rich_table(console))


@pytest.mark.parametrize("step", [1, 7, 20, 10_000])
@pytest.mark.parametrize("interval", [0.0, 3600.0])
def test_on_a_pipe_the_output_equals_rendering_the_whole_answer(step: int, interval: float) -> None:
    console = pipe_console()
    stream(console, ANSWER, step, min_interval_s=interval)
    assert output(console) == whole(ANSWER, pipe_console())
    assert "• first item" in output(console) and "☑ a task, done" in output(console)


def terminal_lines(raw: str, width: int, height: int) -> list[str]:
    """What a terminal shows after ``raw``: its scrollback, then its screen."""
    import pyte

    screen = pyte.HistoryScreen(width, height, history=10_000)
    pyte.Stream(screen).feed(raw.replace("\n", "\r\n"))  # the tty turns LF into CR LF
    top = ["".join(row[x].data for x in range(width)) for row in screen.history.top]
    lines = [line.rstrip() for line in [*top, *screen.display]]
    while lines and not lines[-1]:
        lines.pop()
    return lines


@pytest.mark.parametrize("step", [1, 5, 64])
def test_on_a_terminal_scrollback_ends_up_as_the_whole_answer_rendered(step: int) -> None:
    console = tty_console(width=60, height=20)
    stream(console, ANSWER, step, min_interval_s=0.0)
    expected = terminal_lines(whole(ANSWER, tty_console(width=60, height=20)), 60, 20)
    assert terminal_lines(output(console), 60, 20) == expected
    assert len(expected) > 30


def test_each_line_is_rendered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    rendered: list[str] = []
    original = mdlines.LineRenderer.line

    def counting(self: mdlines.LineRenderer, line: str, width: int) -> str:
        rendered.append(line)
        return original(self, line, width)

    monkeypatch.setattr(mdlines.LineRenderer, "line", counting)
    stream(tty_console(), ANSWER, 3, min_interval_s=0.0)
    assert rendered == ANSWER.split("\n")[:-1]


def test_lines_are_written_as_they_complete_not_only_at_the_end() -> None:
    console = pipe_console()
    renderer = StreamingMarkdown(console, min_interval_s=0.0)
    renderer.feed("First **line**.\nSecond li")
    assert output(console) == "First line.\n"  # a pipe gets no partial line
    renderer.feed("ne.\n")
    assert output(console) == "First line.\nSecond line.\n"
    renderer.finish()
    renderer.finish()
    assert output(console) == "First line.\nSecond line.\n"


def test_writing_is_throttled_and_batched() -> None:
    file = CountingFile()
    console = Console(file=file, width=60, color_system=None, _environ={})
    now = [0.0]
    renderer = StreamingMarkdown(console, min_interval_s=0.05, clock=lambda: now[0])
    renderer.feed("line 0\n")  # the first delta paints at once
    for n in range(1, 100):
        renderer.feed(f"line {n}\n")
    assert file.writes == 1
    now[0] = 0.06
    renderer.feed("last\n")
    assert file.writes == 2 and file.getvalue().count("\n") == 101
    renderer.finish()


def test_on_a_terminal_only_a_small_tail_is_repainted_in_place() -> None:
    console = tty_console(height=10)
    renderer = StreamingMarkdown(console, min_interval_s=0.0)
    renderer.feed("Done paragraph.\n\n```python\n" + "".join(f"x{n} = {n}\n" for n in range(40)))
    renderer.feed("partial_line = (" + "word " * 500)
    tail = renderer._tail_rows()
    assert 0 < len(tail) <= 5  # half the terminal height
    assert "word" in tail[-1]
    renderer.feed("more")
    renderer.finish()
    raw = output(console)
    assert "\x1b[2K" in raw  # rows erased and redrawn in place
    assert "\x1b[2J" not in raw and "\x1b[H" not in raw  # never a full-screen redraw
    assert max(len(m) for m in re.findall(r"(?:\x1b\[1A\x1b\[2K)+", raw)) <= 4 * 8
    assert raw.count("Done paragraph.") == 1
    assert raw.index("\x1b[?25l") < raw.index("partial_line") and raw.endswith("\x1b[?25h")


def test_a_growing_plain_line_is_extended_without_a_repaint() -> None:
    console = tty_console()
    renderer = StreamingMarkdown(console, min_interval_s=0.0)
    renderer.feed("Hello")
    before = output(console)
    renderer.feed(" there, world")
    assert output(console) == before + " there, world"
    renderer.feed(" and **bold")  # still drawn as it is: only the new text is written
    assert output(console) == before + " there, world and **bold"
    before = output(console)
    renderer.feed("**")  # the markup closes: the row is drawn again
    assert output(console)[len(before) :].startswith("\r\x1b[2K")
    assert "\x1b[1mbold\x1b[0m" in output(console)[len(before) :]
    before = output(console)
    renderer.feed("\n")  # the finished line is the row as drawn: only the newline is new
    renderer.finish()
    assert output(console)[len(before) :] == "\n" + "\x1b[?25h"


def test_rendering_work_grows_linearly_with_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    work = [0]
    original = mdlines._render

    def counting(line: str, *args: Any) -> tuple[str, Any]:
        work[0] += len(line)
        return original(line, *args)

    monkeypatch.setattr(mdlines, "_render", counting)

    def cost(lines: int) -> int:
        work[0] = 0
        fence = "```text\n" + "".join(f"line {n} of a long code block\n" for n in range(lines))
        prose = "".join(f"Paragraph {n} with `code`.\n\n" for n in range(lines))
        one_long_line = "word " * (20 * lines)
        stream(tty_console(), fence + "```\n\n" + prose + one_long_line, 7, min_interval_s=0.0)
        return work[0]

    small, large = cost(300), cost(600)
    assert large <= 2.2 * small


def test_an_unterminated_fence_and_a_missing_final_newline_are_written_by_finish() -> None:
    console = pipe_console()
    stream(console, "Intro\n\n```python\nx = 1", 4)
    assert output(console) == "Intro\n\n  x = 1\n"


def test_no_color_on_a_terminal_moves_the_cursor_but_writes_no_styles() -> None:
    console = tty_console(color_system=None, no_color=True)
    stream(console, ANSWER, 9, min_interval_s=0.0)
    codes = set(re.findall(r"\x1b\[[0-9;?]*[A-Za-z]", output(console)))
    assert codes <= {"\x1b[2K", "\x1b[1A", "\x1b[?25l", "\x1b[?25h"}
    assert "\x1b[2K" in codes


def test_a_table_is_drawn_once_it_ends() -> None:
    console = tty_console(height=20)
    renderer = StreamingMarkdown(console, min_interval_s=0.0)
    renderer.feed("| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert renderer._tail_rows() == ["| a | b |", "|---|---|", "| 1 | 2 |"]
    renderer.feed("\nafter\n")
    renderer.finish()
    shown = terminal_lines(output(console), 60, 20)
    rows = [line.split() for line in shown if line.strip()]
    assert rows[0] == ["a", "b"] and ["1", "2"] in rows and ["|---|---|"] not in rows
    assert shown[-1] == "after"
