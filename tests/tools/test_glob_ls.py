"""Glob, LS and the shared ignore walker: matching, ordering, caps, .gitignore, containment."""

from __future__ import annotations

import os
from pathlib import Path

import jsonschema
import pytest

from devagent.tools.base import Tool, ToolContext, ToolError, ToolInterrupted
from devagent.tools.glob import MAX_RESULTS, NO_FILES, GlobTool, split_pattern
from devagent.tools.grep import GrepTool
from devagent.tools.ignore import IgnoreTree, compile_glob, walk
from devagent.tools.ls import MAX_ENTRIES, LSTool
from devagent.tools.read import ReadTool
from devagent.tools.schema import validate_input


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    return root.resolve()


@pytest.fixture
def ctx(ws: Path) -> ToolContext:
    return ToolContext(workspace=ws, cwd=ws)


def touch(root: Path, rel: str, mtime: float | None = None, text: str = "x\n") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def glob(ctx: ToolContext, **args: object) -> list[str]:
    return GlobTool().prepare(args, ctx).execute().content.splitlines()


def ls(ctx: ToolContext, **args: object) -> str:
    return LSTool().prepare(args, ctx).execute().content


# ---- the four tools' contracts


@pytest.mark.parametrize(
    ("tool", "name"),
    [(ReadTool(), "Read"), (GrepTool(), "Grep"), (GlobTool(), "Glob"), (LSTool(), "LS")],
)
def test_tool_identity_and_schema(tool: Tool, name: str) -> None:
    assert tool.name == name
    assert tool.read_only is True
    assert len(tool.description) > 200
    jsonschema.Draft202012Validator.check_schema(tool.input_schema)
    with pytest.raises(ToolError, match="required"):
        validate_input(name, {}, tool.input_schema)


# ---- glob translation and walking


@pytest.mark.parametrize(
    ("pattern", "path", "hit"),
    [
        ("*.py", "a.py", True),
        ("*.py", "d/a.py", False),
        ("**/*.py", "a.py", True),
        ("**/*.py", "d/e/a.py", True),
        ("src/**/*.ts", "src/a.ts", True),
        ("src/**/*.ts", "src/x/y/a.ts", True),
        ("src/**/*.ts", "lib/src/a.ts", False),
        ("src/**", "src/x/y", True),
        ("*.{ts,tsx}", "a.tsx", True),
        ("*.{ts,tsx}", "a.js", False),
        ("file?.txt", "file1.txt", True),
        ("file?.txt", "file/.txt", False),
        ("[!a]*.md", "b.md", True),
        ("[!a]*.md", "a.md", False),
        ("a+b(1).txt", "a+b(1).txt", True),
    ],
)
def test_compile_glob(pattern: str, path: str, hit: bool) -> None:
    assert (compile_glob(pattern).match(path) is not None) is hit


def test_split_pattern() -> None:
    assert split_pattern("src/app/**/*.py") == ("src/app", "**/*.py")
    assert split_pattern("**/*.py") == ("", "**/*.py")
    assert split_pattern("src/main.py") == ("src", "main.py")
    assert split_pattern("/abs/dir/*.py") == ("/abs/dir", "*.py")


def test_ignore_tree_nesting_and_negation(ws: Path) -> None:
    touch(ws, ".gitignore", text="*.log\nbuild/\n")
    touch(ws, "sub/.gitignore", text="!keep.log\n")
    tree = IgnoreTree(ws)
    assert tree.is_ignored(ws / "a.log", is_dir=False)
    assert not tree.is_ignored(ws / "sub" / "keep.log", is_dir=False)
    assert tree.is_ignored(ws / "sub" / "other.log", is_dir=False)
    assert tree.is_ignored(ws / "sub" / "build", is_dir=True)
    assert not tree.is_ignored(ws / "sub" / "build", is_dir=False)


