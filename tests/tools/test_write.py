"""Specification of the Write tool: create, replace after Read, keep what belongs to the file."""

from __future__ import annotations

import codecs
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devagent.tools.base import PreparedCall, ToolContext, ToolError, ToolResult
from devagent.tools.fileio import MAX_TEXT_BYTES
from devagent.tools.schema import validate_input
from devagent.tools.write import WriteTool


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    return Path(os.path.realpath(root))


@pytest.fixture
def ctx(ws: Path) -> ToolContext:
    return ToolContext(workspace=ws, cwd=ws)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def seen(ctx: ToolContext, path: Path) -> None:
    """Record a Read of ``path`` the way the Read tool does (full file bytes)."""
    ctx.ledger.record(path, path.read_bytes())


def prepare(ctx: ToolContext, file_path: str, content: str) -> PreparedCall:
    tool = WriteTool()
    args: dict[str, Any] = {"file_path": file_path, "content": content}
    return tool.prepare(validate_input(tool.name, args, tool.input_schema), ctx)


def write(ctx: ToolContext, file_path: str, content: str) -> ToolResult:
    return prepare(ctx, file_path, content).execute()


def existing(ctx: ToolContext, name: str, raw: bytes, *, read: bool = True) -> Path:
    path = ctx.workspace / name
    path.write_bytes(raw)
    if read:
        seen(ctx, path)
    return path


@pytest.mark.usefixtures("umask_022")
def test_creates_a_new_file_in_new_directories(ctx: ToolContext) -> None:
    result = write(ctx, "pkg/sub/mod.py", "x = 1\n")
    path = ctx.workspace / "pkg" / "sub" / "mod.py"
    assert path.read_bytes() == b"x = 1\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert "Created pkg/sub/mod.py" in result.content


def test_new_file_content_is_written_literally(ctx: ToolContext) -> None:
    content = "a\r\nb\n“quoted”\tend  \n"
    write(ctx, "lit.txt", content)
    assert (ctx.workspace / "lit.txt").read_bytes() == content.encode()


def test_new_file_can_be_edited_again_without_a_read(ctx: ToolContext) -> None:
    write(ctx, "a.txt", "one\n")
    write(ctx, "a.txt", "two\n")
    assert (ctx.workspace / "a.txt").read_bytes() == b"two\n"


def test_overwrite_without_read_is_refused(ctx: ToolContext) -> None:
    path = existing(ctx, "a.txt", b"keep me\n", read=False)
    with pytest.raises(ToolError, match="Read it first"):
        prepare(ctx, "a.txt", "gone\n")
    assert path.read_bytes() == b"keep me\n"


def test_overwrite_after_read(ctx: ToolContext) -> None:
    path = existing(ctx, "a.txt", b"old\n")
    result = write(ctx, "a.txt", "new\n")
    assert path.read_bytes() == b"new\n"
    assert "Replaced the content of a.txt" in result.content


def test_overwrite_of_changed_file_is_refused(ctx: ToolContext) -> None:
    path = existing(ctx, "a.txt", b"old\n")
    path.write_bytes(b"user's work\n")
    with pytest.raises(ToolError, match="changed since you read it"):
        prepare(ctx, "a.txt", "new\n")
    assert path.read_bytes() == b"user's work\n"


def test_change_while_waiting_for_approval_aborts(ctx: ToolContext) -> None:
    path = existing(ctx, "a.txt", b"old\n")
    call = prepare(ctx, "a.txt", "new\n")
    path.write_bytes(b"user's work\n")
    with pytest.raises(ToolError, match="changed on disk"):
        call.execute()
    assert path.read_bytes() == b"user's work\n"


def test_file_created_while_waiting_for_approval_aborts(ctx: ToolContext) -> None:
    call = prepare(ctx, "a.txt", "mine\n")
    (ctx.workspace / "a.txt").write_bytes(b"theirs\n")
    with pytest.raises(ToolError, match="now exists"):
        call.execute()
    assert (ctx.workspace / "a.txt").read_bytes() == b"theirs\n"


def test_prepared_call_describes_the_write(ctx: ToolContext) -> None:
    path = existing(ctx, "a.txt", b"old\n")
    call = prepare(ctx, "a.txt", "new\n")
    assert call.paths == (path,)
    (change,) = call.changes
    assert (change.before, change.after) == (b"old\n", b"new\n")
    assert path.read_bytes() == b"old\n"
    new_call = prepare(ctx, "b.txt", "x")
    assert new_call.changes[0].before is None
    assert not (ctx.workspace / "b.txt").exists()


def test_crlf_file_keeps_crlf_when_content_uses_lf(ctx: ToolContext) -> None:
    path = existing(ctx, "w.bat", b"@echo off\r\necho a\r\n")
    write(ctx, "w.bat", "@echo off\necho b\n")
    assert path.read_bytes() == b"@echo off\r\necho b\r\n"


