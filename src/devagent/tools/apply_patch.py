"""The ApplyPatch tool: apply a multi-file ``*** Begin Patch`` envelope, all or nothing.

``prepare`` parses the patch, resolves every path inside the workspace, reads each file and
computes every new content without writing anything; the returned ``PreparedCall.changes``
hold exactly the bytes ``execute`` will write.

``execute`` first checks that every file still holds what ``prepare`` read (and that files to
be created are still absent), then applies the changes in patch order. If any step fails, the
steps already taken are undone in reverse: rewritten files get their old bytes back, added
files and the directories made for them are removed, renames are reversed. Deletions are
staged as renames to a hidden name in the same directory and only unlinked once every step
has succeeded, so undoing one keeps the file's inode, mode and owner.

Policies: a path must not appear in two sections of one patch; ``*** Add File`` and
``*** Move to`` never overwrite an existing path; ``*** Delete File`` and ``*** Move to``
refuse a symbolic link (the link's target would be the one removed); an update through a
symbolic link edits the link's target and keeps the link.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from devagent.toolkinds import ToolKind
from devagent.tools.base import (
    Args,
    FileChange,
    PreparedCall,
    Tool,
    ToolContext,
    ToolError,
    ToolResult,
)
from devagent.tools.fileio import (
    MAX_TEXT_BYTES,
    atomic_write,
    encode_text,
    ensure_unchanged,
    read_text_file,
)
from devagent.tools.patch_format import (
    AddFile,
    ApplyError,
    DeleteFile,
    Hunk,
    UpdateFile,
    added_file_text,
    apply_chunks,
    parse_patch,
)
from devagent.tools.paths import absolute, display_path, resolve_in_workspace

ChangeKind = Literal["A", "M", "D", "R"]
_Step = Callable[[], None]

_DESCRIPTION = """\
Add, delete, update or rename one or more files with a single patch, applied all or nothing.
The patch uses the apply_patch envelope:

*** Begin Patch
*** Update File: src/app.py
@@ def greet(name):
     greeting = "hi"
-    return greeting + " " + name
+    return f"{greeting}, {name}!"
*** Add File: docs/notes.md
+# Notes
+First line.
*** Delete File: old/unused.py
*** End Patch

