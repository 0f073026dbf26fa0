"""Grep: both engines (ripgrep and the Python fallback) give the same answers and refusals."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

import pytest

from devagent.tools.base import ToolContext, ToolError, ToolInterrupted
from devagent.tools.grep import (
    MAX_OUTPUT_CHARS,
    NO_MATCHES,
    Engine,
    GrepQuery,
    GrepTool,
    rg_argv,
)
from devagent.tools.ripgrep import default_rg

HAVE_RG = default_rg() is not None


@pytest.fixture(
    params=[
        pytest.param("ripgrep", marks=pytest.mark.skipif(not HAVE_RG, reason="rg not installed")),
        "python",
    ]
)
def engine(request: pytest.FixtureRequest) -> Engine:
    value: Engine = request.param
    return value


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    return root.resolve()


@pytest.fixture
def ctx(ws: Path) -> ToolContext:
    return ToolContext(workspace=ws, cwd=ws)


def write(root: Path, rel: str, text: str, mtime: float | None = None) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def grep(engine: Engine, ctx: ToolContext, **args: object) -> str:
    result = GrepTool(engine=engine).prepare(args, ctx).execute()
    assert not result.is_error
    return result.content


def test_files_with_matches_newest_first(engine: Engine, ws: Path, ctx: ToolContext) -> None:
    write(ws, "old.py", "needle\n", mtime=1_000_000)
    write(ws, "src/new.py", "needle\n", mtime=3_000_000)
    write(ws, "mid.txt", "a needle here\n", mtime=2_000_000)
    write(ws, "other.py", "hay\n")
    assert grep(engine, ctx, pattern="needle") == "Found 3 files\nsrc/new.py\nmid.txt\nold.py"


def test_no_match_is_plain_text_not_an_error(engine: Engine, ws: Path, ctx: ToolContext) -> None:
    write(ws, "a.txt", "hay\n")
    for mode in ("files_with_matches", "content", "count"):
        assert grep(engine, ctx, pattern="needle", output_mode=mode) == NO_MATCHES


def test_content_mode_with_line_numbers(engine: Engine, ws: Path, ctx: ToolContext) -> None:
    write(ws, "a.py", "one\nneedle two\nthree\nneedle four\n")
    out = grep(engine, ctx, pattern="needle", output_mode="content")
    assert out == "a.py:2:needle two\na.py:4:needle four"


def test_content_mode_without_line_numbers(engine: Engine, ws: Path, ctx: ToolContext) -> None:
    write(ws, "a.py", "one\nneedle two\n")
    out = grep(engine, ctx, pattern="needle", output_mode="content", **{"-n": False})
    assert out == "a.py:needle two"


def test_context_lines_and_separators(engine: Engine, ws: Path, ctx: ToolContext) -> None:
    lines = [f"l{i}" for i in range(1, 11)]
    lines[1] = "needle a"
    lines[7] = "needle b"
    write(ws, "a.txt", "\n".join(lines) + "\n")
    out = grep(engine, ctx, pattern="needle", output_mode="content", **{"-C": 1})
    assert out.splitlines() == [
        "a.txt-1-l1",
        "a.txt:2:needle a",
        "a.txt-3-l3",
        "--",
        "a.txt-7-l7",
        "a.txt:8:needle b",
        "a.txt-9-l9",
    ]
    after = grep(engine, ctx, pattern="needle a", output_mode="content", **{"-A": 2})
    assert after.splitlines() == ["a.txt:2:needle a", "a.txt-3-l3", "a.txt-4-l4"]
    before = grep(engine, ctx, pattern="needle b", output_mode="content", **{"-B": 1})
    assert before.splitlines() == ["a.txt-7-l7", "a.txt:8:needle b"]


def test_count_mode(engine: Engine, ws: Path, ctx: ToolContext) -> None:
    write(ws, "a.txt", "x\nx\ny\n")
    write(ws, "b/c.txt", "x\n")
    out = grep(engine, ctx, pattern="x", output_mode="count")
    assert out.splitlines() == ["a.txt:2", "b/c.txt:1", "Found 3 matching lines across 2 files."]


def test_case_insensitive(engine: Engine, ws: Path, ctx: ToolContext) -> None:
    write(ws, "a.txt", "NeEdLe\n")
    assert grep(engine, ctx, pattern="needle") == NO_MATCHES
    assert grep(engine, ctx, pattern="needle", **{"-i": True}) == "Found 1 file\na.txt"


def test_invalid_regex_is_a_tool_error(engine: Engine, ws: Path, ctx: ToolContext) -> None:
    write(ws, "a.txt", "(x\n")
    with pytest.raises(ToolError, match="Invalid regex") as info:
        GrepTool(engine=engine).prepare({"pattern": "(unclosed"}, ctx).execute()
    assert "(unclosed" in str(info.value)
    assert "escape" in str(info.value)


def test_pattern_starting_with_dash_is_a_pattern(
    engine: Engine, ws: Path, ctx: ToolContext
) -> None:
    write(ws, "a.txt", "--pre=sh\n-v\nplain\n")
    assert grep(engine, ctx, pattern="--pre=sh", output_mode="content") == "a.txt:1:--pre=sh"
    assert grep(engine, ctx, pattern="-v", output_mode="content") == "a.txt:2:-v"


def test_pattern_is_never_run_by_a_shell(engine: Engine, ws: Path, ctx: ToolContext) -> None:
    write(ws, "a.txt", "x\n")
    grep(engine, ctx, pattern="$(touch pwned)`touch pwned2`; touch pwned3")
    assert not any((ws / name).exists() for name in ("pwned", "pwned2", "pwned3"))


def test_gitignore_is_honoured_without_a_git_repo(
    engine: Engine, ws: Path, ctx: ToolContext
) -> None:
    write(ws, ".gitignore", "build/\n*.log\n")
    write(ws, "src/.gitignore", "gen_*.py\n!gen_keep.py\n")
    write(ws, "src/app.py", "needle\n")
    write(ws, "src/gen_x.py", "needle\n")
    write(ws, "src/gen_keep.py", "needle\n")
    write(ws, "build/out.py", "needle\n")
    write(ws, "debug.log", "needle\n")
    write(ws, ".github/ci.yml", "needle\n")
    write(ws, ".git/config", "needle\n")
    out = grep(engine, ctx, pattern="needle")
    assert sorted(out.splitlines()[1:]) == [".github/ci.yml", "src/app.py", "src/gen_keep.py"]


def test_glob_and_type_filters(engine: Engine, ws: Path, ctx: ToolContext) -> None:
    write(ws, "a.py", "needle\n")
    write(ws, "deep/b.py", "needle\n")
    write(ws, "c.ts", "needle\n")
    write(ws, "d.tsx", "needle\n")
    assert sorted(grep(engine, ctx, pattern="needle", type="py").splitlines()[1:]) == [
        "a.py",
        "deep/b.py",
    ]
    by_brace = grep(engine, ctx, pattern="needle", glob="*.{ts,tsx}")
    assert sorted(by_brace.splitlines()[1:]) == ["c.ts", "d.tsx"]
    negated = grep(engine, ctx, pattern="needle", glob="!*.py")
    assert sorted(negated.splitlines()[1:]) == ["c.ts", "d.tsx"]


def test_unknown_type_is_a_tool_error(engine: Engine, ws: Path, ctx: ToolContext) -> None:
    write(ws, "a.py", "needle\n")
    with pytest.raises(ToolError, match="unrecognized file type"):
        GrepTool(engine=engine).prepare({"pattern": "x", "type": "nosuchtype"}, ctx).execute()


def test_path_narrows_and_output_stays_workspace_relative(
    engine: Engine, ws: Path, ctx: ToolContext
) -> None:
    write(ws, "src/pkg/a.py", "needle\n")
    write(ws, "other/b.py", "needle\n")
    assert grep(engine, ctx, pattern="needle", path="src") == "Found 1 file\nsrc/pkg/a.py"
    out = grep(engine, ctx, pattern="needle", path=str(ws / "src" / "pkg"), output_mode="content")
    assert out == "src/pkg/a.py:1:needle"


def test_single_file_path(engine: Engine, ws: Path, ctx: ToolContext) -> None:
    write(ws, "a.txt", "needle\nno\nneedle\n")
    out = grep(engine, ctx, pattern="needle", path="a.txt", output_mode="count")
    assert out.splitlines()[0] == "a.txt:2"


def test_head_limit(engine: Engine, ws: Path, ctx: ToolContext) -> None:
    write(ws, "a.txt", "".join(f"needle {i}\n" for i in range(50)))
    out = grep(engine, ctx, pattern="needle", output_mode="content", head_limit=3)
    lines = out.splitlines()
    assert lines[:3] == ["a.txt:1:needle 0", "a.txt:2:needle 1", "a.txt:3:needle 2"]
    assert "head_limit" in lines[3]
    assert len(lines) == 4


def test_output_is_capped(engine: Engine, ws: Path, ctx: ToolContext) -> None:
    write(ws, "a.txt", "".join(f"needle line number {i:06d}\n" for i in range(20_000)))
    out = grep(engine, ctx, pattern="needle", output_mode="content")
    assert len(out) < MAX_OUTPUT_CHARS + 500
    assert "Output cut" in out


def test_long_lines_are_clipped(engine: Engine, ws: Path, ctx: ToolContext) -> None:
    write(ws, "min.js", "needle" + "x" * 5000 + "\n")
    out = grep(engine, ctx, pattern="needle", output_mode="content")
    assert len(out) < 700
    assert "omitted" in out


def test_multiline(engine: Engine, ws: Path, ctx: ToolContext) -> None:
    write(ws, "a.py", "def f(\n    x,\n):\n    pass\n")
    assert grep(engine, ctx, pattern=r"f\(.*x,") == NO_MATCHES
    out = grep(engine, ctx, pattern=r"f\(.*x,", multiline=True, output_mode="content")
    assert out.splitlines() == ["a.py:1:def f(", "a.py:2:    x,"]


def test_binary_files_are_skipped(engine: Engine, ws: Path, ctx: ToolContext) -> None:
    (ws / "blob.bin").write_bytes(b"needle\x00\x01\x02")
    write(ws, "a.txt", "needle\n")
    assert grep(engine, ctx, pattern="needle") == "Found 1 file\na.txt"


# ---- containment


def test_path_outside_workspace_is_refused(engine: Engine, ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match="outside the workspace"):
        GrepTool(engine=engine).prepare({"pattern": "root", "path": "../../etc"}, ctx)


def test_prefix_sibling_is_refused(engine: Engine, ws: Path, ctx: ToolContext) -> None:
    (ws.parent / "proj-evil").mkdir()
    with pytest.raises(ToolError, match="outside the workspace"):
        GrepTool(engine=engine).prepare({"pattern": "x", "path": "../proj-evil"}, ctx)


def test_symlinks_to_outside_are_not_followed(
    engine: Engine, ws: Path, tmp_path: Path, ctx: ToolContext
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("needle secret\n")
    (ws / "dirlink").symlink_to(outside)
    (ws / "filelink.txt").symlink_to(outside / "secret.txt")
    write(ws, "a.txt", "needle\n")
    assert grep(engine, ctx, pattern="needle") == "Found 1 file\na.txt"
    with pytest.raises(ToolError, match="outside the workspace"):
        GrepTool(engine=engine).prepare({"pattern": "x", "path": "dirlink"}, ctx)


def test_prepared_paths_name_the_target(ws: Path, ctx: ToolContext) -> None:
    (ws / "src").mkdir()
    assert GrepTool().prepare({"pattern": "x", "path": "src"}, ctx).paths == (ws / "src",)
    assert GrepTool().prepare({"pattern": "x"}, ctx).paths == (ws,)


# ---- ripgrep specifics


@pytest.mark.skipif(not HAVE_RG, reason="rg not installed")
def test_ripgrep_config_file_is_ignored(
    ws: Path, ctx: ToolContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "ripgreprc"
    config.write_text("--invert-match\n--files-without-match\n")
    monkeypatch.setenv("RIPGREP_CONFIG_PATH", str(config))
    write(ws, "a.txt", "needle\n")
    write(ws, "b.txt", "hay\n")
    assert grep("ripgrep", ctx, pattern="needle") == "Found 1 file\na.txt"


def test_argv_shape_keeps_model_input_out_of_flag_position(tmp_path: Path) -> None:
    query = GrepQuery(pattern="--pre=evil", target=tmp_path, glob="--pre=x", file_type="py")
    argv = rg_argv(Path("/usr/bin/rg"), query, "-dir")
    assert "--no-config" in argv
    assert "--regexp=--pre=evil" in argv
    assert "--glob=--pre=x" in argv
    assert argv[-2:] == ["--", "-dir"]
    assert not any(arg == "--pre" or arg.startswith("--pre=") for arg in argv)


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def test_cancel_kills_a_running_rg(ws: Path, tmp_path: Path, ctx: ToolContext) -> None:
    slow = _script(tmp_path / "slow-rg", "exec sleep 30\n")
    call = GrepTool(engine="ripgrep", rg_path=slow).prepare({"pattern": "x"}, ctx)
    timer = threading.Timer(0.2, ctx.cancel.set)
    timer.start()
    started = time.monotonic()
    with pytest.raises(ToolInterrupted):
        call.execute()
    timer.join()
    assert time.monotonic() - started < 5


def test_python_engine_honours_cancel(ws: Path, ctx: ToolContext) -> None:
    write(ws, "a.txt", "needle\n")
    ctx.cancel.set()
    with pytest.raises(ToolInterrupted):
        GrepTool(engine="python").prepare({"pattern": "needle"}, ctx).execute()


def test_missing_rg_binary(ws: Path, tmp_path: Path, ctx: ToolContext) -> None:
    write(ws, "a.txt", "needle\n")
    missing = tmp_path / "no-such-rg"
    auto = GrepTool(engine="auto", rg_path=missing).prepare({"pattern": "needle"}, ctx)
    assert auto.execute().content == "Found 1 file\na.txt"
    strict = GrepTool(engine="ripgrep", rg_path=missing).prepare({"pattern": "needle"}, ctx)
    with pytest.raises(ToolError, match="could not be started"):
        strict.execute()


def test_bad_counts_are_refused(ctx: ToolContext) -> None:
    for key in ("-A", "-B", "-C", "head_limit"):
        for bad in (-1, 1.5, float("inf")):
            with pytest.raises(ToolError, match=key):
                GrepTool().prepare({"pattern": "x", key: bad}, ctx)


def test_head_limit_in_files_mode_keeps_the_newest(ws: Path, ctx: ToolContext) -> None:
    for i in range(5):
        write(ws, f"f{i}.txt", "needle\n", mtime=1_000_000 + i)
    out = grep("python", ctx, pattern="needle", head_limit=2).splitlines()
    assert out[:3] == ["Found 5 files", "f4.txt", "f3.txt"]
    assert "head_limit" in out[3]
