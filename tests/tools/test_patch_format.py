"""Specification of the patch envelope: parsing, locating chunks, and computing new text."""

from __future__ import annotations

import pytest

from devagent.tools.base import ToolError
from devagent.tools.patch_format import (
    AddFile,
    ApplyError,
    Chunk,
    DeleteFile,
    ParseError,
    UpdateFile,
    added_file_text,
    apply_chunks,
    parse_patch,
    split_lines,
)


def envelope(*body: str) -> str:
    return "\n".join(["*** Begin Patch", *body, "*** End Patch"]) + "\n"


def chunks_of(patch: str) -> tuple[Chunk, ...]:
    hunk = parse_patch(patch).hunks[0]
    assert isinstance(hunk, UpdateFile)
    return hunk.chunks


def apply(text: str, *body: str, newline: str | None = None) -> str:
    return apply_chunks(text, chunks_of(envelope(*body)), path="f.txt", newline=newline)


# --- parsing ----------------------------------------------------------------------------------


def test_parses_every_hunk_kind() -> None:
    patch = parse_patch(
        envelope(
            "*** Add File: docs/new.md",
            "+# Title",
            "+",
            "+body",
            "*** Delete File: old.txt",
            "*** Update File: src/a.py",
            "*** Move to: src/b.py",
            "@@ def f():",
            " ctx",
            "-old",
            "+new",
            "*** End of File",
        )
    )
    add, delete, update = patch.hunks
    assert add == AddFile("docs/new.md", ("# Title", "", "body"), 2)
    assert delete == DeleteFile("old.txt", 6)
    assert isinstance(update, UpdateFile)
    assert (update.path, update.move_to, update.line) == ("src/a.py", "src/b.py", 7)
    (chunk,) = update.chunks
    assert chunk.anchors == ("def f():",)
    assert chunk.lines == ((" ", "ctx"), ("-", "old"), ("+", "new"))
    assert chunk.old_lines == ["ctx", "old"]
    assert chunk.new_lines == ["ctx", "new"]
    assert chunk.end_of_file is True
    assert chunk.line == 9


def test_marker_lines_may_carry_surrounding_spaces() -> None:
    text = "  *** Begin Patch  \n   *** Update File: a.txt \n@@\n-x\n+y\n *** End Patch\t\n"
    (hunk,) = parse_patch(text).hunks
    assert isinstance(hunk, UpdateFile)
    assert hunk.path == "a.txt"
    assert hunk.chunks[0].lines == (("-", "x"), ("+", "y"))


def test_crlf_patch_text_reads_like_lf() -> None:
    text = envelope("*** Add File: a.txt", "+one", "+two").replace("\n", "\r\n")
    (hunk,) = parse_patch(text).hunks
    assert hunk == AddFile("a.txt", ("one", "two"), 2)


@pytest.mark.parametrize(
    ("opener", "closer"),
    [("apply_patch <<'EOF'", "EOF"), ('<<"PATCH"', "PATCH"), ("<<EOF", "EOF"), ("```diff", "```")],
)
def test_heredoc_or_fence_wrapper_is_tolerated(opener: str, closer: str) -> None:
    text = f"{opener}\n{envelope('*** Delete File: gone.txt')}{closer}\n"
    assert parse_patch(text).hunks == (DeleteFile("gone.txt", 3),)


def test_first_chunk_may_omit_the_at_at_line() -> None:
    (chunk,) = chunks_of(envelope("*** Update File: a", " keep", "-drop"))
    assert chunk.anchors == ()
    assert chunk.lines == ((" ", "keep"), ("-", "drop"))


def test_empty_line_inside_a_chunk_is_empty_context() -> None:
    (chunk,) = chunks_of(envelope("*** Update File: a", "@@", " a", "", "-b"))
    assert chunk.lines == ((" ", "a"), (" ", ""), ("-", "b"))


def test_consecutive_anchors_and_diff_ranges() -> None:
    first, second = chunks_of(
        envelope(
            "*** Update File: a",
            "@@ class A:",
            "@@     def f(self):",
            "-x",
            "@@ -10,3 +10,4 @@ def g():",
            "+y",
        )
    )
    assert first.anchors == ("class A:", "def f(self):")
    assert second.anchors == ("def g():",)
    assert second.line == 6