- Paths are relative to the workspace root (absolute paths inside it work too).
- '*** Add File: P' is followed by every line of the new file, each prefixed with '+'. P must \
not exist yet.
- '*** Update File: P', optionally followed by '*** Move to: Q' to rename it, then chunks. A \
chunk starts with '@@' or '@@ <a line copied from the file>' (such as the enclosing def or \
class line; it moves the search to that line). Chunk lines start with ' ' (unchanged \
context), '-' (removed) or '+' (added). Give about 3 lines of context above and below each \
change, copied exactly from the file, and keep chunks in file order. '*** End of File' after \
a chunk pins it to the end of the file; a chunk with only '+' lines is appended at the end.
- The file need not be Read first: the context proves where a change goes. If any chunk does \
not match, or a file changed meanwhile, nothing at all is written and the error shows the \
expected lines and the closest real ones.
- Each file keeps its line endings, encoding and BOM; updated files end with a newline.
"""


@dataclass(frozen=True)
class _Plan:
    """One file section of the patch, resolved and computed."""

    kind: ChangeKind
    change: FileChange
    shown: str


class ApplyPatch(Tool):
    """Applies the ``*** Begin Patch`` envelope (CONTRACTS §7)."""

    name: ClassVar[str] = "ApplyPatch"
    description: ClassVar[str] = _DESCRIPTION
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "input": {
                "type": "string",
                "description": "The whole patch, from '*** Begin Patch' to '*** End Patch'.",
            }
        },
        "required": ["input"],
        "additionalProperties": False,
    }
    kind: ClassVar[ToolKind] = "edit"

    def prepare(self, args: Args, ctx: ToolContext) -> PreparedCall:
        text = args.get("input")
        if not isinstance(text, str):
            raise ToolError("ApplyPatch needs 'input': the patch text as a string.")
        patch = parse_patch(text)
        planner = _Planner(ctx.workspace)
        plans = tuple(planner.plan(hunk) for hunk in patch.hunks)
        paths: list[Path] = []
        for plan in plans:
            paths.append(plan.change.path)
            if plan.change.move_to is not None:
                paths.append(plan.change.move_to)
        return PreparedCall(
            execute=lambda: _Transaction(plans, ctx).run(),
            paths=tuple(paths),
            changes=tuple(plan.change for plan in plans),
        )


class _Planner:
    """Turns hunks into planned changes; refuses anything unsafe before a byte is written."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self.claimed: dict[Path, str] = {}

    def plan(self, hunk: Hunk) -> _Plan:
        if isinstance(hunk, AddFile):
            return self._add(hunk)
        if isinstance(hunk, DeleteFile):
            return self._delete(hunk)
        return self._update(hunk)

    def _resolve(self, raw: str, line: int) -> Path:
        try:
            real = resolve_in_workspace(raw, self.workspace)
        except ToolError as exc:
            raise ToolError(f"Patch line {line}: {exc}") from exc
        if real == self.workspace:
            raise ToolError(f"Patch line {line}: {raw!r} is the workspace root, not a file.")
        earlier = self.claimed.get(real)
        if earlier is not None:
            raise ToolError(
                f"Patch line {line}: {raw} is already changed by {earlier}. Touch each file "
                "in one section only (merge the chunks into one '*** Update File:' section)."
            )
        self.claimed[real] = f"the section at patch line {line}"
        return real

    def _is_link(self, raw: str) -> bool:
        return os.path.islink(absolute(raw, self.workspace))

    def _show(self, path: Path) -> str:
        return display_path(path, self.workspace)

    def _add(self, hunk: AddFile) -> _Plan:
        real = self._resolve(hunk.path, hunk.line)
        if os.path.lexists(real) or self._is_link(hunk.path):
            raise ToolError(
                f"Patch line {hunk.line}: cannot add {hunk.path}: it already exists. Use "
                f"'*** Update File: {hunk.path}' to change it."
            )
        _check_parent(real, hunk.line)
        after = added_file_text(hunk).encode("utf-8")
        return _Plan("A", FileChange(real, None, after), self._show(real))

    def _delete(self, hunk: DeleteFile) -> _Plan:
        if self._is_link(hunk.path):
            raise ToolError(_link_refusal(hunk.path, hunk.line, "delete"))
        real = self._resolve(hunk.path, hunk.line)
        before = _read_regular(real, hunk.path, hunk.line, "delete")
        return _Plan("D", FileChange(real, before, None), self._show(real))

    def _update(self, hunk: UpdateFile) -> _Plan:
        real = self._resolve(hunk.path, hunk.line)
        if not hunk.chunks:
            before = _read_regular(real, hunk.path, hunk.line, "move")
            after = before
        else:
            before, after = self._updated_bytes(real, hunk)
        dest = self._move_target(hunk, real)
        shown = self._show(real)
        if dest is None:
            return _Plan("M", FileChange(real, before, after), shown)
        return _Plan("R", FileChange(real, before, after, dest), f"{shown} -> {self._show(dest)}")

    def _updated_bytes(self, real: Path, hunk: UpdateFile) -> tuple[bytes, bytes]:
        if not os.path.lexists(real):
            raise ToolError(
                f"Patch line {hunk.line}: cannot update {hunk.path}: it does not exist. Use "
                "'*** Add File:' to create it, or Glob/LS to find the right path."
            )
        original = read_text_file(real)
        try:
            text = apply_chunks(
                original.text, hunk.chunks, path=hunk.path, newline=original.newline
            )
        except ApplyError as exc:
            raise ApplyError(
                f"{exc}\nNo file was changed: the patch applies all or nothing."
            ) from exc
        return original.raw, encode_text(original, text)

    def _move_target(self, hunk: UpdateFile, real: Path) -> Path | None:
        if hunk.move_to is None:
            return None
        if self._is_link(hunk.path):
            raise ToolError(_link_refusal(hunk.path, hunk.line, "move"))
        dest = self._resolve(hunk.move_to, hunk.line + 1)
        if os.path.lexists(dest) or self._is_link(hunk.move_to):
            raise ToolError(
                f"Patch line {hunk.line + 1}: cannot move {hunk.path} to {hunk.move_to}: that "
                "path already exists and ApplyPatch never overwrites a file when moving. Pick "
                "another name, or delete it first with a separate ApplyPatch call."
            )
        _check_parent(dest, hunk.line + 1)
        return dest


def _link_refusal(raw: str, line: int, verb: str) -> str:
    return (
        f"Patch line {line}: {raw} is a symbolic link; ApplyPatch does not {verb} links (the "
        f"link's target would be affected). Use Bash if you really mean to {verb} it."
    )


def _check_parent(real: Path, line: int) -> None:
    """Refuse a new path whose nearest existing ancestor is not a directory."""
    parent = real.parent
    while not os.path.lexists(parent):
        parent = parent.parent
    if not parent.is_dir():
        raise ToolError(
            f"Patch line {line}: cannot create {real}: {parent} is a file, not a directory."
        )


