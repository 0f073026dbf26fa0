"""The ApplyPatch tool on real files: planning, all-or-nothing execution, and path safety."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from devagent.tools.apply_patch import ApplyPatch
from devagent.tools.base import PreparedCall, ToolContext, ToolError
from devagent.tools.fileio import atomic_write
from devagent.tools.schema import validate_input

Snapshot = dict[str, tuple[bytes, int] | None]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    return Path(os.path.realpath(root))


@pytest.fixture
def ctx(ws: Path) -> ToolContext:
    return ToolContext(workspace=ws, cwd=ws)


def envelope(*body: str) -> str:
    return "\n".join(["*** Begin Patch", *body, "*** End Patch"]) + "\n"


def prepare(ctx: ToolContext, *body: str) -> PreparedCall:
    args: dict[str, Any] = validate_input(
        ApplyPatch.name, {"input": envelope(*body)}, ApplyPatch.input_schema
    )
    return ApplyPatch().prepare(args, ctx)


def run(ctx: ToolContext, *body: str) -> str:
    result = prepare(ctx, *body).execute()
    assert not result.is_error
    return result.content


def snapshot(root: Path) -> Snapshot:
    """Every path under ``root``: files with (bytes, mode), directories as None."""
    found: Snapshot = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            found[os.path.relpath(os.path.join(dirpath, name), root)] = None
        for name in filenames:
            path = os.path.join(dirpath, name)
            found[os.path.relpath(path, root)] = (
                Path(path).read_bytes(),
                stat.S_IMODE(os.lstat(path).st_mode),
            )
    return found


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def refused(ctx: ToolContext, *body: str) -> str:
    before = snapshot(ctx.workspace)
    with pytest.raises(ToolError) as info:
        prepare(ctx, *body).execute()
    assert snapshot(ctx.workspace) == before
    return str(info.value)


# --- the tool's face --------------------------------------------------------------------------


def test_schema_and_description() -> None:
    assert ApplyPatch.name == "ApplyPatch"
    assert ApplyPatch.read_only is False
    assert ApplyPatch.input_schema["required"] == ["input"]
    assert ApplyPatch.input_schema["properties"]["input"]["type"] == "string"
    for marker in ("*** Begin Patch", "*** Update File:", "*** Add File:", "@@", "*** End Patch"):
        assert marker in ApplyPatch.description
    with pytest.raises(ToolError):
        validate_input(ApplyPatch.name, {}, ApplyPatch.input_schema)


# --- happy paths ------------------------------------------------------------------------------


def test_add_update_delete_and_move_in_one_patch(ctx: ToolContext, ws: Path) -> None:
    write(ws / "src/a.py", "def f():\n    return 1\n")
    write(ws / "old.txt", "bye\n")
    write(ws / "src/x.py", "x = 1\n")
    out = run(
        ctx,
        "*** Add File: docs/new.md",
        "+# New",
        "*** Update File: src/a.py",
        "@@ def f():",
        "-    return 1",
        "+    return 2",
        "*** Delete File: old.txt",
        "*** Update File: src/x.py",
        "*** Move to: src/y.py",
        "@@",
        "-x = 1",
        "+y = 1",
    )
    assert out.splitlines() == [
        "Success. Updated the following files:",
        "A docs/new.md",
        "M src/a.py",
        "D old.txt",
        "R src/x.py -> src/y.py",
    ]
    assert snapshot(ws).keys() == {"docs", "docs/new.md", "src", "src/a.py", "src/y.py"}
    assert (ws / "docs/new.md").read_bytes() == b"# New\n"
    assert (ws / "src/a.py").read_bytes() == b"def f():\n    return 2\n"
    assert (ws / "src/y.py").read_bytes() == b"y = 1\n"


def test_prepared_changes_hold_exactly_the_bytes_written(ctx: ToolContext, ws: Path) -> None:
    write(ws / "a.txt", "one\r\ntwo\r\n")
    write(ws / "m.txt", "move me")
    call = prepare(
        ctx,
        "*** Update File: a.txt",
        "-two",
        "+TWO",
        "*** Add File: b.txt",
        "+hello",
        "*** Update File: m.txt",
        "*** Move to: sub/m2.txt",
    )
    assert snapshot(ws).keys() == {"a.txt", "m.txt"}  # prepare wrote nothing
    assert call.paths == (ws / "a.txt", ws / "b.txt", ws / "m.txt", ws / "sub/m2.txt")
    a, b, m = call.changes
    assert (a.path, a.before, a.after, a.move_to) == (
        ws / "a.txt",
        b"one\r\ntwo\r\n",
        b"one\r\nTWO\r\n",
        None,
    )
    assert (b.path, b.before, b.after) == (ws / "b.txt", None, b"hello\n")
    assert (m.path, m.before, m.after, m.move_to) == (
        ws / "m.txt",
        b"move me",
        b"move me",
        ws / "sub/m2.txt",
    )
    call.execute()
    assert (ws / "a.txt").read_bytes() == a.after
    assert (ws / "b.txt").read_bytes() == b.after
    assert (ws / "sub/m2.txt").read_bytes() == m.after
    assert not (ws / "m.txt").exists()


def test_add_file_creates_parent_directories(ctx: ToolContext, ws: Path) -> None:
    run(ctx, "*** Add File: a/b/c/new.txt", "+x", "", "+y")
    assert (ws / "a/b/c/new.txt").read_bytes() == b"x\n\ny\n"


def test_move_to_a_new_directory_keeps_mode(ctx: ToolContext, ws: Path) -> None:
    script = write(ws / "run.sh", "#!/bin/sh\necho old\n")
    script.chmod(0o755)
    run(
        ctx,
        "*** Update File: run.sh",
        "*** Move to: bin/tools/run.sh",
        "@@",
        "-echo old",
        "+echo new",
    )
    moved = ws / "bin/tools/run.sh"
    assert moved.read_bytes() == b"#!/bin/sh\necho new\n"
    assert stat.S_IMODE(moved.stat().st_mode) == 0o755
    assert not script.exists()


def test_absolute_path_inside_the_workspace_is_accepted(ctx: ToolContext, ws: Path) -> None:
    write(ws / "a.txt", "a\n")
    run(ctx, f"*** Update File: {ws / 'a.txt'}", "-a", "+b")
    assert (ws / "a.txt").read_bytes() == b"b\n"


def test_crlf_bom_and_missing_final_newline_are_handled(ctx: ToolContext, ws: Path) -> None:
    write(ws / "crlf.txt", b"one\r\ntwo\r\nthree\r\n")
    write(ws / "bom.txt", b"\xef\xbb\xbfhead\nbody\n")
    write(ws / "open.txt", b"first\nlast")
    run(
        ctx,
        "*** Update File: crlf.txt",
        " one",
        "-two",
        "+2",
        "+2.5",
        "*** Update File: bom.txt",
        "-head",
        "+HEAD",
        "*** Update File: open.txt",
        "-first",
        "+FIRST",
    )
    assert (ws / "crlf.txt").read_bytes() == b"one\r\n2\r\n2.5\r\nthree\r\n"
    assert (ws / "bom.txt").read_bytes() == b"\xef\xbb\xbfHEAD\nbody\n"
    assert (ws / "open.txt").read_bytes() == b"FIRST\nlast\n"


def test_a_lone_cr_ends_a_line_in_a_file_of_mixed_endings(ctx: ToolContext, ws: Path) -> None:
    write(ws / "mixed.txt", b"one\r\ntwo\rthree\nfour\r\n")
    run(ctx, "*** Update File: mixed.txt", "@@", " two", " three", "-four", "+FOUR", "+five")
    # Untouched lines keep their own endings; new lines get the dominant one (CRLF here).
    assert (ws / "mixed.txt").read_bytes() == b"one\r\ntwo\rthree\nFOUR\r\nfive\r\n"
    run(ctx, "*** Update File: mixed.txt", "@@", " one", "-two", "+TWO", " three")
    assert (ws / "mixed.txt").read_bytes() == b"one\r\nTWO\r\nthree\nFOUR\r\nfive\r\n"


def test_unicode_in_file_matched_by_ascii_patch(ctx: ToolContext, ws: Path) -> None:
    write(ws / "doc.md", "Pages 1\u20132 say \u201chi\u201d\u00a0there\nold\n")
    run(ctx, "*** Update File: doc.md", ' Pages 1-2 say "hi" there', "-old", "+new")
    assert (ws / "doc.md").read_text() == "Pages 1\u20132 say \u201chi\u201d\u00a0there\nnew\n"


def test_update_through_a_symlink_edits_the_target(ctx: ToolContext, ws: Path) -> None:
    target = write(ws / "real.txt", "a\n")
    (ws / "link.txt").symlink_to("real.txt")
    run(ctx, "*** Update File: link.txt", "-a", "+b")
    assert (ws / "link.txt").is_symlink()
    assert target.read_bytes() == b"b\n"


def test_ledger_follows_files_the_model_had_read(ctx: ToolContext, ws: Path) -> None:
    path = write(ws / "a.txt", "a\n")
    ctx.ledger.record(path, b"a\n")
    run(ctx, "*** Update File: a.txt", "-a", "+b", "*** Add File: n.txt", "+n")
    seen = ctx.ledger.get(path)
    assert seen is not None
    assert seen.size == 2
    assert ctx.ledger.get(ws / "n.txt") is not None


# --- refusals in prepare ----------------------------------------------------------------------


def test_missing_context_writes_nothing(ctx: ToolContext, ws: Path) -> None:
    write(ws / "a.txt", "alpha\nbeta\n")
    write(ws / "b.txt", "gamma\ndelta\n")
    message = refused(
        ctx,
        "*** Update File: a.txt",
        "-alpha",
        "+ALPHA",
        "*** Update File: b.txt",
        " gamma",
        "-epsilon",
        "+EPSILON",
    )
    assert "b.txt, chunk 1 of 1" in message
    assert "epsilon" in message
    assert "No file was changed" in message


def test_add_of_an_existing_file_is_refused(ctx: ToolContext, ws: Path) -> None:
    write(ws / "a.txt", "a\n")
    assert "already exists" in refused(ctx, "*** Add File: a.txt", "+x")


def test_update_and_delete_of_a_missing_file_are_refused(ctx: ToolContext) -> None:
    assert "does not exist" in refused(ctx, "*** Update File: nope.txt", "-a", "+b")
    assert "does not exist" in refused(ctx, "*** Delete File: nope.txt")


def test_delete_of_a_directory_is_refused(ctx: ToolContext, ws: Path) -> None:
    write(ws / "dir/inside.txt", "x\n")
    assert "is a directory" in refused(ctx, "*** Delete File: dir")


def test_delete_of_a_symlink_is_refused(ctx: ToolContext, ws: Path) -> None:
    write(ws / "real.txt", "x\n")
    (ws / "link.txt").symlink_to("real.txt")
    assert "symbolic link" in refused(ctx, "*** Delete File: link.txt")


def test_move_onto_an_existing_file_is_refused(ctx: ToolContext, ws: Path) -> None:
    write(ws / "a.txt", "a\n")
    write(ws / "b.txt", "b\n")
    message = refused(ctx, "*** Update File: a.txt", "*** Move to: b.txt", "-a", "+A")
    assert "already exists" in message
    assert "never overwrites" in message


def test_same_file_in_two_sections_is_refused(ctx: ToolContext, ws: Path) -> None:
    write(ws / "a.txt", "a\nb\n")
    message = refused(
        ctx, "*** Update File: a.txt", "-a", "+A", "*** Update File: ./a.txt", "-b", "+B"
    )
    assert "one section" in message


def test_binary_file_update_is_refused(ctx: ToolContext, ws: Path) -> None:
    write(ws / "blob.bin", b"a\x00b\n")
    assert "binary" in refused(ctx, "*** Update File: blob.bin", "-a", "+b")


def test_parse_errors_reach_the_model_with_line_numbers(ctx: ToolContext) -> None:
    message = refused(ctx, "*** Frobnicate File: a.txt")
    assert message.startswith("Invalid patch, line 2: expected a hunk header")


@pytest.mark.parametrize("where", ["../escape.txt", "OUTSIDE/abs.txt", "out/via_link.txt"])
def test_paths_outside_the_workspace_are_refused(ctx: ToolContext, ws: Path, where: str) -> None:
    outside = ws.parent / "outside"
    outside.mkdir()
    (ws / "out").symlink_to(outside, target_is_directory=True)
    raw = where.replace("OUTSIDE", os.fspath(outside))
    message = refused(ctx, f"*** Add File: {raw}", "+pwned")
    assert "outside the workspace" in message
    assert list(outside.iterdir()) == []
    assert not (ws.parent / "escape.txt").exists()


def test_symlinked_file_pointing_outside_is_not_updated(ctx: ToolContext, ws: Path) -> None:
    secret = write(ws.parent / "secret.txt", "keep\n")
    (ws / "s.txt").symlink_to(secret)
    assert "outside the workspace" in refused(ctx, "*** Update File: s.txt", "-keep", "+lost")
    assert secret.read_bytes() == b"keep\n"


# --- all or nothing in execute ----------------------------------------------------------------


def test_file_changed_after_prepare_aborts_everything(ctx: ToolContext, ws: Path) -> None:
    write(ws / "a.txt", "a\n")
    b = write(ws / "b.txt", "b\n")
    call = prepare(ctx, "*** Update File: a.txt", "-a", "+A", "*** Update File: b.txt", "-b", "+B")
    b.write_bytes(b"b\nedited by the user\n")
    before = snapshot(ws)
    with pytest.raises(ToolError) as info:
        call.execute()
    assert "changed on disk" in str(info.value)
    assert "not applied" in str(info.value)
    assert snapshot(ws) == before


def test_file_created_after_prepare_blocks_the_add(ctx: ToolContext, ws: Path) -> None:
    write(ws / "a.txt", "a\n")
    call = prepare(ctx, "*** Update File: a.txt", "-a", "+A", "*** Add File: n.txt", "+n")
    write(ws / "n.txt", "someone else's\n")
    before = snapshot(ws)
    with pytest.raises(ToolError):
        call.execute()
    assert snapshot(ws) == before


def test_write_failure_on_second_file_restores_the_first(ctx: ToolContext, ws: Path) -> None:
    write(ws / "a.txt", "a\n")
    (ws / "pkg").mkdir()
    call = prepare(ctx, "*** Update File: a.txt", "-a", "+A", "*** Add File: pkg/sub/n.txt", "+n")
    # A real failure after the checks pass: the new file's parent turns into a plain file.
    (ws / "pkg").rmdir()
    write(ws / "pkg", "now a file\n")
    before = snapshot(ws)
    with pytest.raises(ToolError) as info:
        call.execute()
    assert "put back" in str(info.value)
    assert snapshot(ws) == before


def test_failure_late_in_a_patch_undoes_every_kind_of_step(
    ctx: ToolContext, ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(ws / "keep.txt", "k\n")
    write(ws / "gone.txt", "g\n").chmod(0o640)
    write(ws / "mv.txt", "m\n").chmod(0o750)
    write(ws / "last.txt", "l\n")
    call = prepare(
        ctx,
        "*** Update File: keep.txt",
        "-k",
        "+K",
        "*** Add File: new/dir/n.txt",
        "+n",
        "*** Delete File: gone.txt",
        "*** Update File: mv.txt",
        "*** Move to: moved/mv.txt",
        "-m",
        "+M",
        "*** Update File: last.txt",
        "-l",
        "+L",
    )
    before = snapshot(ws)

    def failing_write(path: Path, data: bytes, **kwargs: Any) -> None:
        if path.name == "last.txt" and data == b"L\n":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        atomic_write(path, data, **kwargs)

    monkeypatch.setattr("devagent.tools.apply_patch.atomic_write", failing_write)
    with pytest.raises(ToolError) as info:
        call.execute()
    message = str(info.value)
    assert "last.txt" in message
    assert "No space left" in message
    assert "put back" in message
    assert snapshot(ws) == before


def test_nothing_is_left_behind_after_success(ctx: ToolContext, ws: Path) -> None:
    write(ws / "gone.txt", "g\n")
    write(ws / "a.txt", "a\n")
    run(ctx, "*** Delete File: gone.txt", "*** Update File: a.txt", "-a", "+b")
    assert sorted(os.listdir(ws)) == ["a.txt"]