def test_bare_unified_range_means_no_anchor() -> None:
    (chunk,) = chunks_of(envelope("*** Update File: a", "@@ -1,2 +1,2 @@", "-x", "+y"))
    assert chunk.anchors == ()


def test_add_file_may_be_empty() -> None:
    (hunk,) = parse_patch(envelope("*** Add File: empty.txt")).hunks
    assert isinstance(hunk, AddFile)
    assert added_file_text(hunk) == ""


def test_added_text_ends_with_one_newline() -> None:
    hunk = AddFile("a", ("x", "", "y"), 1)
    assert added_file_text(hunk) == "x\n\ny\n"
    assert added_file_text(hunk, "\r\n") == "x\r\n\r\ny\r\n"


def test_move_without_chunks_is_a_rename() -> None:
    (hunk,) = parse_patch(envelope("*** Update File: a", "*** Move to: b")).hunks
    assert hunk == UpdateFile("a", "b", (), 2)


def parse_error(text: str) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse_patch(text)
    assert isinstance(info.value, ToolError)
    return info.value


def test_error_when_begin_marker_is_missing() -> None:
    err = parse_error("\n\n*** Update File: a\n*** End Patch\n")
    assert err.line == 3
    assert "must start with '*** Begin Patch'" in str(err)


def test_error_when_end_marker_is_missing_names_last_line() -> None:
    err = parse_error("*** Begin Patch\n*** Update File: a\n@@\n-x\n+y\n")
    assert err.line == 5
    assert "'*** End Patch'" in str(err)
    assert "cut off" in str(err)


def test_error_for_an_unknown_hunk_header_has_its_line_number() -> None:
    err = parse_error(envelope("*** Delete File: a", "", "*** Modify File: b"))
    assert err.line == 4
    assert str(err).startswith("Invalid patch, line 4: expected a hunk header")
    assert "*** Modify File: b" in str(err)


def test_error_for_a_chunk_line_without_prefix() -> None:
    err = parse_error(envelope("*** Update File: a", "@@ def f():", " x = 1", "y = 2", "+z"))
    assert err.line == 5
    assert "'y = 2'" in str(err)
    assert "leading space" in str(err)


def test_error_for_update_without_chunks() -> None:
    err = parse_error(envelope("*** Update File: a", "*** Delete File: b"))
    assert err.line == 2
    assert "has no changes" in str(err)


def test_error_for_a_chunk_with_no_lines() -> None:
    err = parse_error(envelope("*** Update File: a", "@@", "-x", "@@", "*** Delete File: b"))
    assert err.line == 5
    assert "no lines" in str(err)


def test_error_for_a_chunk_after_end_of_file_without_at_at() -> None:
    err = parse_error(envelope("*** Update File: a", "-x", "*** End of File", "-y"))
    assert err.line == 5
    assert "expected '@@'" in str(err)


def test_error_for_missing_path_and_for_no_sections() -> None:
    assert parse_error(envelope("*** Add File:   ")).line == 2
    err = parse_error(envelope())
    assert err.line == 1
    assert "no file sections" in str(err)
    assert parse_error("   \n").line == 1


def test_end_patch_in_the_middle_is_an_error() -> None:
    err = parse_error(envelope("*** Delete File: a", "*** End Patch", "*** Delete File: b"))
    assert err.line == 3
    assert "only once" in str(err)


# --- locating and applying --------------------------------------------------------------------


def test_replaces_lines_and_keeps_the_rest() -> None:
    text = "a\nb\nc\nd\n"
    assert apply(text, "*** Update File: f", "@@", " b", "-c", "+C1", "+C2", " d") == (
        "a\nb\nC1\nC2\nd\n"
    )


def test_anchor_selects_the_second_of_two_identical_blocks() -> None:
    text = "def a():\n    return 1\n\ndef b():\n    return 1\n"
    out = apply(text, "*** Update File: f", "@@ def b():", "-    return 1", "+    return 2")
    assert out == "def a():\n    return 1\n\ndef b():\n    return 2\n"


