"""Per-turn checkpoints of the workspace in a shadow git store, and restoring a turn's changes.

The store lives in ``$DEVAGENT_HOME/checkpoints/<project-slug>`` and is driven with
``GIT_DIR=<store>`` and ``GIT_WORK_TREE=<workspace>``, so the user's branch, index, stash and
hooks are never touched. Every git call runs in ``devagent.gitinfo.safe_git_env`` (no program
named by any configuration runs), commits with ``--no-verify``, and the store's own
``info/attributes`` switches off end-of-line conversion and filters so snapshots hold the exact
bytes. The workspace's ``.gitignore`` files apply as they would to ``git add``: ignored files
are neither snapshotted nor restored.

A snapshot is taken before and after every turn; ``restore`` puts back the files a turn
changed (files it created are removed, files it deleted come back, modes and symlinks
included). Restoring never writes or deletes through a symlink: a path whose parent directory
is a symlink, or lies outside the workspace, is skipped and reported.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from devagent.fsutil import replace_file
from devagent.gitinfo import safe_git_env
from devagent.session import project_slug

GIT_TIMEOUT_S = 60.0
_ATTRIBUTES = "* -text -filter -ident -working-tree-encoding\n"
_CONFIG = (
    ("user.name", "devagent"),
    ("user.email", "devagent@localhost"),
    ("commit.gpgsign", "false"),
    ("core.autocrlf", "false"),
    ("core.safecrlf", "false"),
    ("core.symlinks", "true"),
    ("core.filemode", "true"),
    ("core.quotepath", "false"),
    ("advice.addEmbeddedRepo", "false"),
    ("gc.auto", "0"),
)
_MODE_LINK, _MODE_EXEC, _MODE_GITLINK, _MODE_NONE = "120000", "100755", "160000", "000000"


class CheckpointError(Exception):
    """A snapshot or restore could not be made; the message says why."""


@dataclass(frozen=True)
class Snapshot:
    """One commit in the store and the tree it records."""

    commit: str
    tree: str


@dataclass(frozen=True)
class TurnChange:
    """What one turn changed: the snapshots around it and the paths that differ."""

    before: Snapshot
    after: Snapshot
    paths: tuple[str, ...]
    label: str = ""


@dataclass
class RestoreReport:
    """What ``restore`` did: paths written back, removed, and skipped with the reason."""

    restored: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Entry:
    """One side of a raw diff line: the path, the target mode and blob (mode 000000 = absent)."""

    path: str
    mode: str
    blob: str


def store_dir(home: Path, workspace: Path) -> Path:
    return home / "checkpoints" / project_slug(Path(os.path.realpath(workspace)))


class CheckpointStore:
    """The shadow store of one workspace. Thread-unsafe; a file lock guards other processes."""

    def __init__(self, workspace: Path, home: Path, *, timeout_s: float = GIT_TIMEOUT_S) -> None:
        self.workspace = Path(os.path.realpath(workspace))
        self.path = store_dir(home, self.workspace)
        self._timeout_s = timeout_s
        self._ready = False

    # public surface ------------------------------------------------------------------------

    def snapshot(self, label: str) -> Snapshot:
        """Record the workspace as it is now (respecting .gitignore) as a new commit."""
        with self._locked():
            self._git("add", "-A", "--ignore-errors", ".", check=False)
            self._git("commit", "-q", "--no-verify", "--allow-empty", "--no-gpg-sign", "-m", label)
            commit = self._git("rev-parse", "HEAD").strip()
            tree = self._git("rev-parse", "HEAD^{tree}").strip()
        return Snapshot(commit, tree)

    def changes(self, before: Snapshot, after: Snapshot, label: str = "") -> TurnChange | None:
        """The change between two snapshots, or None when the trees are the same."""
        if before.tree == after.tree:
            return None
        paths = tuple(e.path for e in self._diff(before.commit, after.commit))
        return TurnChange(before, after, paths, label)

    def changed_since(self, change: TurnChange, now: Snapshot) -> list[str]:
        """Paths of ``change`` that differ between its ``after`` snapshot and ``now``."""
        if change.after.tree == now.tree:
            return []
        touched = set(change.paths)
        return [e.path for e in self._diff(change.after.commit, now.commit) if e.path in touched]

    def restore(self, change: TurnChange) -> RestoreReport:
        """Put the paths ``change`` touched back as they were in ``change.before``."""
        report = RestoreReport()
        with self._locked():
            wanted = set(change.paths)
            diff = self._diff(change.after.commit, change.before.commit)
            entries = [e for e in diff if e.path in wanted]
            for entry in sorted(entries, key=lambda e: e.mode != _MODE_NONE):
                self._restore_one(entry, report)
        return report

    def diff_text(self, base: Snapshot, now: Snapshot) -> str:
        """A unified diff (with a stat header) from ``base`` to ``now``."""
        stat = self._git("diff", "--stat", "--no-color", base.commit, now.commit)
        patch = self._git("diff", "--no-color", "--no-ext-diff", base.commit, now.commit)
        return f"{stat}\n{patch}" if stat.strip() else ""

    def snapshot_of(self, commit: str) -> Snapshot:
        """The snapshot a stored commit id names (for checkpoints loaded from a transcript)."""
        with self._locked():
            tree = self._git("rev-parse", "--verify", "-q", f"{commit}^{{tree}}").strip()
        if not tree:
            raise CheckpointError(f"checkpoint {commit[:12]} is no longer in the store")
        return Snapshot(commit, tree)

    # git plumbing --------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = safe_git_env()
        env.update(
            GIT_DIR=os.fspath(self.path),
            GIT_WORK_TREE=os.fspath(self.workspace),
            GIT_INDEX_FILE=os.fspath(self.path / "index"),
        )
        return env

    def _git(self, *args: str, check: bool = True, stdin: bytes | None = None) -> str:
        return self._git_bytes(*args, check=check, stdin=stdin).decode("utf-8", "surrogateescape")

    def _git_bytes(self, *args: str, check: bool = True, stdin: bytes | None = None) -> bytes:
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=self.workspace,
                env=self._env(),
                input=stdin if stdin is not None else b"",
                capture_output=True,
                timeout=self._timeout_s,
            )
        except FileNotFoundError as exc:
            raise CheckpointError("git is not installed, so checkpoints are off") from exc
        except subprocess.TimeoutExpired as exc:
            raise CheckpointError(
                f"git {args[0]} took over {self._timeout_s:.0f} s (is the workspace huge? "
                "add large folders to .gitignore); checkpoints are off"
            ) from exc
        if check and done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise CheckpointError(f"git {args[0]} failed: {message[-1] if message else '?'}")
        return done.stdout

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._ensure()
        with open(self.path / "devagent.lock", "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _ensure(self) -> None:
        if self._ready:
            return
        if not (self.path / "HEAD").is_file():
            self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._git("init", "-q")
            for key, value in _CONFIG:
                self._git("config", key, value)
        info = self.path / "info"
        info.mkdir(exist_ok=True)
        (info / "attributes").write_text(_ATTRIBUTES, encoding="utf-8")
        (info / "exclude").write_text(self._user_excludes(), encoding="utf-8")
        self._ready = True

    def _user_excludes(self) -> str:
        """The repository's own ``.git/info/exclude``, so privately ignored files stay out."""
        own = self.workspace / ".git" / "info" / "exclude"
        try:
            return own.read_text(encoding="utf-8", errors="replace") if own.is_file() else ""
        except OSError:
            return ""

    def _diff(self, src: str, dst: str) -> list[_Entry]:
        """Entries of ``git diff-tree`` from ``src`` to ``dst``; each holds the ``dst`` side."""
        raw = self._git_bytes("diff-tree", "-r", "-z", "--no-renames", src, dst)
        fields = raw.split(b"\0")
        entries: list[_Entry] = []
        for i in range(0, len(fields) - 1, 2):
            meta = fields[i].decode("ascii", "replace").lstrip(":").split()
            if len(meta) < 5:
                continue
            path = fields[i + 1].decode("utf-8", "surrogateescape")
            entries.append(_Entry(path, meta[1], meta[3]))
        return entries

    def _blob(self, sha: str) -> bytes:
        return self._git_bytes("cat-file", "blob", sha)

    # restoring one path --------------------------------------------------------------------

    def _restore_one(self, entry: _Entry, report: RestoreReport) -> None:
        target = self.workspace / entry.path
        problem = _unsafe_parent(self.workspace, target)
        if problem is not None:
            report.skipped.append((entry.path, problem))
            return
        if entry.mode == _MODE_GITLINK:
            report.skipped.append((entry.path, "a nested git repository is left alone"))
            return
        if entry.mode == _MODE_NONE:
            self._remove(target, entry.path, report)
            return
        if target.is_dir() and not target.is_symlink():
            report.skipped.append((entry.path, "a directory is there now"))
            return
        data = self._blob(entry.blob)
        if entry.mode == _MODE_LINK:
            _replace_with_symlink(target, os.fsdecode(data))
        else:
            _write_file(target, data, executable=entry.mode == _MODE_EXEC)
        report.restored.append(entry.path)

    def _remove(self, target: Path, rel: str, report: RestoreReport) -> None:
        if target.is_dir() and not target.is_symlink():
            report.skipped.append((rel, "a directory is there now"))
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target)  # unlink removes a symlink itself, never its target
        report.removed.append(rel)
        _prune_empty_dirs(self.workspace, target.parent)


