"""The line-level markdown renderer: golden output without colour and with it, wrapping by
terminal cells, code folding and highlighting, tables held and drawn by rich."""

from __future__ import annotations

import inspect
import io
import re

import pytest
from rich.cells import cell_len
from rich.console import Console

from devagent.ui import mdcode, mdinline, mdlines
from devagent.ui.mdlines import LineRenderer, inline, palette_for, render_markdown, wrap
from devagent.ui.stream_md import rich_table

COLOUR = palette_for("truecolor")
BASIC = palette_for("standard")
SGR = re.compile(r"\x1b\[[0-9;]*[mK]")

SOURCE = """

# Title
## Sub *heading*

Text with **bold**, *em*, _em too_, ~~gone~~, `code`, [link](https://x.io), <https://y.io>, \
![alt](i.png) and \\*stars\\*.
snake_case_name and a__b__c stay.



- item one
  - nested item
- [ ] open task
- [x] done task
3) third

> quote **bold**
> > nested

***
~~~
tilde fence ``` inside
~~~
```js
const s = "a"; // note
```
"""

PLAIN = """Title
Sub heading

Text with bold, em, em too, gone, code,
link (https://x.io), https://y.io, alt
and *stars*.
snake_case_name and a__b__c stay.

• item one
  • nested item
☐ open task
☑ done task
3) third

▌ quote bold
▌ ▌ nested

────────────────────────────────────────
  tilde fence ``` inside
  const s = "a"; // note
"""


def test_plain_rendering_resolves_markup_and_keeps_the_layout() -> None:
    assert render_markdown(SOURCE, 40, None) == PLAIN


def test_colour_rendering_has_the_same_text_as_plain_rendering() -> None:
    coloured = render_markdown(SOURCE, 40, COLOUR)
    assert SGR.sub("", coloured) == PLAIN
    assert SGR.sub("", render_markdown(SOURCE, 40, BASIC)) == PLAIN


def test_inline_styles_nest_and_links_keep_their_url() -> None:
    plain, pieces = inline("a **b `c` d** [e *f*](u)", COLOUR)
    assert plain == "a b c d e f (u)"
    styled = {plain[start:end]: sgr for start, end, sgr in pieces}
    assert styled == {"b ": "1", "c": "1;1;36", " d": "1", "e ": "94", "f": "94;3", " (u)": "2"}
    assert inline("no markup here", COLOUR) == ("no markup here", [])
    assert inline("`` a ` b ``", COLOUR)[0] == "a ` b"  # longer fences, padding removed


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("# foo ##", "foo"),
        ("### ###", ""),  # a closing run alone: an empty heading (CommonMark)
        ("# foo#", "foo#"),  # no blank before the run: it is text
        ("#\tfoo\t#  ", "foo"),
        ("# foo # #", "foo #"),
        ("   ## two ##   ", "two"),
        ("#", ""),
        ("#foo", "#foo"),  # not a heading
        ("####### seven", "####### seven"),
    ],
)
def test_heading_closing_sequences(source: str, text: str) -> None:
    assert render_markdown(source, 40, None) == text + "\n"


def test_golden_colour_lines() -> None:
    assert render_markdown("# Head **bold**\n- item `c`\n\nplain", 40, COLOUR) == (
        "\x1b[1;4mHead \x1b[0m\x1b[1;4;1mbold\x1b[0m\n"
        "\x1b[1;33m•\x1b[0m item \x1b[1;36mc\x1b[0m\n"
        "\n"
        "plain\n"
    )
    assert render_markdown("> q\n---", 10, COLOUR) == (
        "\x1b[35m▌ \x1b[0mq\n\x1b[33m──────────\x1b[0m\n"
    )


def test_code_rows_are_coloured_on_a_background_that_reaches_the_edge() -> None:
    rows = render_markdown("```python\ndef f(): # c\n" + "y" * 38 + "\n```", 40, COLOUR)
    assert rows == (
        "\x1b[38;5;252;48;5;235m  \x1b[38;5;204mdef\x1b[38;5;252m f(): "
        "\x1b[38;5;245m# c\x1b[38;5;252m\x1b[K\x1b[0m\n"
        # A full row gets no erase-to-end: on the last column it would erase that cell.
        "\x1b[38;5;252;48;5;235m  " + "y" * 38 + "\x1b[0m\n"
    )
    basic = render_markdown("```py\nreturn 'x' 42\n```", 40, BASIC)
    assert basic == "  \x1b[35mreturn\x1b[0m \x1b[33m'x'\x1b[0m \x1b[36m42\x1b[0m\n"


@pytest.mark.parametrize(
    ("language", "coloured"),
    [("python", ["def", "'s'", "# c"]), ("go", ["func", "// c"]), ("brainfuck", [])],
)
def test_code_tokens_follow_the_language(language: str, coloured: list[str]) -> None:
    text = {"python": "def f(): 's' # c", "go": "func f() // c", "brainfuck": "def 's' # c"}
    rendered = render_markdown(f"```{language}\n{text[language]}\n```", 60, BASIC)
    assert re.findall(r"\x1b\[3[0-9]m([^\x1b]*)|\x1b\[2m([^\x1b]*)", rendered) == [
        (t, "") if not t.startswith(("#", "//")) else ("", t) for t in coloured
    ]


