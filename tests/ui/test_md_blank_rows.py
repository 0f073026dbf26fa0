"""Blank rows in rendered answers: one between blocks where the source has any, none in a run,
none at either end; a code block's blank lines only between its code; a table without rich's
padding rows. Golden, whole-string comparisons, rendered whole and streamed."""

from __future__ import annotations

import io
import itertools
import re

import pytest
from rich.console import Console

from devagent.events import AssistantMessageDone, TextDelta, ToolStarted
from devagent.messages import AssistantReply, Usage
from devagent.ui.chat_view import ChatView
from devagent.ui.console import make_console
from devagent.ui.mdlines import LineRenderer, palette_for, render_markdown
from devagent.ui.stream_md import StreamingMarkdown, rich_table

CODE_THEN_TEXT = "Run this:\n\n```sh\n\nmake test\n\n\n```\n\n\nThen read the log.\n\n\n"
CODE_THEN_TEXT_SHOWN = "Run this:\n\n  make test\n\nThen read the log.\n"

TABLE_THEN_TEXT = "Results:\n\n\n| name | runs |\n|---|---|\n| unit | 12 |\n\n\nAll green.\n"
TABLE_THEN_TEXT_SHOWN = "Results:\n\n name  runs \n ────────── \n unit  12   \n\nAll green.\n"

SGR = re.compile(r"\x1b\[[0-9;]*[mK]")


def plain_console(width: int = 40) -> Console:
    return Console(file=io.StringIO(), width=width, color_system=None, _environ={})


def render(text: str) -> str:
    return render_markdown(text, 40, None, rich_table(plain_console()))


def test_a_code_block_then_text_has_one_blank_row_between() -> None:
    assert render(CODE_THEN_TEXT) == CODE_THEN_TEXT_SHOWN


def test_a_table_then_text_has_one_blank_row_between() -> None:
    assert render(TABLE_THEN_TEXT) == TABLE_THEN_TEXT_SHOWN


def test_a_table_at_the_end_and_text_right_after_one_keep_no_padding_rows() -> None:
    table = "| a | b |\n|---|---|\n| 1 | 2 |\n"
    assert render(table) == " a  b \n ──── \n 1  2 \n"
    assert render("Before.\n" + table + "After.") == "Before.\n a  b \n ──── \n 1  2 \nAfter.\n"


def test_code_keeps_its_inner_blank_lines_and_loses_those_at_its_edges() -> None:
    source = "```\n\n\nx = 1\n\n\ny = 2\n   \n```\nnext"
    assert render(source) == "  x = 1\n  \n  \n  y = 2\nnext\n"


def test_blank_code_rows_keep_their_background_in_colour() -> None:
    source = "```py\nx\n\ny\n\n```\n"
    row = "\x1b[38;5;252;48;5;235m  {}\x1b[K\x1b[0m\n"
    expected = row.format("x") + row.format("") + row.format("y")
    assert render_markdown(source, 40, palette_for("truecolor")) == expected


def test_an_unclosed_block_at_the_end_draws_no_trailing_blank_rows() -> None:
    assert render("```\ncode\n\n\n") == "  code\n"


@pytest.mark.parametrize("source", [CODE_THEN_TEXT, TABLE_THEN_TEXT])
def test_streaming_in_small_pieces_writes_the_same_rows(source: str) -> None:
    out = io.StringIO()
    stream = StreamingMarkdown(Console(file=out, width=40, color_system=None, _environ={}))
    for at in range(0, len(source), 3):
        stream.feed(source[at : at + 3])
    stream.finish()
    assert out.getvalue() == render(source)


def test_the_live_tail_shows_the_owed_blank_row_above_the_line_being_written() -> None:
    renderer = LineRenderer(None)
    assert renderer.line("First.", 40) == "First.\n"
    assert renderer.line("", 40) == ""
    assert renderer.line("", 40) == ""
    assert renderer.partial("", 40) == []
    assert renderer.partial("Sec", 40) == ["", "Sec"]
    assert renderer.line("Second.", 40) == "\nSecond.\n"
    assert renderer.close(40) == ""


@pytest.mark.parametrize(
    "source",
    [
        CODE_THEN_TEXT,
        TABLE_THEN_TEXT,
        "\n\n# Title\n\n\n---\n\n\n- item\n\n\n> quote\n\n\n",
        "| a |\n|---|\n| 1 |\n\n```\nx\n```\n\n| b |\n|---|\n| 2 |\n\n",
    ],
)
@pytest.mark.parametrize("colour", [None, "standard", "truecolor"])
def test_no_run_of_blank_rows_and_none_at_either_end(source: str, colour: str | None) -> None:
    console = Console(file=io.StringIO(), width=40, color_system=colour, force_terminal=True)  # type: ignore[arg-type]
    drawn = render_markdown(source, 40, palette_for(colour), rich_table(console))
    rows = [not SGR.sub("", row).strip() for row in drawn.removesuffix("\n").split("\n")]
    assert rows and not rows[0] and not rows[-1], repr(drawn)
    assert not any(a and b for a, b in itertools.pairwise(rows)), repr(drawn)


def test_a_chat_reply_ending_in_a_table_is_followed_by_one_blank_row() -> None:
    out = io.StringIO()
    view = ChatView(make_console(file=out, env={}, width=40), min_interval_s=0.0)
    view(TextDelta("| a | b |\n|---|---|\n| 1 | 2 |\n\n"))
    view(AssistantMessageDone(AssistantReply([], "tool_use", Usage(), "m")))
    view(ToolStarted("t1", "Read", {"file_path": "a.py"}))
    shown = out.getvalue()
    assert shown.startswith(" a  b \n ──── \n 1  2 \n\n"), repr(shown)
    assert "\n\n\n" not in shown
