"""The one atomic file replacement and the one JSON-object reader every caller uses."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from devagent.fsutil import JSONFileError, read_json_object, replace_file


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- replace_file ---------------------------------------------------------------------------


def test_replaces_the_content_byte_for_byte_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"old\n")
    replace_file(path, b"\xef\xbb\xbfnew\r\nlast")
    assert path.read_bytes() == b"\xef\xbb\xbfnew\r\nlast"
    assert names(tmp_path) == ["f.txt"]


def test_a_replaced_file_keeps_its_mode_and_a_new_one_gets_the_umask_default(
    tmp_path: Path,
) -> None:
    kept = tmp_path / "kept.sh"
    kept.write_bytes(b"old")
    kept.chmod(0o750)
    replace_file(kept, b"new")
    assert mode_of(kept) == 0o750
    umask = os.umask(0o022)
    try:
        replace_file(tmp_path / "new.txt", b"x")
    finally:
        os.umask(umask)
    assert mode_of(tmp_path / "new.txt") == 0o644


def test_an_explicit_mode_wins(tmp_path: Path) -> None:
    path = tmp_path / "private.json"
    path.write_bytes(b"{}")
    path.chmod(0o644)
    replace_file(path, b"[]", mode=0o600)
    replace_file(tmp_path / "new.json", b"[]", mode=0o600)
    assert (mode_of(path), mode_of(tmp_path / "new.json")) == (0o600, 0o600)


def test_a_symlink_is_replaced_not_followed_and_lends_its_target_s_mode(tmp_path: Path) -> None:
    target = tmp_path / "target.txt"
    target.write_bytes(b"target")
    target.chmod(0o640)
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    replace_file(link, b"mine")
    assert not link.is_symlink() and link.read_bytes() == b"mine"
    assert target.read_bytes() == b"target"
    assert mode_of(link) == 0o640


def test_before_replace_may_cancel_and_the_original_stays(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"original")

    def refuse() -> None:
        raise RuntimeError("changed meanwhile")

    with pytest.raises(RuntimeError, match="changed meanwhile"):
        replace_file(path, b"mine", before_replace=refuse)
    assert path.read_bytes() == b"original"
    assert names(tmp_path) == ["f.txt"]


def test_a_failed_write_leaves_the_original_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"precious")

    def disk_full(*_args: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("devagent.fsutil.os.write", disk_full)
    with pytest.raises(OSError, match="No space left"):
        replace_file(path, b"replacement")
    monkeypatch.undo()
    assert path.read_bytes() == b"precious"
    assert names(tmp_path) == ["f.txt"]


def test_with_a_directory_fd_the_name_is_taken_in_that_directory(tmp_path: Path) -> None:
    folder = tmp_path / "sub"
    folder.mkdir()
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        replace_file(Path("/shown/elsewhere/f.txt"), b"data", dir_fd=fd)
    finally:
        os.close(fd)
    assert (folder / "f.txt").read_bytes() == b"data"


def test_a_missing_parent_directory_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        replace_file(tmp_path / "missing" / "f.txt", b"x")


# --- read_json_object -----------------------------------------------------------------------


def test_a_missing_file_is_none_and_a_blank_one_is_empty(tmp_path: Path) -> None:
    assert read_json_object(tmp_path / "nope.json") is None
    blank = tmp_path / "blank.json"
    blank.write_text(" \n", encoding="utf-8")
    assert read_json_object(blank) == {}


def test_an_object_is_read_with_or_without_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_bytes(b'\xef\xbb\xbf{"model": "opus"}')
    assert read_json_object(path) == {"model": "opus"}


def test_broken_json_is_reported_at_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{\n  "permissions": {"allow": [}\n}', encoding="utf-8")
    with pytest.raises(JSONFileError) as caught:
        read_json_object(path)
    assert caught.value.problem == "invalid" and caught.value.path == path
    assert str(caught.value) == f"{path}:2:29: invalid JSON (Expecting value)"


@pytest.mark.parametrize("content", ["[1, 2]", '"text"', "3"])
def test_anything_but_an_object_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "s.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(JSONFileError, match="not a JSON object") as caught:
        read_json_object(path)
    assert caught.value.problem == "not-an-object"


@pytest.mark.parametrize("make", ["directory", "latin-1"])
def test_a_file_that_cannot_be_read_is_named(tmp_path: Path, make: str) -> None:
    path = tmp_path / "s.json"
    if make == "directory":
        path.mkdir()
    else:
        path.write_bytes(b'{"name": "caf\xe9"}')
    with pytest.raises(JSONFileError, match=rf"^{path}: cannot be read \(") as caught:
        read_json_object(path)
    assert caught.value.problem == "unreadable"