def _read_regular(real: Path, raw: str, line: int, verb: str) -> bytes:
    try:
        st = os.stat(real)
    except FileNotFoundError:
        raise ToolError(
            f"Patch line {line}: cannot {verb} {raw}: it does not exist. Use Glob or LS to "
            "find the right path."
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise ToolError(
            f"Patch line {line}: cannot {verb} {raw}: it is a directory. ApplyPatch works on "
            "single files; use Bash for directories."
        )
    if not stat.S_ISREG(st.st_mode):
        raise ToolError(f"Patch line {line}: cannot {verb} {raw}: it is not a regular file.")
    if st.st_size > MAX_TEXT_BYTES:
        raise ToolError(
            f"Patch line {line}: {raw} is larger than {MAX_TEXT_BYTES} bytes; use Bash to "
            f"{verb} it."
        )
    return real.read_bytes()


def _missing_dirs(directory: Path) -> list[Path]:
    """Ancestors of a new file that do not exist yet, outermost first."""
    missing: list[Path] = []
    while not os.path.lexists(directory):
        missing.append(directory)
        directory = directory.parent
    return missing[::-1]


def _remove_dirs(dirs: list[Path]) -> _Step:
    def undo() -> None:
        for directory in reversed(dirs):
            # Only directories this patch made, and only while empty.
            with suppress(OSError):
                os.rmdir(directory)

    return undo


class _Transaction:
    """Applies planned changes in order; on failure undoes the steps already taken."""

    def __init__(self, plans: tuple[_Plan, ...], ctx: ToolContext) -> None:
        self.plans = plans
        self.ctx = ctx
        self.workspace = ctx.workspace
        self.undo: list[tuple[str, _Step]] = []
        self.cleanup: list[_Step] = []

    def run(self) -> ToolResult:
        try:
            for plan in self.plans:
                _verify(plan.change)
        except ToolError as exc:
            raise ToolError(f"The patch was not applied: {exc}") from exc
        current = ""
        try:
            for plan in self.plans:
                current = plan.shown
                self._apply(plan)
        except BaseException as exc:
            stuck = self._rollback()
            if isinstance(exc, ToolError | OSError):
                raise ToolError(_failure_message(current, exc, stuck)) from exc
            raise
        for step in self.cleanup:
            with suppress(OSError):
                step()
        self._update_ledger()
        lines = [f"{plan.kind} {plan.shown}" for plan in self.plans]
        return ToolResult("Success. Updated the following files:\n" + "\n".join(lines))

    def _apply(self, plan: _Plan) -> None:
        change = plan.change
        if plan.kind == "A":
            self._add(change)
        elif plan.kind == "D":
            self._delete(change)
        elif plan.kind == "R":
            self._move(change)
        else:
            self._rewrite(change.path, change.before, change.after)

    def _add(self, change: FileChange) -> None:
        assert change.after is not None
        self.undo.append((os.fspath(change.path), _remove_dirs(_missing_dirs(change.path.parent))))
        atomic_write(change.path, change.after, workspace=self.workspace, expected=None)
        self.undo.append((os.fspath(change.path), lambda: os.unlink(change.path)))

    def _delete(self, change: FileChange) -> None:
        path = change.path
        staged = path.with_name(f".{path.name}.devagent-delete-{secrets.token_hex(4)}")
        os.rename(path, staged)
        self.undo.append((os.fspath(path), lambda: os.rename(staged, path)))
        self.cleanup.append(lambda: os.unlink(staged))

    def _move(self, change: FileChange) -> None:
        source, dest = change.path, change.move_to
        assert dest is not None
        dirs = _missing_dirs(dest.parent)
        self.undo.append((os.fspath(dest), _remove_dirs(dirs)))
        for directory in dirs:
            os.mkdir(directory)
        ensure_unchanged(dest, None)
        # A rename keeps the file's inode, mode and owner; the content is rewritten after.
        os.rename(source, dest)
        self.undo.append((os.fspath(source), lambda: os.rename(dest, source)))
        self._rewrite(dest, change.before, change.after)

    def _rewrite(self, path: Path, before: bytes | None, after: bytes | None) -> None:
        assert before is not None and after is not None
        if before == after:
            return
        atomic_write(path, after, workspace=self.workspace, expected=before)

        def restore() -> None:
            atomic_write(path, before, workspace=self.workspace, expected=after)

        self.undo.append((os.fspath(path), restore))

    def _rollback(self) -> list[str]:
        """Undo every step taken, newest first; the paths that could not be restored."""
        stuck: list[str] = []
        for shown, step in reversed(self.undo):
            try:
                step()
            except (OSError, ToolError):
                stuck.append(shown)
        self.undo.clear()
        return stuck

    def _update_ledger(self) -> None:
        """Keep the read ledger truthful about files this patch wrote."""
        ledger = self.ctx.ledger
        for plan in self.plans:
            change = plan.change
            was_read = ledger.get(change.path) is not None
            if plan.kind == "A":
                assert change.after is not None
                ledger.record(change.path, change.after)
            elif plan.kind in ("D", "R"):
                ledger.forget(change.path)
            if was_read and change.after is not None and plan.kind in ("M", "R"):
                ledger.record(change.move_to or change.path, change.after)


def _verify(change: FileChange) -> None:
    ensure_unchanged(change.path, change.before)
    if change.move_to is not None:
        ensure_unchanged(change.move_to, None)


def _failure_message(current: str, exc: BaseException, stuck: list[str]) -> str:
    message = f"The patch was not applied: changing {current} failed: {exc}"
    if not stuck:
        return message + " Every file was put back as it was before the patch."
    return message + " Restoring these paths failed too, so check them: " + ", ".join(stuck) + "."
