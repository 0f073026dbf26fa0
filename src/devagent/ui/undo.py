"""/undo and /diff: the workspace is snapshotted around every turn and ``!command``.

A turn that changed files leaves a ``TurnChange`` on a stack and a ``checkpoint`` record in the
transcript (an ``undo`` record when it is undone), so /undo still works after ``--resume``.
/undo refuses to overwrite files changed since that turn ended unless forced, and tells the
model which files went back. When a snapshot fails, checkpoints are off for the rest of the
chat, said once.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from rich.console import Console

from devagent.checkpoints import CheckpointError, CheckpointStore, Snapshot, TurnChange
from devagent.conversation import Conversation
from devagent.ui.console import Level

Say = Callable[[str, Level], None]


class TurnCheckpoints:
    """The chat's undo stack and session diff over a ``CheckpointStore`` (None: off)."""

    def __init__(
        self,
        store: CheckpointStore | None,
        conversation: Conversation,
        say: Say,
        console: Console,
    ) -> None:
        self.store = store
        self.conversation = conversation
        self.say = say
        self.console = console
        self.undo_stack: list[TurnChange] = []
        self.session_start: Snapshot | None = None

    @contextlib.contextmanager
    def around(self, label: str, *, early: bool = False) -> Iterator[Callable[[], None]]:
        """Snapshot before and after the block; a change between them can be undone.

        With ``early`` the "before" snapshot (git subprocesses: tens of milliseconds, more on
        a chat's first turn) is taken on a thread while the block starts, so a turn's request
        goes out without waiting for it; the block must call the yielded ``settle`` before
        anything may change the workspace (a turn does when the model's reply is in, before
        its tools run). Without ``early`` it is taken first and ``settle`` has nothing to do.
        """
        store = self.store if early else None
        pending = _EarlySnapshot(store, f"before {label}") if store is not None else None
        taken = self._snapshot(f"before {label}") if pending is None else None
        settle = pending.wait if pending is not None else _nothing
        try:
            yield settle
        finally:
            before = self._settled(pending) if pending is not None else taken
            if before is not None:
                self._record_change(before, label)

    def _snapshot(self, label: str) -> Snapshot | None:
        if self.store is None:
            return None
        try:
            snap = self.store.snapshot(label)
        except CheckpointError as exc:
            self._failed(exc)
            return None
        return self._taken(snap)

    def _settled(self, pending: _EarlySnapshot) -> Snapshot | None:
        pending.wait()
        if pending.error is not None:
            self._failed(pending.error)
            return None
        return self._taken(pending.result) if pending.result is not None else None

    def _taken(self, snap: Snapshot) -> Snapshot:
        if self.session_start is None:
            self.session_start = snap
        return snap

    def _failed(self, exc: CheckpointError) -> None:
        self.store = None
        self.say(f"Checkpoints are off: {exc}. /undo will not be available.", "warn")

    def _record_change(self, before: Snapshot, label: str) -> None:
        after = self._snapshot(f"after {label}")
        if after is None or self.store is None:
            return
        change = self.store.changes(before, after, label)
        if change is None:
            return
        self.undo_stack.append(change)
        self.conversation.transcript.append(
            {
                "type": "checkpoint",
                "before": before.commit,
                "after": after.commit,
                "paths": list(change.paths),
                "label": label,
            }
        )

    def undo(self, *, force: bool = False) -> None:
        store = self.store
        if store is None:
            self.say("Checkpoints are off, so there is nothing to undo.", "error")
            return
        if not self.undo_stack:
            self.say("Nothing to undo: no turn of this session changed files.", "info")
            return
        change = self.undo_stack[-1]
        try:
            dirty = store.changed_since(change, store.snapshot("before undo"))
            if dirty and not force:
                self.say(
                    "Not undone: changed since that turn ended: "
                    f"{', '.join(dirty[:10])}. /undo force overwrites those changes.",
                    "error",
                )
                return
            report = store.restore(change)
        except CheckpointError as exc:
            self.say(f"Not undone: {exc}", "error")
            return
        self.undo_stack.pop()
        self.conversation.transcript.append({"type": "undo", "after": change.after.commit})
        self._report_undo(change, report.restored, report.removed, report.skipped)

    def _report_undo(
        self,
        change: TurnChange,
        restored: list[str],
        removed: list[str],
        skipped: list[tuple[str, str]],
    ) -> None:
        lines = [f"Undid {change.label or 'the last turn'}:"]
        lines += [f"  restored {p}" for p in restored]
        lines += [f"  removed  {p}" for p in removed]
        lines += [f"  skipped  {p} ({why})" for p, why in skipped]
        self.say("\n".join(lines), "info")
        touched = ", ".join([*restored, *removed]) or "nothing"
        self.conversation.note(
            f"[The user undid the file changes of an earlier turn ({change.label}). These files "
            f"are back to their earlier state: {touched}. Read them again before editing.]"
        )

    def show_diff(self) -> None:
        store = self.store
        if store is None or self.session_start is None:
            self.say("No changes recorded in this session yet.", "info")
            return
        try:
            text = store.diff_text(self.session_start, store.snapshot("for /diff"))
        except CheckpointError as exc:
            self.say(f"No diff: {exc}", "error")
            return
        if not text:
            self.say("No changes in this session.", "info")
            return
        from rich.syntax import Syntax

        self.console.print(Syntax(text, "diff", theme="ansi_dark", word_wrap=True))

    def load(self, records: Iterable[dict[str, Any]]) -> None:
        """Rebuild the undo stack from a resumed transcript's records."""
        store = self.store
        if store is None:
            self.undo_stack = []
            return
        stack: list[TurnChange] = []
        for record in records:
            if record.get("type") == "undo" and stack:
                stack.pop()
            elif record.get("type") == "checkpoint":
                with contextlib.suppress(CheckpointError, KeyError, TypeError):
                    before = store.snapshot_of(str(record["before"]))
                    after = store.snapshot_of(str(record["after"]))
                    paths = tuple(str(p) for p in record["paths"])
                    stack.append(TurnChange(before, after, paths, str(record.get("label", ""))))
        self.undo_stack = stack


def _nothing() -> None:
    pass


class _EarlySnapshot:
    """A snapshot being taken on its own thread; ``wait`` returns once it is done. A failure
    is kept for the chat's thread to report."""

    def __init__(self, store: CheckpointStore, label: str) -> None:
        self.result: Snapshot | None = None
        self.error: CheckpointError | None = None
        self._thread = threading.Thread(
            target=self._take, args=(store, label), name="devagent-checkpoint", daemon=True
        )
        self._thread.start()

    def _take(self, store: CheckpointStore, label: str) -> None:
        try:
            self.result = store.snapshot(label)
        except CheckpointError as exc:
            self.error = exc

    def wait(self) -> None:
        self._thread.join()
