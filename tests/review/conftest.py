"""Fixtures for review tests: temporary git repositories built from a dict of files."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

GitRun = Callable[..., str]
MakeRepo = Callable[[Mapping[str, str | bytes]], Path]

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def write_files(root: Path, files: Mapping[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


@pytest.fixture
def write() -> Callable[[Path, Mapping[str, str | bytes]], None]:
    """Write ``{relative path: text or bytes}`` below a root, creating folders."""
    return write_files


@pytest.fixture
def git() -> GitRun:
    """Run git in a repository with a fixed identity and no user configuration."""

    def run(repo: Path, *args: str) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=repo,
            env={**os.environ, **_GIT_ENV},
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    return run


@pytest.fixture
def make_repo(tmp_path: Path, git: GitRun) -> MakeRepo:
    """A git repository at tmp_path/repo holding ``files`` in one commit on branch main."""

    def make(files: Mapping[str, str | bytes]) -> Path:
        root = tmp_path / "repo"
        root.mkdir()
        git(root, "init", "-q", "-b", "main")
        write_files(root, files)
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "initial")
        return root.resolve()

    return make
