"""Read: cat -n format, windows, refusals, path containment and the read ledger."""

from __future__ import annotations

import hashlib
import os
import time
import tracemalloc
from pathlib import Path

import pytest

from devagent.tools.base import ToolContext, ToolError
from devagent.tools.read import (
    DEFAULT_LIMIT,
    MAX_LINE_CHARS,
    WHOLE_READ_LIMIT,
    ReadTool,
)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    return root.resolve()


@pytest.fixture
def ctx(ws: Path) -> ToolContext:
    return ToolContext(workspace=ws, cwd=ws)


def read(ctx: ToolContext, file_path: str, **extra: object) -> str:
    call = ReadTool().prepare({"file_path": file_path, **extra}, ctx)
    result = call.execute()
    assert not result.is_error
    return result.content


def read_error(ctx: ToolContext, file_path: str, **extra: object) -> str:
    with pytest.raises(ToolError) as info:
        ReadTool().prepare({"file_path": file_path, **extra}, ctx).execute()
    return str(info.value)


def test_cat_n_format_exactly(ws: Path, ctx: ToolContext) -> None:
    (ws / "a.py").write_text("first\n\tindented\n\nlast\n")
    assert read(ctx, "a.py") == "     1\tfirst\n     2\t\tindented\n     3\t\n     4\tlast"


def test_line_numbers_right_aligned_past_six_digits_width(ws: Path, ctx: ToolContext) -> None:
    (ws / "many.txt").write_text("".join(f"l{i}\n" for i in range(1, 1_000_002)))
    out = read(ctx, "many.txt", offset=999_999, limit=3)
    assert out.splitlines()[:3] == ["999999\tl999999", "1000000\tl1000000", "1000001\tl1000001"]


def test_missing_final_newline_and_crlf_and_bom(ws: Path, ctx: ToolContext) -> None:
    (ws / "w.txt").write_bytes(b"\xef\xbb\xbfone\r\ntwo\r\nthree")
    assert read(ctx, "w.txt") == "     1\tone\n     2\ttwo\n     3\tthree"


def test_offset_and_limit_window_with_continuation_note(ws: Path, ctx: ToolContext) -> None:
    (ws / "f.txt").write_text("".join(f"line {i}\n" for i in range(1, 11)))
    out = read(ctx, "f.txt", offset=4, limit=3)
    body, note = out.split("\n\n")
    assert body == "     4\tline 4\n     5\tline 5\n     6\tline 6"
    assert "offset=7" in note
    assert "of 10" in note


def test_window_reaching_the_end_has_no_note(ws: Path, ctx: ToolContext) -> None:
    (ws / "f.txt").write_text("a\nb\nc\n")
    assert read(ctx, "f.txt", offset=2) == "     2\tb\n     3\tc"


def test_default_limit_is_2000_lines(ws: Path, ctx: ToolContext) -> None:
    (ws / "big.txt").write_text("".join(f"{i}\n" for i in range(1, 2501)))
    out = read(ctx, "big.txt")
    numbered = [line for line in out.splitlines() if "\t" in line]
    assert len(numbered) == DEFAULT_LIMIT
    assert numbered[-1] == "  2000\t2000"
    assert f"offset={DEFAULT_LIMIT + 1}" in out


def test_offset_past_end_is_an_error_naming_the_length(ws: Path, ctx: ToolContext) -> None:
    (ws / "f.txt").write_text("a\nb\nc\n")
    message = read_error(ctx, "f.txt", offset=10)
    assert "3 lines" in message


@pytest.mark.parametrize(("extra", "word"), [({"offset": -1}, "offset"), ({"limit": 0}, "limit")])
def test_bad_window_values(ws: Path, ctx: ToolContext, extra: dict[str, int], word: str) -> None:
    (ws / "f.txt").write_text("a\n")
    assert word in read_error(ctx, "f.txt", **extra)


