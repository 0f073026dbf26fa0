"""Specification of Edit and MultiEdit: byte-exact replacement, read-before-write, messages."""

from __future__ import annotations

import codecs
import errno
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from devagent.tools import fileio
from devagent.tools.base import PreparedCall, Tool, ToolContext, ToolError, ToolResult
from devagent.tools.edit import EditTool, MultiEditTool
from devagent.tools.schema import validate_input


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    return Path(os.path.realpath(root))


@pytest.fixture
def ctx(ws: Path) -> ToolContext:
    return ToolContext(workspace=ws, cwd=ws)


def seen(ctx: ToolContext, path: Path) -> None:
    """Record a Read of ``path`` the way the Read tool does (full file bytes)."""
    ctx.ledger.record(path, path.read_bytes())


def make(ctx: ToolContext, name: str, raw: bytes, *, read: bool = True) -> Path:
    path = ctx.workspace / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    if read:
        seen(ctx, path)
    return path


def prepare(tool: Tool, ctx: ToolContext, **args: Any) -> PreparedCall:
    return tool.prepare(validate_input(tool.name, args, tool.input_schema), ctx)


def edit(ctx: ToolContext, path: Path | str, old: str, new: str, **more: Any) -> ToolResult:
    call = prepare(EditTool(), ctx, file_path=str(path), old_string=old, new_string=new, **more)
    return call.execute()


def multi(ctx: ToolContext, path: Path | str, *edits: dict[str, Any]) -> ToolResult:
    return prepare(MultiEditTool(), ctx, file_path=str(path), edits=list(edits)).execute()


def leftovers(directory: Path) -> list[str]:
    return [name for name in os.listdir(directory) if ".devagent-" in name]


# --- byte-exact round trips ------------------------------------------------------------


def test_crlf_file_matched_with_lf_old_string(ctx: ToolContext) -> None:
    path = make(ctx, "a.txt", b"one\r\ntwo\r\nthree\r\n")
    edit(ctx, path, "two\nthree\n", "2\n3\nextra\n")
    assert path.read_bytes() == b"one\r\n2\r\n3\r\nextra\r\n"


def test_crlf_single_line_edit_leaves_every_other_byte(ctx: ToolContext) -> None:
    raw = b"alpha\r\n\tbeta = 1\r\ngamma\r\n"
    path = make(ctx, "a.txt", raw)
    edit(ctx, path, "beta = 1", "beta = 2")
    assert path.read_bytes() == raw.replace(b"beta = 1", b"beta = 2")


def test_mixed_endings_new_lines_take_the_edited_lines_ending(ctx: ToolContext) -> None:
    path = make(ctx, "m.txt", b"a\r\nb\r\nlf line\nc\r\n")
    edit(ctx, path, "lf line\n", "x\ny\n")
    assert path.read_bytes() == b"a\r\nb\r\nx\ny\nc\r\n"
    seen(ctx, path)
    edit(ctx, path, "a\nb", "A\nB")
    assert path.read_bytes() == b"A\r\nB\r\nx\ny\nc\r\n"


def test_lone_cr_file(ctx: ToolContext) -> None:
    path = make(ctx, "mac.txt", b"first\rsecond\rthird")
    edit(ctx, path, "second\nthird", "2nd\nextra\n3rd")
    assert path.read_bytes() == b"first\r2nd\rextra\r3rd"


def test_exact_match_never_splits_a_crlf_pair(ctx: ToolContext) -> None:
    path = make(ctx, "a.txt", b"x\r\ny\r\n")
    edit(ctx, path, "x\r\n", "z\n")
    assert path.read_bytes() == b"z\r\ny\r\n"
    seen(ctx, path)
    edit(ctx, path, "z\r", "w\r")
    assert path.read_bytes() == b"w\r\ny\r\n"


def test_utf8_bom_is_kept(ctx: ToolContext) -> None:
    path = make(ctx, "bom.txt", codecs.BOM_UTF8 + b"name = 1\n")
    edit(ctx, path, "name = 1", "name = 2")
    assert path.read_bytes() == codecs.BOM_UTF8 + b"name = 2\n"


def test_utf16_file_stays_utf16(ctx: ToolContext) -> None:
    raw = codecs.BOM_UTF16_LE + "größe = 1\r\nende\r\n".encode("utf-16-le")
    path = make(ctx, "w.txt", raw)
    edit(ctx, path, "größe = 1", "größe = 2 €")
    expected = codecs.BOM_UTF16_LE + "größe = 2 €\r\nende\r\n".encode("utf-16-le")
    assert path.read_bytes() == expected


