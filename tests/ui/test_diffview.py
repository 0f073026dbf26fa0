"""Golden tests of the approval diff: numbered lines, +/− counts, syntax colour, word-level
highlights, and nothing a file holds can reach the terminal raw."""

from __future__ import annotations

import io
from pathlib import Path

from devagent.diffs import unified_diff
from devagent.tools.base import FileChange
from devagent.ui.console import make_console
from devagent.ui.diffview import DiffView, parse_unified_diff

WORKSPACE = Path("/w")
TRUECOLOR_ENV = {"COLORTERM": "truecolor", "TERM": "xterm-256color"}


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def render(*changes: FileChange, width: int = 80, colour: bool = False) -> str:
    out = FakeTTY() if colour else io.StringIO()
    console = make_console(file=out, env=TRUECOLOR_ENV if colour else {}, width=width)
    console.print(DiffView(unified_diff(changes, WORKSPACE)))
    return out.getvalue()


def change(path: str, before: bytes | None, after: bytes | None) -> FileChange:
    return FileChange(WORKSPACE / path, before, after)


GREET_BEFORE = b'import os\n\ndef greet(name):\n    return "Hello, " + name\n\nprint(greet("x"))\n'
GREET_AFTER = (
    b'import os\n\ndef greet(name: str) -> str:\n    return f"Hello, {name}!"\n\n'
    b'print(greet("x"))\nprint("done")\n'
)


def test_python_diff_without_colour() -> None:
    assert render(change("src/app.py", GREET_BEFORE, GREET_AFTER)) == (
        "src/app.py  +3 −2\n"
        "@@ -1,6 +1,7 @@\n"
        "1   import os\n"
        "2\n"
        "3 - def greet(name):\n"
        '4 -     return "Hello, " + name\n'
        "3 + def greet(name: str) -> str:\n"
        '4 +     return f"Hello, {name}!"\n'
        "5\n"
        '6   print(greet("x"))\n'
        '7 + print("done")\n'
    )


def test_python_diff_in_truecolor_has_syntax_colour_bands_and_word_highlights() -> None:
    before = b"def area(r):\n    return 3.14 * r * r\n"
    after = b"def area(r):\n    return math.pi * r ** 2\n"
    assert render(change("geo.py", before, after), width=40, colour=True) == (
        "\x1b[1mgeo.py\x1b[0m  \x1b[32m+1\x1b[0m \x1b[31m−1\x1b[0m\n"
        "\x1b[2;36m@@ -1,2 +1,2 @@\x1b[0m\n"
        "\x1b[2m1   \x1b[0m\x1b[38;2;102;217;239mdef\x1b[0m\x1b[38;2;248;248;242m \x1b[0m\x1b[38;2;"
        "166;226;46marea\x1b[0m\x1b[38;2;248;248;242m(\x1b[0m\x1b[38;2;248;248;242mr\x1b[0m\x1b[38;"
        "2;248;248;242m)\x1b[0m\x1b[38;2;248;248;242m:\x1b[0m\n"
        "\x1b[31;48;2;71;22;26m2 - \x1b[0m\x1b[38;2;248;248;242;48;2;71;22;26m    \x1b[0m\x1b[38;2;"
        "102;217;239;48;2;71;22;26mreturn\x1b[0m\x1b[38;2;248;248;242;48;2;71;22;26m \x1b[0m\x1b[38"
        ";2;174;129;255;48;2;147;48;58m3\x1b[0m\x1b[38;2;174;129;255;48;2;71;22;26m.\x1b[0m\x1b[38;"
        "2;174;129;255;48;2;147;48;58m14\x1b[0m\x1b[38;2;248;248;242;48;2;71;22;26m \x1b[0m\x1b[38;"
        "2;255;70;137;48;2;71;22;26m*\x1b[0m\x1b[38;2;248;248;242;48;2;71;22;26m \x1b[0m\x1b[38;2;2"
        "48;248;242;48;2;71;22;26mr\x1b[0m\x1b[38;2;248;248;242;48;2;71;22;26m \x1b[0m\x1b[38;2;255"
        ";70;137;48;2;71;22;26m*\x1b[0m\x1b[38;2;248;248;242;48;2;71;22;26m \x1b[0m\x1b[38;2;248;24"
        "8;242;48;2;147;48;58mr\x1b[0m\x1b[48;2;71;22;26m             \x1b[0m\n"
        "\x1b[32;48;2;14;59;27m2 + \x1b[0m\x1b[38;2;248;248;242;48;2;14;59;27m    \x1b[0m\x1b[38;2;"
        "102;217;239;48;2;14;59;27mreturn\x1b[0m\x1b[38;2;248;248;242;48;2;14;59;27m \x1b[0m\x1b[38"
        ";2;248;248;242;48;2;29;122;57mmath\x1b[0m\x1b[38;2;255;70;137;48;2;14;59;27m.\x1b[0m\x1b[3"
        "8;2;248;248;242;48;2;29;122;57mpi\x1b[0m\x1b[38;2;248;248;242;48;2;14;59;27m \x1b[0m\x1b[3"
        "8;2;255;70;137;48;2;14;59;27m*\x1b[0m\x1b[38;2;248;248;242;48;2;14;59;27m \x1b[0m\x1b[38;2"
        ";248;248;242;48;2;14;59;27mr\x1b[0m\x1b[38;2;248;248;242;48;2;14;59;27m \x1b[0m\x1b[38;2;2"
        "55;70;137;48;2;14;59;27m*\x1b[0m\x1b[38;2;255;70;137;48;2;29;122;57m*\x1b[0m\x1b[38;2;248;"
        "248;242;48;2;14;59;27m \x1b[0m\x1b[38;2;174;129;255;48;2;29;122;57m2\x1b[0m\x1b[48;2;14;59"
        ";27m         \x1b[0m\n"
    )