def test_nested_anchors_narrow_step_by_step() -> None:
    text = "class A:\n  def f():\n    x\nclass B:\n  def f():\n    x\n"
    out = apply(text, "*** Update File: f", "@@ class B:", "@@ def f():", "-    x", "+    y")
    assert out == "class A:\n  def f():\n    x\nclass B:\n  def f():\n    y\n"


def test_context_may_repeat_the_anchor_line() -> None:
    text = "def a():\n  pass\ndef b():\n  pass\n"
    out = apply(text, "*** Update File: f", "@@ def b():", " def b():", "-  pass", "+  return")
    assert out == "def a():\n  pass\ndef b():\n  return\n"


def test_chunks_apply_in_file_order_from_a_forward_cursor() -> None:
    text = "x\nsep\nx\n"
    out = apply(text, "*** Update File: f", "@@", "-x", "+one", "@@", "-x", "+two")
    assert out == "one\nsep\ntwo\n"


def test_end_of_file_chunk_hits_the_end_despite_an_earlier_copy() -> None:
    text = "}\nmiddle\n}\n"
    out = apply(text, "*** Update File: f", "@@", "-}", "+} // end", "*** End of File")
    assert out == "}\nmiddle\n} // end\n"


def test_end_of_file_chunk_tolerates_trailing_blank_lines() -> None:
    out = apply("a\nlast\n\n", "*** Update File: f", "@@", "-last", "+LAST", "*** End of File")
    assert out == "a\nLAST\n\n"


def test_end_of_file_chunk_not_at_the_end_is_an_error() -> None:
    with pytest.raises(ApplyError) as info:
        apply("a\nb\nc\n", "*** Update File: f", "@@", "-a", "+A", "*** End of File")
    assert "at the end of the file" in str(info.value)
    assert "line 1" in str(info.value)


def test_pure_addition_appends_at_the_end() -> None:
    assert apply("a\nb\n", "*** Update File: f", "@@", "+c", "+d") == "a\nb\nc\nd\n"


def test_pure_addition_to_a_file_without_final_newline() -> None:
    assert apply("a\nb", "*** Update File: f", "@@", "+c") == "a\nb\nc\n"


def test_pure_addition_with_end_of_file_marker() -> None:
    assert apply("a\n", "*** Update File: f", "@@", "+z", "*** End of File") == "a\nz\n"


def test_exact_match_wins_over_tolerant_match() -> None:
    text = "foo  \nmid\nfoo\n"
    assert apply(text, "*** Update File: f", "@@", "-foo", "+bar") == "foo  \nmid\nbar\n"


def test_tolerates_trailing_whitespace() -> None:
    text = "alpha   \nbeta\t\ngamma\n"
    out = apply(text, "*** Update File: f", "@@", " alpha", "-beta", "+BETA")
    assert out == "alpha   \nBETA\ngamma\n"


def test_tolerates_surrounding_whitespace() -> None:
    text = "\tif x:\n\t\treturn 1\n"
    out = apply(text, "*** Update File: f", "@@", " if x:", "-    return 1", "+\t\treturn 2")
    assert out == "\tif x:\n\t\treturn 2\n"


@pytest.mark.parametrize(
    ("file_line", "patch_line"),
    [
        ("range 1\u20132", "range 1-2"),
        ("em\u2014dash and minus \u2212", "em-dash and minus -"),
        ("\u201cquoted\u201d and \u2018single\u2019", "\"quoted\" and 'single'"),
        ("non\u00a0breaking\u202fspaces", "non breaking spaces"),
        ("wait\u2026", "wait..."),
    ],
)
def test_folds_unicode_punctuation_and_keeps_the_file_text(file_line: str, patch_line: str) -> None:
    text = f"{file_line}\nold\n"
    out = apply(text, "*** Update File: f", "@@", f" {patch_line}", "-old", "+new")
    # The matched context line keeps the file's own characters, not the patch's ASCII.
    assert out == f"{file_line}\nnew\n"


def test_removed_unicode_line_matched_by_ascii_is_replaced() -> None:
    text = "say \u201chi\u201d\n"
    assert apply(text, "*** Update File: f", "@@", '-say "hi"', '+say "bye"') == 'say "bye"\n'


