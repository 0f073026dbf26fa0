"""What a sandboxed command sees of the file system, and the bubblewrap arguments for it.

``workspace-write``: everything read-only except the workspace, ``/tmp`` (and ``$TMPDIR``),
the package caches in the home folder and a linked worktree's git dir. Inside those,
``.git/hooks``, ``.git/config``, ``.devagent/``, ``.claude/`` (and ``.vscode/``, ``.idea/``,
``.mcp.json``, ``.gitmodules`` when present) stay read-only, as do the home folder, its shell
rc files and devagent's own state folder wherever they are.

``read-only``: everything read-only; ``/tmp`` is a private, empty tmpfs that vanishes with the
command (the workspace and home folder stay visible, read-only, even if they live in /tmp).

Both: credential folders and files in the home folder (``~/.ssh``, ``~/.aws``, ``~/.gnupg``,
``~/.config/gh``, ``~/.netrc`` ...) are masked by empty ones; a fresh ``/dev`` and ``/proc``.

Mounts are applied shallowest first, so a deeper rule wins over the folder it sits in; at
the same path a mask beats read-only, which beats writable.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from devagent.sandbox.config import SandboxMode

CACHE_DIRS = (
    ".cache",
    ".npm",
    ".pnpm-store",
    ".yarn/berry/cache",
    ".cargo/registry",
    ".cargo/git",
    ".m2/repository",
    ".gradle/caches",
    "go/pkg/mod",
)
CREDENTIALS = (
    ".ssh",
    ".aws",
    ".gnupg",
    ".azure",
    ".kube",
    ".docker",
    ".password-store",
    ".config/gh",
    ".config/hub",
    ".config/gcloud",
    ".config/op",
    ".claude/.credentials.json",
    ".netrc",
    ".git-credentials",
    ".pypirc",
    ".npmrc",
    ".vault-token",
)
SHELL_RC_FILES = (
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_logout",
    ".profile",
    ".zshrc",
    ".zprofile",
    ".zshenv",
    ".zlogin",
    ".gitconfig",
)
# Kept read-only inside a writable workspace; the first three are made when missing, so a
# command cannot create them (git, devagent and Claude Code would read what it put there).
GUARDED_DIRS = (".devagent", ".claude")
GUARDED_IF_PRESENT = (".vscode", ".idea", ".mcp.json", ".gitmodules")
# In every git dir: what can make git run a program (``core.hooksPath``, ``core.fsmonitor``,
# filter drivers) lives in the config files; ``config.worktree`` counts once it is enabled.
GIT_GUARDED = ("hooks", "config", "config.worktree")

Op = Literal["bind", "ro-bind", "tmpfs", "mask"]
_RANK: dict[Op, int] = {"tmpfs": 0, "bind": 1, "ro-bind": 2, "mask": 3}


@dataclass(frozen=True)
class Mount:
    op: Op
    path: str


@dataclass(frozen=True)
class Layout:
    """The facts one sandbox is built from (real paths)."""

    mode: SandboxMode
    workspace: str
    home: str
    state_dirs: tuple[str, ...] = ()
    tmp_dirs: tuple[str, ...] = ("/tmp",)

    def mounts(self, scratch: str = "", record: str = "") -> list[Mount]:
        """Every mount over the read-only root, in the order to apply them.

        ``scratch`` (devagent's bookkeeping folder) is read-only but for the file ``record``.
        """
        found = [*self._writable(record), *self._read_only(scratch), *self._masks()]
        unique = list(dict.fromkeys(found))
        return sorted(unique, key=lambda m: (_depth(m.path), _RANK[m.op]))

    def writable_roots(self) -> list[str]:
        """Where a command may write (before the read-only paths inside them)."""
        if self.mode == "read-only":
            return []
        roots = [self.workspace, *self.tmp_dirs, *self._git_dirs()]
        return roots + [p for p in self._home_paths(CACHE_DIRS) if os.path.isdir(p)]

    def is_writable(self, path: str) -> bool:
        """Whether the sandbox lets a command write real path ``path``."""
        for mount in reversed(self.mounts()):
            if mount.path and _within(mount.path, path):
                return mount.op in ("bind", "tmpfs")
        return False

    def _writable(self, record: str) -> Iterable[Mount]:
        if self.mode == "read-only":
            yield Mount("tmpfs", "/tmp")
        for root in self.writable_roots():
            yield Mount("bind", root)
        if record:
            yield Mount("bind", record)

    def _read_only(self, scratch: str) -> Iterable[Mount]:
        if scratch:
            yield Mount("ro-bind", scratch)
        home = self.home if self.home != "/" and os.path.isdir(self.home) else None
        if self.mode == "read-only":
            yield from (Mount("ro-bind", p) for p in (self.workspace, home) if p)
        elif home is not None and not _within(self.workspace, home):
            yield Mount("ro-bind", home)
        made = set(self.must_exist())  # made before bwrap starts, so they count as present
        for path in [*self.state_dirs, *self._home_paths(SHELL_RC_FILES), *self.guarded()]:
            if path in made or os.path.lexists(path):
                yield Mount("ro-bind", path)

    def guarded(self) -> list[str]:
        """Paths kept read-only inside the writable workspace and worktree git dirs."""
        if self.mode == "read-only":
            return []
        ws = self.workspace
        paths = [os.path.join(ws, name) for name in (*GUARDED_DIRS, *GUARDED_IF_PRESENT)]
        for git_dir in [os.path.join(ws, ".git"), *self._git_dirs()]:
            paths += [os.path.join(git_dir, name) for name in GIT_GUARDED]
        return paths

    def must_exist(self) -> list[str]:
        """Guarded folders to create before a command runs, so it cannot create them."""
        if self.mode == "read-only":
            return []
        made = [os.path.join(self.workspace, name) for name in GUARDED_DIRS]
        for git_dir in [os.path.join(self.workspace, ".git"), *self._git_dirs()]:
            if os.path.isdir(git_dir):
                made.append(os.path.join(git_dir, "hooks"))
        return made

    def _masks(self) -> Iterable[Mount]:
        for path in self._home_paths(CREDENTIALS):
            if os.path.lexists(path):
                yield Mount("mask", path)

    def _home_paths(self, names: Sequence[str]) -> list[str]:
        return [os.path.join(self.home, name) for name in names]

    def _git_dirs(self) -> list[str]:
        """A linked worktree's git dir and the common dir it shares (outside the workspace)."""
        return linked_git_dirs(self.workspace)


def linked_git_dirs(workspace: str) -> list[str]:
    dot_git = os.path.join(workspace, ".git")
    if not os.path.isfile(dot_git):
        return []
    try:
        first = Path(dot_git).read_text(encoding="utf-8").splitlines()[0]
    except (OSError, UnicodeDecodeError, IndexError):
        return []
    if not first.startswith("gitdir:"):
        return []
    git_dir = os.path.realpath(os.path.join(workspace, first.removeprefix("gitdir:").strip()))
    found = [git_dir]
    try:
        common = Path(git_dir, "commondir").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        common = ""
    if common:
        found.append(os.path.realpath(os.path.join(git_dir, common)))
    return [d for d in found if os.path.isdir(d)]


def bwrap_args(mounts: Sequence[Mount]) -> list[str]:
    """The bubblewrap arguments for ``mounts``, over a read-only root and fresh /dev, /proc."""
    args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for mount in mounts:
        path = mount.path
        if mount.op == "bind":
            args += ["--bind", path, path]
        elif mount.op == "ro-bind":
            args += ["--ro-bind", path, path]
        elif mount.op == "tmpfs":
            args += ["--tmpfs", path]
        elif os.path.isdir(path):
            args += ["--tmpfs", path, "--remount-ro", path]
        else:
            args += ["--ro-bind", "/dev/null", path]
    return args


def _depth(path: str) -> int:
    return len([part for part in path.split("/") if part])


def _within(root: str, path: str) -> bool:
    try:
        return os.path.commonpath([root, path]) == root
    except ValueError:
        return False