def test_long_line_is_cut_with_marker(ws: Path, ctx: ToolContext) -> None:
    (ws / "long.txt").write_text("x" * 5000 + "\nshort\n")
    first, second = read(ctx, "long.txt").splitlines()
    shown = first.split("\t", 1)[1]
    assert shown.startswith("x" * MAX_LINE_CHARS)
    assert not shown.startswith("x" * (MAX_LINE_CHARS + 1))
    assert "line cut" in shown and "5000" in shown
    assert second == "     2\tshort"


def test_ledger_records_the_whole_file_even_for_a_partial_read(ws: Path, ctx: ToolContext) -> None:
    data = b"".join(b"row %d\n" % i for i in range(100))
    target = ws / "f.txt"
    target.write_bytes(data)
    read(ctx, "f.txt", offset=50, limit=2)
    fingerprint = ctx.ledger.get(target)
    assert fingerprint is not None
    assert fingerprint.sha256 == hashlib.sha256(data).hexdigest()
    assert fingerprint.size == len(data)


def test_failed_read_records_nothing(ws: Path, ctx: ToolContext) -> None:
    (ws / "f.txt").write_text("a\n")
    read_error(ctx, "f.txt", offset=5)
    assert ctx.ledger.get(ws / "f.txt") is None


def test_empty_file_is_reported_and_recorded(ws: Path, ctx: ToolContext) -> None:
    (ws / "empty.txt").write_bytes(b"")
    assert "empty" in read(ctx, "empty.txt")
    assert ctx.ledger.get(ws / "empty.txt") is not None


def test_invalid_utf8_shown_with_replacement_and_a_note(ws: Path, ctx: ToolContext) -> None:
    (ws / "latin.txt").write_bytes(b"caf\xe9\n")
    out = read(ctx, "latin.txt")
    assert out.startswith("     1\tcaf\ufffd")
    assert "not valid UTF-8" in out


def test_directory_is_refused_pointing_to_ls(ws: Path, ctx: ToolContext) -> None:
    (ws / "src").mkdir()
    message = read_error(ctx, "src")
    assert "directory" in message and "LS" in message


def test_binary_content_is_refused(ws: Path, ctx: ToolContext) -> None:
    (ws / "blob.dat").write_bytes(b"abc\x00def" * 10)
    assert "binary" in read_error(ctx, "blob.dat")


def test_binary_extension_is_refused(ws: Path, ctx: ToolContext) -> None:
    (ws / "bundle.zip").write_text("not really a zip")
    assert "binary" in read_error(ctx, "bundle.zip")


def test_utf16_file_gets_a_specific_message(ws: Path, ctx: ToolContext) -> None:
    (ws / "u16.txt").write_bytes("hello\n".encode("utf-16"))
    assert "UTF-16" in read_error(ctx, "u16.txt")