def test_control_characters_and_bidi_overrides_are_shown_as_escapes() -> None:
    after = "echo ok\x1b[2J # \u202eevil\u2066\n".encode()
    assert render(change("h.sh", b"echo ok\n", after), width=40) == (
        "h.sh  +1 −1\n@@ -1 +1 @@\n1 - echo ok\n1 + echo ok\\e[2J # \\u202eevil\\u2066\n"
    )


def test_a_crlf_file_is_marked_once_and_mixed_endings_show_the_cr() -> None:
    crlf = change("w.txt", b"one\r\ntwo\r\n", b"one\r\nTWO\r\n")
    assert render(crlf, width=40) == (
        "w.txt (CRLF)  +1 −1\n@@ -1,2 +1,2 @@\n1   one\n2 - two\n2 + TWO\n"
    )
    mixed = change("m.txt", b"a\r\nb\n", b"a\r\nB\n")
    assert render(mixed, width=40) == "m.txt  +1 −1\n@@ -1,2 +1,2 @@\n1   a\\r\n2 - b\n2 + B\n"


def test_added_deleted_and_renamed_files_in_one_diff() -> None:
    moved = FileChange(WORKSPACE / "a.md", b"same\n", b"same\n", move_to=WORKSPACE / "b.md")
    out = render(
        change("src/new.py", None, b"x = 1\n"), change("old.txt", b"bye\n", None), moved, width=40
    )
    assert out == (
        "src/new.py (new)  +1 −0\n"
        "@@ -0,0 +1 @@\n"
        "1 + x = 1\n"
        "\n"
        "old.txt (deleted)  +0 −1\n"
        "@@ -1 +0,0 @@\n"
        "1 - bye\n"
        "\n"
        "a.md → b.md  +0 −0\n"
    )


def test_missing_final_newline_is_marked_under_the_line() -> None:
    out = render(change("n.txt", b"a\n", b"a\nb"), width=40)
    assert out == ("n.txt  +1 −0\n@@ -1 +1,2 @@\n1   a\n2 + b\n    \\ No newline at end of file\n")


def test_long_lines_wrap_under_the_code_column() -> None:
    out = render(change("long.txt", b"", b"word " * 12 + b"\n"), width=30)
    assert out == (
        "long.txt  +1 −0\n"
        "@@ -0,0 +1 @@\n"
        "1 + word word word word word \n"
        "    word word word word word \n"
        "    word word \n"
    )


def test_a_removed_line_that_looks_like_a_file_header_stays_content() -> None:
    files = parse_unified_diff(
        unified_diff([change("q.sql", b"-- c\nselect 1;\n", b"select 1;\n")], WORKSPACE)
    )
    assert [(f.path, f.added, f.removed) for f in files] == [("q.sql", 0, 1)]
    assert [line.body for line in files[0].hunks[0].lines] == ["-- c", "select 1;"]


def test_no_colour_means_no_escape_codes_even_on_a_terminal() -> None:
    out = FakeTTY()
    console = make_console(file=out, env={"NO_COLOR": "1", **TRUECOLOR_ENV}, width=80)
    console.print(DiffView(unified_diff([change("a.py", GREET_BEFORE, GREET_AFTER)], WORKSPACE)))
    assert "\x1b" not in out.getvalue()
    assert "3 + def greet(name: str) -> str:\n" in out.getvalue()
