"""Checkpoints: a shadow git store per workspace that restores a turn's changes byte for byte
and never touches the user's repository or follows symlinks out of the workspace."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from devagent.checkpoints import CheckpointStore, store_dir
from devagent.gitinfo import safe_git_env


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        env={
            **safe_git_env(),
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@t",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@t",
        },
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    git(root, "init", "-q")
    (root / "crlf.txt").write_bytes(b"one\r\ntwo\r\nlone\rcr\xff\xfe no final newline")
    (root / "run.sh").write_bytes(b"#!/bin/sh\necho hi\n")
    os.chmod(root / "run.sh", 0o755)
    (root / "doomed.txt").write_bytes(b"delete me\n")
    (root / ".gitattributes").write_text("* text=auto eol=lf\n*.txt filter=evil\n")
    (root / ".gitignore").write_text("build/\n")
    (root / "build").mkdir()
    (root / "build" / "out.bin").write_bytes(b"artifact")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "user commit")
    return root


def tree_bytes(root: Path) -> dict[str, tuple[bytes, int]]:
    found: dict[str, tuple[bytes, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                found[rel] = (os.readlink(path).encode(), -1)
            else:
                found[rel] = (path.read_bytes(), path.stat().st_mode & 0o777)
    return found


def test_restore_brings_back_exact_bytes_modes_and_deleted_files(
    repo: Path, devagent_home: Path
) -> None:
    store = CheckpointStore(repo, devagent_home)
    original = tree_bytes(repo)
    before = store.snapshot("before turn 1")
    (repo / "crlf.txt").write_bytes(b"rewritten\n")
    os.chmod(repo / "run.sh", 0o644)
    (repo / "doomed.txt").unlink()
    (repo / "pkg" / "deep").mkdir(parents=True)
    (repo / "pkg" / "deep" / "new.py").write_text("print('new')\n")
    (repo / "build" / "out.bin").write_bytes(b"rebuilt")  # ignored: not the turn's to undo
    change = store.changes(before, store.snapshot("after turn 1"), "turn 1")
    assert change is not None
    assert set(change.paths) == {"crlf.txt", "run.sh", "doomed.txt", "pkg/deep/new.py"}

    report = store.restore(change)

    assert sorted(report.removed) == ["pkg/deep/new.py"]
    assert not (repo / "pkg").exists()
    expected = {**original, "build/out.bin": (b"rebuilt", original["build/out.bin"][1])}
    assert tree_bytes(repo) == expected


def test_the_users_repository_is_untouched(repo: Path, devagent_home: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    (repo / "crlf.txt").write_bytes(b"user's uncommitted work\n")
    status = git(repo, "status", "--porcelain")
    stash = git(repo, "stash", "list")
    branches = git(repo, "branch", "--list")
    store = CheckpointStore(repo, devagent_home)
    before = store.snapshot("before")
    (repo / "new.txt").write_text("x")
    change = store.changes(before, store.snapshot("after"))
    assert change is not None
    store.restore(change)
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain") == status
    assert git(repo, "stash", "list") == stash
    assert git(repo, "branch", "--list") == branches
    assert store.path == store_dir(devagent_home, repo)
    assert not (repo / ".git" / "devagent.lock").exists()


def test_no_change_means_no_checkpoint(repo: Path, devagent_home: Path) -> None:
    store = CheckpointStore(repo, devagent_home)
    first = store.snapshot("a")
    assert store.changes(first, store.snapshot("b")) is None


def test_repository_hooks_and_fsmonitor_never_run(repo: Path, devagent_home: Path) -> None:
    marker = repo.parent / "pwned"
    git(repo, "config", "core.fsmonitor", f"touch {marker}; false")
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    store = CheckpointStore(repo, devagent_home)
    before = store.snapshot("before")
    (repo / "a.txt").write_text("a")
    change = store.changes(before, store.snapshot("after"))
    assert change is not None
    store.restore(change)
    assert not marker.exists()


def test_a_folder_swapped_for_an_outside_link_is_put_back_as_a_folder(
    repo: Path, devagent_home: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / "sub").mkdir()
    (repo / "sub" / "f.txt").write_text("inside\n")
    store = CheckpointStore(repo, devagent_home)
    before = store.snapshot("before")
    (repo / "sub" / "f.txt").unlink()
    (repo / "sub").rmdir()
    (repo / "sub").symlink_to(outside)  # the turn swapped the folder for a link outside
    change = store.changes(before, store.snapshot("after"))
    assert change is not None

    report = store.restore(change)

    assert list(outside.iterdir()) == []
    assert not (repo / "sub").is_symlink()
    assert (repo / "sub" / "f.txt").read_text() == "inside\n"
    assert report.skipped == []


def test_restore_never_writes_through_a_symlinked_directory(
    repo: Path, devagent_home: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / "sub").mkdir()
    (repo / "sub" / "f.txt").write_text("inside\n")
    store = CheckpointStore(repo, devagent_home)
    before = store.snapshot("before")
    (repo / "sub" / "f.txt").write_text("edited by the turn\n")
    change = store.changes(before, store.snapshot("after"))
    assert change is not None
    # Later, outside the turn, the folder became a link out of the workspace.
    (repo / "sub" / "f.txt").unlink()
    (repo / "sub").rmdir()
    (repo / "sub").symlink_to(outside)

    report = store.restore(change)

    assert list(outside.iterdir()) == []
    assert report.skipped == [("sub/f.txt", "sub is a symlink")]


def test_a_file_replaced_by_a_symlink_is_restored_as_a_file_not_written_through(
    repo: Path, devagent_home: Path, tmp_path: Path
) -> None:
    target = tmp_path / "secret"
    target.write_text("keep me\n")
    store = CheckpointStore(repo, devagent_home)
    before = store.snapshot("before")
    (repo / "doomed.txt").unlink()
    (repo / "doomed.txt").symlink_to(target)
    change = store.changes(before, store.snapshot("after"))
    assert change is not None
    store.restore(change)
    assert not (repo / "doomed.txt").is_symlink()
    assert (repo / "doomed.txt").read_bytes() == b"delete me\n"
    assert target.read_text() == "keep me\n"


def test_changed_since_names_files_edited_after_the_turn(repo: Path, devagent_home: Path) -> None:
    store = CheckpointStore(repo, devagent_home)
    before = store.snapshot("before")
    (repo / "doomed.txt").write_text("model edit\n")
    change = store.changes(before, store.snapshot("after"))
    assert change is not None
    (repo / "doomed.txt").write_text("user edit\n")
    assert store.changed_since(change, store.snapshot("now")) == ["doomed.txt"]


def test_works_outside_a_git_repository(tmp_path: Path, devagent_home: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.txt").write_bytes(b"a\r\n")
    store = CheckpointStore(plain, devagent_home)
    before = store.snapshot("before")
    (plain / "a.txt").write_bytes(b"b")
    change = store.changes(before, store.snapshot("after"))
    assert change is not None
    store.restore(change)
    assert (plain / "a.txt").read_bytes() == b"a\r\n"
    assert not (plain / ".git").exists()