def test_content_with_its_own_cr_is_written_as_given(ctx: ToolContext) -> None:
    path = existing(ctx, "w.txt", b"a\r\nb\r\n")
    write(ctx, "w.txt", "a\r\nb\nc")
    assert path.read_bytes() == b"a\r\nb\nc"


def test_bom_encoding_and_mode_are_kept(ctx: ToolContext) -> None:
    raw = codecs.BOM_UTF16_LE + "alt\n".encode("utf-16-le")
    path = existing(ctx, "u.txt", raw)
    path.chmod(0o755)
    seen(ctx, path)
    write(ctx, "u.txt", "\ufeffneu ü\n")
    assert path.read_bytes() == codecs.BOM_UTF16_LE + "neu ü\n".encode("utf-16-le")
    assert stat.S_IMODE(path.stat().st_mode) == 0o755


def test_latin1_file_keeps_its_encoding_or_refuses(ctx: ToolContext) -> None:
    path = existing(ctx, "l.txt", b"caf\xe9 \x81\n")
    with pytest.raises(ToolError, match="latin-1"):
        prepare(ctx, "l.txt", "price €\n")
    write(ctx, "l.txt", "thé\n")
    assert path.read_bytes() == b"th\xe9\n"


def test_symlink_is_kept_and_target_replaced(ctx: ToolContext) -> None:
    target = existing(ctx, "real.txt", b"old\n")
    link = ctx.workspace / "link.txt"
    link.symlink_to("real.txt")
    write(ctx, "link.txt", "new\n")
    assert link.is_symlink()
    assert target.read_bytes() == b"new\n"


def test_file_symlink_to_outside_is_refused(ctx: ToolContext, tmp_path: Path) -> None:
    outside = tmp_path / "authorized_keys"
    outside.write_bytes(b"ssh-ed25519 AAAA\n")
    (ctx.workspace / "out").symlink_to(outside)
    with pytest.raises(ToolError, match="outside the workspace"):
        prepare(ctx, "out", "ssh-rsa attacker\n")
    assert outside.read_bytes() == b"ssh-ed25519 AAAA\n"


def test_directory_symlink_to_outside_is_refused(ctx: ToolContext, tmp_path: Path) -> None:
    outside = tmp_path / "etc"
    outside.mkdir()
    (ctx.workspace / "link").symlink_to(outside)
    with pytest.raises(ToolError, match="outside the workspace"):
        prepare(ctx, "link/x", "data")
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("raw", ["../escape.txt", "~/devagent-should-not-exist.txt"])
def test_paths_outside_the_workspace_are_refused(ctx: ToolContext, raw: str) -> None:
    with pytest.raises(ToolError, match="outside the workspace"):
        prepare(ctx, raw, "x")
    assert not (ctx.workspace.parent / "escape.txt").exists()


def test_prefix_sibling_is_refused(ctx: ToolContext) -> None:
    sibling = ctx.workspace.parent / (ctx.workspace.name + "-evil")
    sibling.mkdir()
    with pytest.raises(ToolError, match="outside the workspace"):
        prepare(ctx, str(sibling / "x.txt"), "x")
    assert not (sibling / "x.txt").exists()


def test_fifo_is_refused_without_blocking(ctx: ToolContext) -> None:
    os.mkfifo(ctx.workspace / "pipe")
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            prepare(ctx, "pipe", "x")
        except ToolError as exc:
            errors.append(exc)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(5)
    assert not thread.is_alive(), "Write blocked on a FIFO"
    assert errors and "FIFO" in str(errors[0])


def test_directory_target_is_refused(ctx: ToolContext) -> None:
    (ctx.workspace / "d").mkdir()
    with pytest.raises(ToolError, match="directory"):
        prepare(ctx, "d", "x")


def test_read_only_file_is_refused(ctx: ToolContext) -> None:
    path = existing(ctx, "ro.txt", b"frozen\n")
    path.chmod(0o444)
    with pytest.raises(ToolError, match="read-only"):
        prepare(ctx, "ro.txt", "thawed\n")
    assert path.read_bytes() == b"frozen\n"


def test_oversized_content_is_refused(ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match=r"over the .*limit"):
        prepare(ctx, "huge.txt", "x" * (MAX_TEXT_BYTES + 1))
    assert not (ctx.workspace / "huge.txt").exists()


def test_unchanged_content_is_reported(ctx: ToolContext) -> None:
    existing(ctx, "a.txt", b"same\n")
    assert "(content unchanged)" in write(ctx, "a.txt", "same\n").content


def test_write_is_not_read_only() -> None:
    assert WriteTool.read_only is False
    assert WriteTool.input_schema["required"] == ["file_path", "content"]