def test_large_file_without_window_is_refused(ws: Path, ctx: ToolContext) -> None:
    (ws / "large.txt").write_text(("z" * 99 + "\n") * (WHOLE_READ_LIMIT // 50))
    message = read_error(ctx, "large.txt")
    assert "offset" in message and "Grep" in message


def test_large_file_with_window_is_read_and_recorded(ws: Path, ctx: ToolContext) -> None:
    data = "".join(f"{i:09d}\n" for i in range(60_000)).encode()
    assert len(data) > WHOLE_READ_LIMIT
    (ws / "large.txt").write_bytes(data)
    out = read(ctx, "large.txt", offset=30_000, limit=2)
    assert out.splitlines()[:2] == [" 30000\t000029999", " 30001\t000030000"]
    fingerprint = ctx.ledger.get(ws / "large.txt")
    assert fingerprint is not None and fingerprint.sha256 == hashlib.sha256(data).hexdigest()


def _sparse(path: Path, head: bytes, size: int) -> None:
    with open(path, "wb") as handle:
        handle.write(head)
        handle.truncate(size)


TWO_GB = 2 * 1024 * 1024 * 1024


def test_two_gb_sparse_file_is_refused_quickly(ws: Path, ctx: ToolContext) -> None:
    _sparse(ws / "huge.log", b"start\n", TWO_GB)
    started = time.monotonic()
    message = read_error(ctx, "huge.log")
    assert time.monotonic() - started < 5
    assert "GiB" in message and "offset" in message


def test_two_gb_sparse_file_window_streams_without_loading(ws: Path, ctx: ToolContext) -> None:
    # More text than the 8 KiB binary sniff, then 2 GB of holes (NUL bytes when read).
    _sparse(ws / "huge.log", b"".join(b"entry %d\n" % i for i in range(1, 2001)), TWO_GB)
    tracemalloc.start()
    started = time.monotonic()
    try:
        out = read(ctx, "huge.log", offset=10, limit=3)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 5
    assert peak < 32 * 1024 * 1024
    assert out.splitlines()[:3] == ["    10\tentry 10", "    11\tentry 11", "    12\tentry 12"]
    assert "offset=13" in out
    assert ctx.ledger.get(ws / "huge.log") is None


def test_all_zero_sparse_file_is_binary(ws: Path, ctx: ToolContext) -> None:
    _sparse(ws / "zeros.txt", b"", TWO_GB)
    started = time.monotonic()
    assert "binary" in read_error(ctx, "zeros.txt", offset=1, limit=5)
    assert time.monotonic() - started < 5


def test_fifo_is_refused_without_blocking(ws: Path, ctx: ToolContext) -> None:
    os.mkfifo(ws / "pipe")
    started = time.monotonic()
    assert "not a regular file" in read_error(ctx, "pipe")
    assert time.monotonic() - started < 5


def test_missing_file_suggests_close_names(ws: Path, ctx: ToolContext) -> None:
    (ws / "src").mkdir()
    (ws / "src" / "main.py").write_text("x\n")
    message = read_error(ctx, "src/mian.py")
    assert "does not exist" in message and "src/main.py" in message


def test_missing_directory_is_named(ws: Path, ctx: ToolContext) -> None:
    assert "does not exist" in read_error(ctx, "nope/file.py")


def test_absolute_path_inside_workspace_and_prepared_paths(ws: Path, ctx: ToolContext) -> None:
    (ws / "a.txt").write_text("hi\n")
    call = ReadTool().prepare({"file_path": str(ws / "a.txt")}, ctx)
    assert call.paths == (ws / "a.txt",)
    assert call.execute().content == "     1\thi"


# ---- containment (RELIABILITY §6.2 items 18-20, 26)


def test_dotdot_escape_is_refused(ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match="outside the workspace"):
        ReadTool().prepare({"file_path": "../../etc/passwd"}, ctx)


def test_file_symlink_escaping_is_refused(ws: Path, tmp_path: Path, ctx: ToolContext) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("token\n")
    (ws / "link.txt").symlink_to(secret)
    with pytest.raises(ToolError, match="outside the workspace"):
        ReadTool().prepare({"file_path": "link.txt"}, ctx)


def test_dir_symlink_escaping_is_refused(ws: Path, tmp_path: Path, ctx: ToolContext) -> None:
    outside = tmp_path / "etc"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0\n")
    (ws / "link").symlink_to(outside)
    with pytest.raises(ToolError, match="outside the workspace"):
        ReadTool().prepare({"file_path": "link/passwd"}, ctx)


def test_prefix_sibling_directory_is_refused(ws: Path, tmp_path: Path, ctx: ToolContext) -> None:
    evil = tmp_path / "proj-evil"
    evil.mkdir()
    (evil / "x").write_text("evil\n")
    for raw in ("../proj-evil/x", str(evil / "x")):
        with pytest.raises(ToolError, match="outside the workspace"):
            ReadTool().prepare({"file_path": raw}, ctx)


def test_symlink_inside_workspace_is_followed(ws: Path, ctx: ToolContext) -> None:
    (ws / "real.txt").write_text("content\n")
    (ws / "alias.txt").symlink_to(ws / "real.txt")
    assert read(ctx, "alias.txt") == "     1\tcontent"
    assert ctx.ledger.get(ws / "real.txt") is not None


def test_home_forms_are_normalised_alike(
    ws: Path, ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(ws))
    (ws / "notes.txt").write_text("n\n")
    for raw in ("~/notes.txt", "$HOME/notes.txt", "${HOME}/notes.txt", "./x/../notes.txt"):
        assert read(ctx, raw) == "     1\tn"