def test_latin1_file_stays_latin1(ctx: ToolContext) -> None:
    raw = b"# caf\xe9 \x81\nx = 1\n"
    path = make(ctx, "l.py", raw)
    edit(ctx, path, "x = 1", "x = '\xe9t\xe9'")
    assert path.read_bytes() == b"# caf\xe9 \x81\nx = '\xe9t\xe9'\n"


def test_latin1_file_refuses_unencodable_new_text(ctx: ToolContext) -> None:
    raw = b"caf\xe9 \x81\n"
    path = make(ctx, "l.txt", raw)
    with pytest.raises(ToolError, match="latin-1"):
        prepare(EditTool(), ctx, file_path=str(path), old_string="caf", new_string="€")
    assert path.read_bytes() == raw


def test_mixed_encoding_file_is_refused(ctx: ToolContext) -> None:
    raw = b"utf8 \xc3\xa9 and latin \xe9\n"
    path = make(ctx, "x.txt", raw)
    with pytest.raises(ToolError, match="mixes UTF-8"):
        prepare(EditTool(), ctx, file_path=str(path), old_string="utf8", new_string="u")
    assert path.read_bytes() == raw


def test_missing_final_newline_stays_missing(ctx: ToolContext) -> None:
    path = make(ctx, "a.txt", b"first\r\nlast line")
    edit(ctx, path, "last line", "final line")
    assert path.read_bytes() == b"first\r\nfinal line"


def test_tabs_and_markdown_hard_breaks_are_kept(ctx: ToolContext) -> None:
    raw = b"# Title\n\nline one  \nline two  \n\tcode\n"
    path = make(ctx, "r.md", raw)
    edit(ctx, path, "# Title", "# Heading")
    assert path.read_bytes() == b"# Heading\n\nline one  \nline two  \n\tcode\n"


def test_curly_quotes_fold_for_matching_only(ctx: ToolContext) -> None:
    raw = "He said “hello” and ‘bye’.\nKeep “these”.\n".encode()
    path = make(ctx, "q.txt", raw)
    edit(ctx, path, 'said "hello" and', 'said "hi" and')
    assert path.read_bytes() == 'He said "hi" and ‘bye’.\nKeep “these”.\n'.encode()


def test_new_string_is_taken_literally(ctx: ToolContext) -> None:
    path = make(ctx, "q.txt", b"x = 1\n")
    edit(ctx, path, "x = 1", "x = “1”  \t")
    assert path.read_bytes() == "x = “1”  \t\n".encode()


def test_executable_mode_is_kept(ctx: ToolContext) -> None:
    path = make(ctx, "run.sh", b"#!/bin/sh\necho a\n")
    path.chmod(0o755)
    seen(ctx, path)
    edit(ctx, path, "echo a", "echo b")
    assert stat.S_IMODE(path.stat().st_mode) == 0o755


def test_symlinked_file_keeps_link_and_edits_target(ctx: ToolContext) -> None:
    target = make(ctx, "real.txt", b"value = 1\n")
    link = ctx.workspace / "link.txt"
    link.symlink_to("real.txt")
    call = prepare(EditTool(), ctx, file_path="link.txt", old_string="1", new_string="2")
    assert call.paths == (target,)
    call.execute()
    assert link.is_symlink()
    assert target.read_bytes() == b"value = 2\n"


def test_hard_linked_file_keeps_its_inode(ctx: ToolContext) -> None:
    first = make(ctx, "a.txt", b"value = 1\n")
    second = ctx.workspace / "b.txt"
    os.link(first, second)
    inode = first.stat().st_ino
    edit(ctx, first, "value = 1", "value = 22")
    assert second.read_bytes() == b"value = 22\n"
    assert first.stat().st_ino == inode


# --- read-before-write and staleness ---------------------------------------------------


def test_edit_without_read_is_refused(ctx: ToolContext) -> None:
    path = make(ctx, "a.txt", b"x\n", read=False)
    with pytest.raises(ToolError, match="Read it first"):
        prepare(EditTool(), ctx, file_path="a.txt", old_string="x", new_string="y")
    assert path.read_bytes() == b"x\n"


def test_external_change_after_read_is_refused(ctx: ToolContext) -> None:
    path = make(ctx, "a.txt", b"x = 1\n")
    path.write_bytes(b"x = 1\ny = 2\n")
    with pytest.raises(ToolError, match=r"changed since you read it.*Read it again"):
        prepare(EditTool(), ctx, file_path="a.txt", old_string="x = 1", new_string="x = 3")
    assert path.read_bytes() == b"x = 1\ny = 2\n"


def test_change_between_prepare_and_execute_aborts(ctx: ToolContext) -> None:
    path = make(ctx, "a.txt", b"x = 1\n")
    call = prepare(EditTool(), ctx, file_path="a.txt", old_string="x = 1", new_string="x = 2")
    path.write_bytes(b"x = 1  # user\n")
    with pytest.raises(ToolError, match="changed on disk"):
        call.execute()
    assert path.read_bytes() == b"x = 1  # user\n"
    assert leftovers(ctx.workspace) == []