def test_walk_prunes_ignored_dirs_and_vcs(ws: Path) -> None:
    touch(ws, ".gitignore", text="node_modules/\n")
    touch(ws, ".git/info/exclude", text="secret.txt\n")
    touch(ws, "node_modules/pkg/index.js")
    touch(ws, ".git/HEAD")
    touch(ws, ".hg/store")
    touch(ws, "secret.txt")
    touch(ws, "src/a.py")
    rels = [entry.rel for entry in walk(ws, IgnoreTree(ws))]
    assert rels == [".gitignore", "src", "src/a.py"]


# ---- Glob


def test_glob_newest_first_relative_to_workspace(ws: Path, ctx: ToolContext) -> None:
    touch(ws, "old.py", mtime=1_000_000)
    touch(ws, "pkg/new.py", mtime=3_000_000)
    touch(ws, "pkg/deep/mid.py", mtime=2_000_000)
    touch(ws, "notes.md")
    assert glob(ctx, pattern="**/*.py") == ["pkg/new.py", "pkg/deep/mid.py", "old.py"]


def test_glob_star_stays_in_one_level(ws: Path, ctx: ToolContext) -> None:
    touch(ws, "top.py")
    touch(ws, "d/below.py")
    assert glob(ctx, pattern="*.py") == ["top.py"]
    assert glob(ctx, pattern="*/*.py") == ["d/below.py"]


def test_glob_with_path_and_brace(ws: Path, ctx: ToolContext) -> None:
    touch(ws, "web/a.ts", mtime=2_000_000)
    touch(ws, "web/sub/b.tsx", mtime=1_000_000)
    touch(ws, "web/c.js")
    touch(ws, "other/d.ts")
    assert glob(ctx, pattern="**/*.{ts,tsx}", path="web") == ["web/a.ts", "web/sub/b.tsx"]
    assert glob(ctx, pattern=str(ws / "web" / "*.ts")) == ["web/a.ts"]


def test_glob_caps_at_100_and_says_how_many_more(ws: Path, ctx: ToolContext) -> None:
    for i in range(130):
        touch(ws, f"f{i:03d}.txt", mtime=1_000_000 + i)
    out = glob(ctx, pattern="*.txt")
    assert len(out) == MAX_RESULTS + 1
    assert out[0] == "f129.txt"
    assert "30 more" in out[-1]


def test_glob_honours_gitignore_and_skips_git(ws: Path, ctx: ToolContext) -> None:
    touch(ws, ".gitignore", text="dist/\n*.gen.py\n")
    touch(ws, "pkg/.gitignore", text="local_*.py\n")
    touch(ws, "dist/bundle.py")
    touch(ws, "a.gen.py")
    touch(ws, "pkg/local_x.py")
    touch(ws, "pkg/real.py")
    touch(ws, ".git/hooks/hook.py")
    touch(ws, ".github/tool.py")
    assert sorted(glob(ctx, pattern="**/*.py")) == [".github/tool.py", "pkg/real.py"]


def test_glob_no_match(ws: Path, ctx: ToolContext) -> None:
    touch(ws, "a.txt")
    assert glob(ctx, pattern="**/*.rs") == [NO_FILES]


def test_glob_refuses_escapes(ws: Path, tmp_path: Path, ctx: ToolContext) -> None:
    (ws.parent / "proj-evil").mkdir()
    touch(ws.parent, "proj-evil/x.py")
    for args in (
        {"pattern": "../proj-evil/*.py"},
        {"pattern": "*.py", "path": "../proj-evil"},
        {"pattern": str(ws.parent / "proj-evil" / "*.py")},
        {"pattern": "/*.py"},
    ):
        with pytest.raises(ToolError, match="outside the workspace"):
            GlobTool().prepare(args, ctx)


def test_glob_does_not_follow_symlinks_out(ws: Path, tmp_path: Path, ctx: ToolContext) -> None:
    touch(tmp_path, "outside/secret.py")
    (ws / "link").symlink_to(tmp_path / "outside")
    (ws / "file.py").symlink_to(tmp_path / "outside" / "secret.py")
    touch(ws, "mine.py")
    assert glob(ctx, pattern="**/*.py") == ["mine.py"]
    with pytest.raises(ToolError, match="outside the workspace"):
        GlobTool().prepare({"pattern": "link/*.py"}, ctx)