def test_trailing_blank_context_is_dropped_when_it_does_not_match() -> None:
    text = "a\nb\nc\n"
    assert apply(text, "*** Update File: f", "@@", " a", "-b", "+B", "") == "a\nB\nc\n"


def test_crlf_file_stays_crlf_and_new_lines_get_crlf() -> None:
    text = "one\r\ntwo\r\nthree\r\n"
    out = apply(text, "*** Update File: f", "@@", " one", "-two", "+2", "+2b", newline="\r\n")
    assert out == "one\r\n2\r\n2b\r\nthree\r\n"


def test_mixed_endings_keep_each_untouched_line() -> None:
    text = "a\r\nb\nc\r\nd\r\n"
    out = apply(text, "*** Update File: f", "@@", " b", "-c", "+C")
    assert out == "a\r\nb\nC\r\nd\r\n"


def test_lone_cr_file_stays_lone_cr() -> None:
    text = "a\rb\rc\r"
    assert apply(text, "*** Update File: f", "@@", "-b", "+B", "+B2") == "a\rB\rB2\rc\r"


def test_file_without_final_newline_gets_exactly_one() -> None:
    assert apply("a\nb", "*** Update File: f", "@@", "-a", "+A") == "A\nb\n"
    assert apply("a\r\nb", "*** Update File: f", "@@", "-b", "+B") == "a\r\nB\r\n"


def test_removing_every_line_leaves_an_empty_file() -> None:
    assert apply("a\nb\n", "*** Update File: f", "@@", "-a", "-b") == ""


def test_split_lines_keeps_endings() -> None:
    assert split_lines("a\r\nb\nc") == [("a", "\r\n"), ("b", "\n"), ("c", "")]
    assert split_lines("a\rb\r") == [("a", "\r"), ("b", "\r")]
    assert split_lines("x\ry\n") == [("x", "\r"), ("y", "\n")]
    assert split_lines("\r\r\n\n\r") == [("", "\r"), ("", "\r\n"), ("", "\n"), ("", "\r")]
    assert split_lines("") == []


def test_a_lone_cr_ends_a_line_in_a_file_of_mixed_endings() -> None:
    text = "one\r\ntwo\rthree\nfour\r\n"
    # CRLF is the dominant ending here (2 against 1 lone CR and 1 lone LF).
    out = apply(text, "*** Update File: f", "@@", " two", "-three", "+THREE")
    assert out == "one\r\ntwo\rTHREE\r\nfour\r\n"
    both = apply(text, "*** Update File: f", "@@", "-two", "-three", "+2", "+3")
    assert both == "one\r\n2\r\n3\r\nfour\r\n"


def test_a_lone_cr_line_can_be_anchored_and_kept_in_an_lf_file() -> None:
    text = "a\nb\rc\nd\n"
    out = apply(text, "*** Update File: f", "@@ b", " c", "-d", "+D")
    assert out == "a\nb\rc\nD\n"


def apply_error(text: str, *body: str) -> str:
    with pytest.raises(ApplyError) as info:
        apply(text, *body)
    assert isinstance(info.value, ToolError)
    return str(info.value)


def test_missing_context_names_file_chunk_lines_and_closest_text() -> None:
    text = "def f():\n    return compute(1)\n\ndef g():\n    pass\n"
    message = apply_error(
        text,
        "*** Update File: f",
        "@@",
        " def g():",
        "-    pass",
        "+    return 0",
        "@@",
        "-    return compute(2)",
        "+    return 2",
    )
    assert "f.txt, chunk 2 of 2 (patch line 7)" in message
    assert "    return compute(2)" in message
    assert "after line 5" in message
    assert "Closest text in the file, from line 2" in message
    assert "return compute(1)" in message


def test_out_of_order_chunk_says_where_its_lines_are() -> None:
    message = apply_error("a\nb\nc\n", "*** Update File: f", "@@", "-c", "+C", "@@", "-a", "+A")
    assert "They are at line 1" in message
    assert "file order" in message


def test_missing_anchor_is_an_error() -> None:
    message = apply_error("a\nb\n", "*** Update File: f", "@@ def nowhere():", "-a", "+A")
    assert "'@@ def nowhere():' line was not found" in message