def test_code_is_folded_at_the_width_and_tabs_expanded() -> None:
    assert render_markdown("```\n" + "x" * 25 + "\n\tindented\n```", 20, None) == (
        "  " + "x" * 18 + "\n  " + "x" * 7 + "\n      indented\n"
    )


def test_long_lines_wrap_at_spaces_under_their_prefix() -> None:
    item = render_markdown("- a long list item that has to wrap around the edge", 20, None)
    assert item == "• a long list item\n  that has to wrap\n  around the edge\n"
    quote = render_markdown("> a long quote that has to wrap", 16, None)
    assert quote == "▌ a long quote\n▌ that has to\n▌ wrap\n"
    assert render_markdown("x" * 25, 10, None) == "xxxxxxxxxx\nxxxxxxxxxx\nxxxxx\n"


def test_wide_characters_wrap_by_terminal_cells() -> None:
    text = "漢字漢字漢字漢字漢字漢字漢字漢字 漢字漢字 👩‍💻 done"
    for width in (7, 10, 20, 33):
        rows = render_markdown(text, width, None).splitlines()
        assert all(cell_len(row) <= width for row in rows), (width, rows)
        assert "".join(rows).replace(" ", "") == text.replace(" ", "")
    assert wrap("ab cd", 2) == [(0, 2), (3, 5)]


def test_fences_follow_commonmark() -> None:
    longer = "````\n```\nstill code\n````\nafter"
    assert render_markdown(longer, 40, None) == "  ```\n  still code\nafter\n"
    assert render_markdown("``` a`b\nnot code", 40, None) == "``` a`b\nnot code\n"
    unterminated = render_markdown("```\ncode to the end", 40, None)
    assert unterminated == "  code to the end\n"


def test_blank_lines_collapse_and_leading_and_trailing_ones_are_dropped() -> None:
    assert render_markdown("\n\n\na\n\n\n\nb\n\n", 40, None) == "a\n\nb\n"
    assert (
        render_markdown(" one space\n    four spaces", 40, None) == "one space\n    four spaces\n"
    )


def rich_console(width: int) -> Console:
    return Console(file=io.StringIO(), width=width, color_system=None, _environ={})


def test_a_table_is_held_until_it_ends_and_drawn_by_rich() -> None:
    console = rich_console(40)
    renderer = LineRenderer(None, rich_table(console))
    assert renderer.line("| a | b |", 40) == ""
    assert renderer.line("|---|---|", 40) == ""
    assert renderer.partial("| 1", 40) == ["| a | b |", "|---|---|", "| 1"]
    assert renderer.line("| 1 | 2 |", 40) == ""
    assert renderer.line("after", 40) == " a  b \n ──── \n 1  2 \nafter\n"


def test_pipe_lines_without_a_delimiter_row_stay_text() -> None:
    text = "| not | a table |\n| just pipes |\nend"
    assert render_markdown(text, 40, None, rich_table(rich_console(40))) == (
        "| not | a table |\n| just pipes |\nend\n"
    )
    assert render_markdown("| lone pipe line", 40, None) == "| lone pipe line\n"


def test_partial_rendering_leaves_the_state_alone() -> None:
    renderer = LineRenderer(None)
    renderer.line("```python", 40)
    assert renderer.partial("x = 1", 40) == ["  x = 1"]
    assert renderer.partial("```", 40) == []  # a closing fence draws nothing
    assert renderer.line("```", 40) == ""
    assert renderer.line("text", 40) == "text\n"


@pytest.mark.parametrize("language", ["python", "go", "rust", "sh", "sql"])
def test_the_fast_code_path_draws_what_the_token_path_draws(language: str) -> None:
    syntax = mdcode._code_syntax(language)
    assert syntax is not None and COLOUR is not None
    source = "".join(inspect.getsource(m) for m in (mdlines, mdinline, mdcode)).splitlines()
    lines = [line for line in source if line.isascii()]
    lines += [
        "x1 = 1x + 0x1F + 2_000 - 3 + 1.5 + 2.0e3",
        "fn main() { let mut v = vec![1, 2]; } // done 3.5",
        "if x then",
        "s = 'it\\'s' + \"a \\\"quoted\\\" b\" # 'not' a string",
        "print(\"unterminated and 'half",
        "lifetimes<'a>(x: &'a str) -> 'a",
        "SELECT 1.25 -- a comment with 'quotes'",
        "url = 'http://x' // not a comment inside, 7 outside",
    ]
    assert len(lines) > 500
    fast_paths = 0
    for line in lines:
        pieces = mdcode._code_pieces(line, syntax, COLOUR)
        slow = mdinline._styled(line, pieces, 0, len(line), COLOUR.code_text)
        assert mdcode._coloured_code(line, syntax, COLOUR) == slow, line
        fast_paths += mdcode._DECIMAL.search(line) is None
    assert fast_paths > 400  # most lines take the word-by-word path
