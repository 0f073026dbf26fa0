"""StreamingMarkdown: the same output as rendering the whole answer, each block printed once,
a bounded live tail on a terminal, and work linear in the answer's length."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from rich.console import Console
from rich.markdown import Markdown
from rich.text import Text

from devagent.ui import stream_md
from devagent.ui.stream_md import StreamingMarkdown

ANSWER = """# Plan

Plain words in a paragraph
that spans two lines.

A paragraph with **bold**, `code` and a [link](https://example.com).

- first item
- second item

  continued under the second item

- third item

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

Closing words.
"""


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


class SpyConsole(Console):
    """Records the markdown source (or plain text) of everything printed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.printed: list[str] = []

    def print(self, *objects: Any, **kwargs: Any) -> None:
        for obj in objects:
            if isinstance(obj, Markdown):
                self.printed.append(obj.markup)
            elif isinstance(obj, Text):
                self.printed.append(obj.plain)
        super().print(*objects, **kwargs)


def pipe_console(width: int = 60) -> SpyConsole:
    return SpyConsole(file=io.StringIO(), width=width, color_system=None, _environ={})


def tty_console(width: int = 60, height: int = 20) -> SpyConsole:
    return SpyConsole(
        file=FakeTTY(),
        width=width,
        height=height,
        force_terminal=True,
        color_system="truecolor",
        _environ={},
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


def normalised(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def whole(text: str, width: int = 60) -> str:
    console = pipe_console(width)
    console.print(Markdown(text))
    return output(console)


@pytest.mark.parametrize("step", [1, 7, 20, 10_000])
@pytest.mark.parametrize("interval", [0.0, 3600.0])
def test_on_a_pipe_the_output_equals_rendering_the_whole_answer(step: int, interval: float) -> None:
    console = pipe_console()
    stream(console, ANSWER, step, min_interval_s=interval)
    assert normalised(output(console)) == normalised(whole(ANSWER))


def test_an_unterminated_fence_and_a_missing_final_newline_are_flushed_by_finish() -> None:
    text = "Intro.\n\n```sh\necho hi\n\necho there"
    console = pipe_console()
    stream(console, text, 3, min_interval_s=0.0)
    assert normalised(output(console)) == normalised(whole(text))


@pytest.mark.parametrize("make", [pipe_console, tty_console])
def test_each_block_is_printed_exactly_once(make: Callable[[], SpyConsole]) -> None:
    console = make()
    stream(console, ANSWER, 5, min_interval_s=0.0)
    sources = [s for s in console.printed if s]
    assert " ".join(sources).split() == ANSWER.split()
    for marker in ("Plain words", "**bold**", "def f(x)", "a quote", "Closing words"):
        assert sum(marker in s for s in sources) == 1, marker


def test_blocks_are_printed_as_they_complete_not_only_at_the_end() -> None:
    console = pipe_console()
    renderer = StreamingMarkdown(console, min_interval_s=0.0)
    renderer.feed("First paragraph.\n\nSecond")
    assert console.printed == ["First paragraph."]
    renderer.feed(" paragraph.\n\n")
    assert console.printed == ["First paragraph."]  # still open: a list item could follow
    renderer.feed("Third.")
    assert console.printed == ["First paragraph.", "Second paragraph."]
    renderer.finish()
    renderer.finish()
    renderer.feed("ignored after finish")
    assert console.printed == ["First paragraph.", "Second paragraph.", "Third."]


def test_printing_is_throttled_and_batched() -> None:
    now = [0.0]
    console = pipe_console()
    renderer = StreamingMarkdown(console, min_interval_s=1.0, clock=lambda: now[0])
    renderer.feed("A.\n\n")
    renderer.feed("B.\n\nC.\n\nD")
    assert console.printed == []  # the first tick had nothing complete; the next is due at 1.0
    now[0] = 1.0
    renderer.feed(".\n")
    assert console.printed == ["A.", "B.", "C."]
    renderer.finish()
    assert console.printed == ["A.", "B.", "C.", "D."]


def test_on_a_terminal_only_a_small_tail_is_repainted_in_place() -> None:
    console = tty_console(height=10)
    renderer = StreamingMarkdown(console, min_interval_s=0.0)
    renderer.feed("Done paragraph.\n\n```python\n" + "".join(f"x{n} = {n}\n" for n in range(40)))
    renderer.feed("partial_line = (")
    tail = renderer._tail_rows()
    assert 0 < len(tail.rows) <= 5  # half the terminal height
    assert "partial_line" in "".join(seg.text for seg in tail.rows[-1])
    renderer.finish()
    raw = output(console)
    assert "\x1b[2K" in raw  # lines erased and redrawn in place
    assert "\x1b[2J" not in raw and "\x1b[H" not in raw  # never a full-screen redraw
    assert raw.count("Done paragraph.") == 1
    assert console.printed[0] == "Done paragraph."


def test_markdown_rendering_work_grows_linearly_with_the_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rendered = [0]
    original = stream_md._markdown

    def counting(source: str) -> Markdown:
        rendered[0] += len(source)
        return original(source)

    monkeypatch.setattr(stream_md, "_markdown", counting)

    def work(lines: int) -> int:
        rendered[0] = 0
        fence = "```text\n" + "".join(f"line {n} of a long code block\n" for n in range(lines))
        prose = "".join(f"Paragraph {n} with `code`.\n\n" for n in range(lines))
        stream(tty_console(), fence + "```\n\n" + prose, 7, min_interval_s=0.0)
        return rendered[0]

    small, large = work(300), work(600)
    assert large <= 2.2 * small


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
    assert terminal_lines(output(console), 60, 20) == normalised(whole(ANSWER)).splitlines()


def test_an_open_code_fence_is_extended_line_by_line_as_if_rendered_whole() -> None:
    renderer = StreamingMarkdown(tty_console(width=40, height=30), min_interval_s=0.0)
    renderer.feed("Intro\n\n```python\n")
    renderer.feed("x")
    for n in range(6):
        renderer.feed(f"x{n} = {n}\n")
    renderer.feed("partial")
    incremental = renderer._tail_rows().rows
    renderer._stable_cache = None
    assert incremental == renderer._tail_rows().rows
    renderer.finish()


def test_a_line_that_may_still_become_a_list_item_keeps_the_list_open() -> None:
    console = pipe_console()
    renderer = StreamingMarkdown(console, min_interval_s=0.0)
    renderer.feed("1. first\n\n2")
    assert console.printed == []
    renderer.feed(". second\n\nAfter.")
    assert console.printed == ["1. first\n\n2. second\n\n"]
    renderer.finish()