def test_prepare_changes_nothing_and_describes_the_change(ctx: ToolContext) -> None:
    path = make(ctx, "a.txt", b"x = 1\n")
    call = prepare(EditTool(), ctx, file_path="a.txt", old_string="1", new_string="2")
    assert path.read_bytes() == b"x = 1\n"
    assert call.paths == (path,)
    (change,) = call.changes
    assert (change.path, change.before, change.after) == (path, b"x = 1\n", b"x = 2\n")


def test_follow_up_edit_needs_no_new_read(ctx: ToolContext) -> None:
    path = make(ctx, "a.txt", b"a = 1\nb = 1\n")
    edit(ctx, path, "a = 1", "a = 2")
    edit(ctx, path, "b = 1", "b = 2")
    assert path.read_bytes() == b"a = 2\nb = 2\n"


def test_result_shows_numbered_context(ctx: ToolContext) -> None:
    path = make(ctx, "a.txt", b"".join(b"line %d\n" % i for i in range(1, 21)))
    result = edit(ctx, path, "line 10\n", "line ten\n")
    assert "replaced 1 occurrence" in result.content
    assert "    10\tline ten" in result.content
    assert "     7\tline 7" in result.content


def test_disk_full_during_edit_keeps_the_original(
    ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make(ctx, "a.txt", b"x = 1\r\n")
    call = prepare(EditTool(), ctx, file_path="a.txt", old_string="x = 1", new_string="x = 2")

    def full(*_args: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("devagent.tools.fileio.os.write", full)
    with pytest.raises(ToolError, match="No space left"):
        call.execute()
    monkeypatch.undo()
    assert path.read_bytes() == b"x = 1\r\n"
    assert leftovers(ctx.workspace) == []


# --- matching errors -------------------------------------------------------------------


def test_no_match_shows_closest_lines_with_numbers(ctx: ToolContext) -> None:
    body = b"def a():\n    return 1\n\ndef compute_total(items):\n    return sum(items)\n"
    path = make(ctx, "m.py", body)
    with pytest.raises(ToolError) as info:
        prepare(
            EditTool(),
            ctx,
            file_path="m.py",
            old_string="def compute_totals(items):\n    return sum(item)",
            new_string="pass",
        )
    message = str(info.value)
    assert "not found" in message
    assert "     4\tdef compute_total(items):" in message
    assert "     5\t    return sum(items)" in message
    assert path.read_bytes() == body


def test_no_match_and_nothing_similar(ctx: ToolContext) -> None:
    make(ctx, "m.py", b"aaa\nbbb\n")
    with pytest.raises(ToolError, match="No similar lines"):
        prepare(EditTool(), ctx, file_path="m.py", old_string="zzzzzzzz", new_string="q")


def test_line_number_prefixes_are_pointed_out(ctx: ToolContext) -> None:
    make(ctx, "m.py", b"x = 1\ny = 2\n")
    with pytest.raises(ToolError, match="line-number prefixes"):
        prepare(EditTool(), ctx, file_path="m.py", old_string="     1\tx = 1", new_string="x")


def test_several_matches_name_the_count(ctx: ToolContext) -> None:
    path = make(ctx, "m.txt", b"x = 1\ny = 0\nx = 1\nx = 1\n")
    with pytest.raises(
        ToolError, match=r"matches 3 places \(starting on lines 1, 3, 4\).*replace_all"
    ):
        prepare(EditTool(), ctx, file_path="m.txt", old_string="x = 1", new_string="x = 2")
    result = edit(ctx, path, "x = 1", "x = 2", replace_all=True)
    assert "3 occurrences" in result.content
    assert path.read_bytes() == b"x = 2\ny = 0\nx = 2\nx = 2\n"


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [("same", "same", "identical"), ("", "text", "old_string is empty")],
)
def test_rejected_edits(ctx: ToolContext, old: str, new: str, needle: str) -> None:
    path = make(ctx, "a.txt", b"same\n")
    with pytest.raises(ToolError, match=needle):
        prepare(EditTool(), ctx, file_path="a.txt", old_string=old, new_string=new)
    assert path.read_bytes() == b"same\n"


def test_quote_only_difference_is_reported_as_no_change(ctx: ToolContext) -> None:
    make(ctx, "q.txt", "say “hi”\n".encode())
    with pytest.raises(ToolError, match="unchanged"):
        prepare(EditTool(), ctx, file_path="q.txt", old_string='say "hi"', new_string="say “hi”")


def test_empty_old_string_creates_a_missing_file(ctx: ToolContext) -> None:
    result = edit(ctx, "new/dir/file.py", "", "print('hi')\n")
    assert (ctx.workspace / "new/dir/file.py").read_bytes() == b"print('hi')\n"
    assert "Created" in result.content


def test_empty_old_string_fills_an_empty_file(ctx: ToolContext) -> None:
    path = make(ctx, "empty.txt", b"")
    edit(ctx, path, "", "content\n")
    assert path.read_bytes() == b"content\n"


def test_missing_file_with_old_string(ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match="does not exist"):
        prepare(EditTool(), ctx, file_path="nope.txt", old_string="a", new_string="b")


@pytest.mark.parametrize("raw", ["../outside.txt", "/etc/hostname"])
def test_paths_outside_the_workspace_are_refused(ctx: ToolContext, raw: str) -> None:
    with pytest.raises(ToolError, match="outside the workspace"):
        prepare(EditTool(), ctx, file_path=raw, old_string="a", new_string="b")


def test_prefix_sibling_is_refused(ctx: ToolContext) -> None:
    sibling = ctx.workspace.parent / (ctx.workspace.name + "-evil")
    sibling.mkdir()
    (sibling / "x.txt").write_bytes(b"a")
    with pytest.raises(ToolError, match="outside the workspace"):
        prepare(EditTool(), ctx, file_path=str(sibling / "x.txt"), old_string="a", new_string="b")
    assert (sibling / "x.txt").read_bytes() == b"a"


def test_too_large_file_is_refused(ctx: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    make(ctx, "big.txt", b"x" * 5000)
    monkeypatch.setattr(fileio, "MAX_TEXT_BYTES", 1000)
    with pytest.raises(ToolError, match="larger than"):
        prepare(EditTool(), ctx, file_path="big.txt", old_string="x", new_string="y")


def test_binary_file_is_refused(ctx: ToolContext) -> None:
    make(ctx, "img.png", b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(ToolError, match="binary"):
        prepare(EditTool(), ctx, file_path="img.png", old_string="PNG", new_string="GIF")


# --- MultiEdit ---------------------------------------------------------------------------


def test_multiedit_applies_in_order(ctx: ToolContext) -> None:
    path = make(ctx, "a.txt", b"alpha\r\nbeta\r\n")
    result = multi(
        ctx,
        path,
        {"old_string": "alpha", "new_string": "ALPHA"},
        {"old_string": "ALPHA\nbeta", "new_string": "ALPHA\nBETA\ngamma"},
    )
    assert path.read_bytes() == b"ALPHA\r\nBETA\r\ngamma\r\n"
    assert "applied 2 edits" in result.content


def test_multiedit_is_all_or_nothing(ctx: ToolContext) -> None:
    raw = b"one\ntwo\nthree\n"
    path = make(ctx, "a.txt", raw)
    with pytest.raises(ToolError) as info:
        multi(
            ctx,
            path,
            {"old_string": "one", "new_string": "1"},
            {"old_string": "missing", "new_string": "2"},
            {"old_string": "three", "new_string": "3"},
        )
    message = str(info.value)
    assert message.startswith("Edit 2 of 3 failed: old_string was not found")
    assert "file is unchanged" in message
    assert path.read_bytes() == raw


def test_multiedit_replace_all_and_ambiguity(ctx: ToolContext) -> None:
    path = make(ctx, "a.txt", b"x x y\n")
    with pytest.raises(ToolError, match="Edit 1 of 2 failed: old_string matches 2 places"):
        multi(
            ctx,
            path,
            {"old_string": "x", "new_string": "z"},
            {"old_string": "y", "new_string": "w"},
        )
    multi(
        ctx,
        path,
        {"old_string": "x", "new_string": "z", "replace_all": True},
        {"old_string": "y", "new_string": "w"},
    )
    assert path.read_bytes() == b"z z w\n"


def test_multiedit_creates_with_empty_first_old_string(ctx: ToolContext) -> None:
    multi(
        ctx,
        "made.txt",
        {"old_string": "", "new_string": "a = 1\nb = 1\n"},
        {"old_string": "b = 1", "new_string": "b = 2"},
    )
    assert (ctx.workspace / "made.txt").read_bytes() == b"a = 1\nb = 2\n"


def test_multiedit_needs_a_read(ctx: ToolContext) -> None:
    make(ctx, "a.txt", b"x\n", read=False)
    with pytest.raises(ToolError, match="Read it first"):
        multi(ctx, "a.txt", {"old_string": "x", "new_string": "y"})


def test_tools_are_not_read_only() -> None:
    assert EditTool.read_only is False
    assert MultiEditTool.read_only is False
    assert EditTool.name == "Edit" and MultiEditTool.name == "MultiEdit"