def test_glob_path_must_be_a_directory(ws: Path, ctx: ToolContext) -> None:
    touch(ws, "a.py")
    with pytest.raises(ToolError, match="not a directory"):
        GlobTool().prepare({"pattern": "*.py", "path": "a.py"}, ctx)


def test_glob_prepared_paths(ws: Path, ctx: ToolContext) -> None:
    (ws / "src").mkdir()
    assert GlobTool().prepare({"pattern": "src/**/*.py"}, ctx).paths == (ws / "src",)


# ---- LS


def test_ls_tree_format(ws: Path, ctx: ToolContext) -> None:
    touch(ws, "README.md")
    touch(ws, "src/app/main.py")
    touch(ws, "src/util.py")
    touch(ws, ".env.example")
    assert ls(ctx, path=".") == "\n".join(
        [
            f"- {ws}/",
            "  - .env.example",
            "  - README.md",
            "  - src/",
            "    - app/",
            "      - main.py",
            "    - util.py",
        ]
    )


def test_ls_honours_gitignore_hidden_dirs_and_ignore_globs(ws: Path, ctx: ToolContext) -> None:
    touch(ws, ".gitignore", text="__pycache__/\n")
    touch(ws, "pkg/__pycache__/m.pyc")
    touch(ws, "pkg/m.py")
    touch(ws, "pkg/m.log")
    touch(ws, ".git/HEAD")
    touch(ws, ".venv/bin/python")
    out = ls(ctx, path=str(ws), ignore=["*.log"])
    assert out.splitlines()[1:] == ["  - .gitignore", "  - pkg/", "    - m.py"]


def test_ls_of_explicitly_named_ignored_dir(ws: Path, ctx: ToolContext) -> None:
    touch(ws, ".gitignore", text="build/\n")
    touch(ws, "build/out.txt")
    assert ls(ctx, path="build").splitlines()[1:] == ["  - out.txt"]


def test_ls_caps_entries(ws: Path, ctx: ToolContext) -> None:
    for i in range(MAX_ENTRIES + 5):
        (ws / f"f{i:04d}").write_bytes(b"")
    lines = ls(ctx, path=".").splitlines()
    assert len(lines) == 1 + MAX_ENTRIES + 1
    assert "cut at 1000" in lines[-1]


def test_ls_empty_dir(ws: Path, ctx: ToolContext) -> None:
    (ws / "empty").mkdir()
    assert "empty" in ls(ctx, path="empty").splitlines()[1]


def test_ls_of_file_suggests_read(ws: Path, ctx: ToolContext) -> None:
    touch(ws, "a.py")
    with pytest.raises(ToolError, match="Read"):
        LSTool().prepare({"path": "a.py"}, ctx)


def test_ls_of_missing_dir(ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match="does not exist"):
        LSTool().prepare({"path": "nope"}, ctx)


def test_ls_refuses_escapes(ws: Path, tmp_path: Path, ctx: ToolContext) -> None:
    (tmp_path / "outside").mkdir()
    (ws / "link").symlink_to(tmp_path / "outside")
    (ws.parent / "proj-evil").mkdir()
    for raw in ("../../etc", "link", "../proj-evil", str(ws.parent / "proj-evil")):
        with pytest.raises(ToolError, match="outside the workspace"):
            LSTool().prepare({"path": raw}, ctx)


def test_ls_does_not_list_symlinks_out(ws: Path, tmp_path: Path, ctx: ToolContext) -> None:
    touch(tmp_path, "outside/secret.txt")
    (ws / "link").symlink_to(tmp_path / "outside")
    touch(ws, "a.txt")
    assert ls(ctx, path=".").splitlines()[1:] == ["  - a.txt", f"  - link -> {tmp_path}/outside"]


def test_ls_honours_cancel(ws: Path, ctx: ToolContext) -> None:
    touch(ws, "a/b.txt")
    ctx.cancel.set()
    with pytest.raises(ToolInterrupted):
        LSTool().prepare({"path": "."}, ctx).execute()
