"""Specification of the byte-exact file layer: decoding policy and the safe atomic write."""

from __future__ import annotations

import codecs
import errno
import os
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devagent.tools import fileio
from devagent.tools.base import ToolError
from devagent.tools.fileio import (
    ANY_CONTENT,
    atomic_write,
    decode_bytes,
    dominant_newline,
    encode_text,
    ensure_unchanged,
    read_text_file,
)

IS_ROOT = os.geteuid() == 0


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    return Path(os.path.realpath(root))


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def leftovers(directory: Path) -> list[str]:
    return [name for name in os.listdir(directory) if ".devagent-" in name]


def run_with_deadline(fn: Callable[[], Any], seconds: float = 5.0) -> BaseException | None:
    """Run ``fn`` in a thread; fail the test if it does not return in time."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            fn()
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "call blocked"
    return outcome[0]


# --- decoding policy -------------------------------------------------------------------

ROUND_TRIPS = {
    "utf8": (b"hello\nw\xc3\xb6rld\n", "utf-8", b""),
    "utf8-bom": (codecs.BOM_UTF8 + b"a\r\nb\r\n", "utf-8", codecs.BOM_UTF8),
    "utf16le": (codecs.BOM_UTF16_LE + "x = 1\r\nü\r\n".encode("utf-16-le"), "utf-16-le", None),
    "utf16be": (codecs.BOM_UTF16_BE + "x = 1\nü".encode("utf-16-be"), "utf-16-be", None),
    "utf32le": (codecs.BOM_UTF32_LE + "ab\n".encode("utf-32-le"), "utf-32-le", None),
    "cp1252": ("caf\xe9 \u201cq\u201d\n".encode("cp1252"), "cp1252", b""),
    "latin1": (b"caf\xe9 \x81 x\n", "latin-1", b""),
    "no-newline": (b"no newline at end", "utf-8", b""),
    "lone-cr": (b"a\rb\rc", "utf-8", b""),
    "empty": (b"", "utf-8", b""),
}


@pytest.mark.parametrize("name", sorted(ROUND_TRIPS))
def test_decoding_round_trips_byte_exactly(name: str, ws: Path) -> None:
    raw, encoding, bom = ROUND_TRIPS[name]
    path = ws / "f.txt"
    path.write_bytes(raw)
    tf = read_text_file(path)
    assert tf.encoding == encoding
    if bom is not None:
        assert tf.bom == bom
    assert "\ufeff" not in tf.text and "\ufffd" not in tf.text
    assert tf.raw == raw
    assert encode_text(tf, tf.text) == raw


def test_cp1252_text_is_decoded_to_the_intended_characters(ws: Path) -> None:
    path = ws / "f.txt"
    path.write_bytes("caf\xe9 \u201cq\u201d".encode("cp1252"))
    assert read_text_file(path).text == "café “q”"


def test_newline_kept_in_text_and_dominant_one_reported(ws: Path) -> None:
    path = ws / "f.txt"
    path.write_bytes(b"a\r\nb\r\nc\nd\r\n")
    tf = read_text_file(path)
    assert tf.text == "a\r\nb\r\nc\nd\r\n"
    assert tf.newline == "\r\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "\n"),
        ("one line", "\n"),
        ("a\nb\r\n", "\n"),
        ("a\r\nb\r\nc\n", "\r\n"),
        ("a\rb\r", "\r"),
    ],
)
def test_dominant_newline(text: str, expected: str) -> None:
    assert dominant_newline(text) == expected


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (b"\x7fELF\x00\x01\x02", "binary"),
        (b"ok \xc3\xa9 then latin \xe9 here", "mixes UTF-8"),
        (codecs.BOM_UTF16_LE + b"a\x00b", "byte-order mark"),
        (codecs.BOM_UTF8 + b"bad \xff", "byte-order mark"),
    ],
)
def test_undecodable_files_are_refused(raw: bytes, needle: str, ws: Path) -> None:
    path = ws / "f.bin"
    path.write_bytes(raw)
    with pytest.raises(ToolError, match=needle):
        read_text_file(path)


def test_decode_never_substitutes_replacement_characters() -> None:
    for raw in (b"\xe9\xe8", b"\x93x\x94", b"plain"):
        assert "\ufffd" not in decode_bytes(Path("x"), raw).text


def test_encode_refuses_characters_the_file_encoding_cannot_hold(ws: Path) -> None:
    path = ws / "f.txt"
    path.write_bytes(b"caf\xe9 \x81\n")
    tf = read_text_file(path)
    assert tf.encoding == "latin-1"
    with pytest.raises(ToolError, match=r"latin-1.*U\+20AC"):
        encode_text(tf, "price: €")


def test_read_refuses_directories_and_huge_files(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ToolError, match="directory"):
        read_text_file(ws)
    path = ws / "big.txt"
    path.write_bytes(b"x" * 2000)
    monkeypatch.setattr(fileio, "MAX_TEXT_BYTES", 1000)
    with pytest.raises(ToolError, match="larger than"):
        read_text_file(path)


def test_read_refuses_a_fifo_without_blocking(ws: Path) -> None:
    fifo = ws / "pipe"
    os.mkfifo(fifo)
    error = run_with_deadline(lambda: read_text_file(fifo))
    assert isinstance(error, ToolError)
    assert "FIFO" in str(error)


# --- ensure_unchanged ------------------------------------------------------------------


def test_ensure_unchanged(ws: Path) -> None:
    path = ws / "f.txt"
    ensure_unchanged(path, None)
    path.write_bytes(b"one")
    ensure_unchanged(path, b"one")
    with pytest.raises(ToolError, match=r"changed on disk.*Read it again"):
        ensure_unchanged(path, b"two")
    with pytest.raises(ToolError, match="now exists"):
        ensure_unchanged(path, None)
    path.unlink()
    with pytest.raises(ToolError, match="deleted"):
        ensure_unchanged(path, b"one")


# --- atomic_write: content, mode, links --------------------------------------------------


def test_replaces_content_and_keeps_mode(ws: Path) -> None:
    path = ws / "run.sh"
    path.write_bytes(b"#!/bin/sh\necho a\n")
    path.chmod(0o755)
    atomic_write(path, b"#!/bin/sh\necho b\n", workspace=ws, expected=b"#!/bin/sh\necho a\n")
    assert path.read_bytes() == b"#!/bin/sh\necho b\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o755
    assert leftovers(ws) == []


def test_keeps_unusual_modes(ws: Path) -> None:
    path = ws / "f.txt"
    path.write_bytes(b"a")
    path.chmod(0o640)
    atomic_write(path, b"b", workspace=ws)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.usefixtures("umask_022")
def test_new_file_gets_umask_mode_and_missing_parents(ws: Path) -> None:
    path = ws / "new" / "deeper" / "f.txt"
    atomic_write(path, b"hi\n", workspace=ws, expected=None)
    assert path.read_bytes() == b"hi\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o755


def test_symlink_is_kept_and_its_target_written(ws: Path) -> None:
    target = ws / "real.txt"
    target.write_bytes(b"old")
    link = ws / "link.txt"
    link.symlink_to("real.txt")
    atomic_write(link, b"new", workspace=ws, expected=b"old")
    assert link.is_symlink()
    assert os.readlink(link) == "real.txt"
    assert target.read_bytes() == b"new"


def test_symlink_pointing_outside_is_refused(ws: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_bytes(b"keep")
    (ws / "out").symlink_to(outside)
    with pytest.raises(ToolError, match="outside the workspace"):
        atomic_write(ws / "out", b"pwned", workspace=ws)
    assert outside.read_bytes() == b"keep"
    assert (ws / "out").is_symlink()


def test_symlink_to_a_device_is_refused(ws: Path) -> None:
    (ws / "zero").symlink_to("/dev/zero")
    error = run_with_deadline(lambda: atomic_write(ws / "zero", b"x", workspace=ws))
    assert isinstance(error, ToolError)


@pytest.mark.parametrize("raw", ["../escape.txt", "/etc/passwd-devagent-test"])
def test_paths_outside_the_workspace_are_refused(raw: str, ws: Path) -> None:
    target = Path(os.path.normpath(ws / raw))
    with pytest.raises(ToolError, match="outside the workspace"):
        atomic_write(target, b"x", workspace=ws)
    assert not target.exists()


def test_prefix_sibling_is_not_inside(ws: Path) -> None:
    sibling = ws.parent / (ws.name + "-evil")
    sibling.mkdir()
    with pytest.raises(ToolError, match="outside the workspace"):
        atomic_write(sibling / "x.txt", b"x", workspace=ws)
    assert not (sibling / "x.txt").exists()


def test_fifo_is_refused_without_blocking(ws: Path) -> None:
    fifo = ws / "pipe"
    os.mkfifo(fifo)
    error = run_with_deadline(lambda: atomic_write(fifo, b"x", workspace=ws))
    assert isinstance(error, ToolError)
    assert "FIFO" in str(error)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_directory_is_refused(ws: Path) -> None:
    (ws / "d").mkdir()
    with pytest.raises(ToolError, match="directory"):
        atomic_write(ws / "d", b"x", workspace=ws)
    with pytest.raises(ToolError, match="workspace directory itself"):
        atomic_write(ws, b"x", workspace=ws)


def test_read_only_file_is_refused_and_not_chmodded(ws: Path) -> None:
    path = ws / "ro.txt"
    path.write_bytes(b"frozen")
    path.chmod(0o444)
    with pytest.raises(ToolError, match="read-only"):
        atomic_write(path, b"thawed", workspace=ws)
    assert path.read_bytes() == b"frozen"
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_hard_link_keeps_its_inode(ws: Path) -> None:
    first = ws / "a.txt"
    first.write_bytes(b"shared\n")
    second = ws / "b.txt"
    os.link(first, second)
    inode = first.stat().st_ino
    atomic_write(second, b"shared and longer\n", workspace=ws, expected=b"shared\n")
    assert first.read_bytes() == b"shared and longer\n"
    assert second.stat().st_ino == inode
    assert second.stat().st_nlink == 2
    atomic_write(first, b"s\n", workspace=ws, expected=b"shared and longer\n")
    assert second.read_bytes() == b"s\n"


def test_hard_link_changed_content_is_refused(ws: Path) -> None:
    first = ws / "a.txt"
    first.write_bytes(b"now")
    os.link(first, ws / "b.txt")
    with pytest.raises(ToolError, match="changed on disk"):
        atomic_write(first, b"new", workspace=ws, expected=b"then")
    assert first.read_bytes() == b"now"


# --- atomic_write: stale content and races ---------------------------------------------


def test_expected_content_mismatch_aborts(ws: Path) -> None:
    path = ws / "f.txt"
    path.write_bytes(b"user edit")
    with pytest.raises(ToolError, match="changed on disk"):
        atomic_write(path, b"mine", workspace=ws, expected=b"original")
    assert path.read_bytes() == b"user edit"
    assert leftovers(ws) == []


def test_expected_absent_but_file_appeared(ws: Path) -> None:
    path = ws / "f.txt"
    path.write_bytes(b"someone else's")
    with pytest.raises(ToolError, match="now exists"):
        atomic_write(path, b"mine", workspace=ws, expected=None)
    assert path.read_bytes() == b"someone else's"


def test_expected_content_but_file_deleted(ws: Path) -> None:
    with pytest.raises(ToolError, match="deleted"):
        atomic_write(ws / "gone.txt", b"mine", workspace=ws, expected=b"was here")
    assert not (ws / "gone.txt").exists()


def test_any_content_skips_the_check(ws: Path) -> None:
    path = ws / "f.txt"
    path.write_bytes(b"whatever")
    atomic_write(path, b"mine", workspace=ws, expected=ANY_CONTENT)
    assert path.read_bytes() == b"mine"


def hook_fsync(monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> None:
    """Run ``action`` the first time the writer fsyncs its temp file (before the re-check)."""
    real_fsync = os.fsync
    fired: list[bool] = []

    def fsync(fd: int) -> None:
        real_fsync(fd)
        if not fired:
            fired.append(True)
            action()

    monkeypatch.setattr("devagent.tools.fileio.os.fsync", fsync)


def test_change_during_write_aborts_and_removes_temp(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ws / "f.txt"
    path.write_bytes(b"original")

    def edit_meanwhile() -> None:
        path.write_bytes(b"edited meanwhile")

    hook_fsync(monkeypatch, edit_meanwhile)
    with pytest.raises(ToolError, match="changed on disk"):
        atomic_write(path, b"mine", workspace=ws, expected=b"original")
    assert path.read_bytes() == b"edited meanwhile"
    assert leftovers(ws) == []


def test_swap_to_symlink_before_replace_aborts(
    ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ws / "f.txt"
    path.write_bytes(b"original")
    outside = tmp_path / "target.txt"
    outside.write_bytes(b"outside")

    def swap() -> None:
        path.unlink()
        path.symlink_to(outside)

    hook_fsync(monkeypatch, swap)
    with pytest.raises(ToolError, match="symlink"):
        atomic_write(path, b"mine", workspace=ws, expected=b"original")
    assert path.is_symlink()
    assert outside.read_bytes() == b"outside"
    assert leftovers(ws) == []


def test_parent_swapped_for_symlink_is_not_followed(
    ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (ws / "sub").symlink_to(outside)
    # The containment check saw a plain directory; by write time it is a symlink.
    monkeypatch.setattr("devagent.tools.fileio.os.path.realpath", os.path.abspath)
    with pytest.raises(ToolError, match="not a plain directory"):
        atomic_write(ws / "sub" / "f.txt", b"x", workspace=ws)
    assert list(outside.iterdir()) == []


# --- atomic_write: disk full ------------------------------------------------------------


def enospc(*_args: object, **_kwargs: object) -> Any:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("call", ["write", "fsync"])
def test_disk_full_leaves_original_and_no_temp(
    call: str, ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ws / "f.txt"
    path.write_bytes(b"precious\r\n")
    path.chmod(0o755)
    monkeypatch.setattr(f"devagent.tools.fileio.os.{call}", enospc)
    with pytest.raises(ToolError, match=r"No space left on device.*left as it was"):
        atomic_write(path, b"replacement", workspace=ws, expected=b"precious\r\n")
    monkeypatch.undo()
    assert path.read_bytes() == b"precious\r\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o755
    assert leftovers(ws) == []


def test_disk_full_for_new_file_leaves_nothing(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("devagent.tools.fileio.os.write", enospc)
    with pytest.raises(ToolError, match="No space left"):
        atomic_write(ws / "new.txt", b"data", workspace=ws, expected=None)
    monkeypatch.undo()
    assert os.listdir(ws) == []


def test_disk_full_mid_write_in_place_restores_hard_linked_file(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ws / "a.txt"
    first.write_bytes(b"0123456789" * 10)
    os.link(first, ws / "b.txt")
    real_write = os.write
    calls: list[int] = []

    def half_then_full(fd: int, data: Any) -> int:
        calls.append(fd)
        if len(calls) == 1:
            real_write(fd, bytes(data)[:7])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr("devagent.tools.fileio.os.write", half_then_full)
    with pytest.raises(ToolError, match="No space left"):
        atomic_write(first, b"X" * 50, workspace=ws, expected=b"0123456789" * 10)
    assert first.read_bytes() == b"0123456789" * 10
    assert (ws / "b.txt").read_bytes() == b"0123456789" * 10


def test_no_space_to_grow_hard_linked_file(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = ws / "a.txt"
    first.write_bytes(b"short")
    os.link(first, ws / "b.txt")
    monkeypatch.setattr("devagent.tools.fileio.os.posix_fallocate", enospc)
    with pytest.raises(ToolError, match="No space left"):
        atomic_write(first, b"much longer content", workspace=ws, expected=b"short")
    assert first.read_bytes() == b"short"


@pytest.mark.skipif(IS_ROOT, reason="root bypasses directory permission bits")
def test_read_only_directory_gives_a_clear_error(ws: Path) -> None:
    sub = ws / "locked"
    sub.mkdir()
    (sub / "f.txt").write_bytes(b"a")
    sub.chmod(0o555)
    try:
        with pytest.raises(ToolError, match="Permission denied"):
            atomic_write(sub / "f.txt", b"b", workspace=ws)
        assert (sub / "f.txt").read_bytes() == b"a"
    finally:
        sub.chmod(0o755)