def _unsafe_parent(workspace: Path, target: Path) -> str | None:
    """Why writing ``target`` could reach outside the workspace, or None when it cannot."""
    try:
        rel = target.relative_to(workspace)
    except ValueError:
        return "outside the workspace"
    current = workspace
    for part in rel.parts[:-1]:
        if part in ("", ".", ".."):
            return "not a plain path"
        current = current / part
        if current.is_symlink():
            return f"{current.relative_to(workspace)} is a symlink"
        if current.exists() and not current.is_dir():
            return f"{current.relative_to(workspace)} is not a directory"
    return None


def _write_file(target: Path, data: bytes, *, executable: bool) -> None:
    """Atomically replace ``target`` (a symlink there is replaced, not followed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    replace_file(target, data, mode=_mode_for(target, executable))


def _mode_for(target: Path, executable: bool) -> int:
    """Keep an existing regular file's permission bits; only the executable bits follow git."""
    try:
        st = os.lstat(target)
        base = st.st_mode & 0o7777 if not os.path.islink(target) else _default_mode()
    except FileNotFoundError:
        base = _default_mode()
    if executable:
        return base | ((base & 0o444) >> 2)
    return base & ~0o111


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _replace_with_symlink(target: Path, link: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(target)
    os.symlink(link, target)


def _prune_empty_dirs(workspace: Path, folder: Path) -> None:
    """Remove directories a restore left empty, up to (not including) the workspace root."""
    while folder != workspace and workspace in folder.parents:
        try:
            os.rmdir(folder)
        except OSError:
            return
        folder = folder.parent


def touched_paths(changes: Sequence[TurnChange]) -> list[str]:
    """Every path touched by ``changes``, in first-touched order."""
    return list(dict.fromkeys(p for change in changes for p in change.paths))
