"""Append-only JSONL transcripts: where they live, how they are written, and how they load.

Layout: ``$DEVAGENT_HOME/sessions/<project-slug>/<session-id>.jsonl``. The first line is a
header carrying ``schema_version``. Each later line is one self-contained record, written and
fsynced as it happens, so a crash loses at most the line being written; a truncated last line
is skipped on load. Directories are 0700 and files 0600: transcripts hold what the model read.
One process writes a session at a time: ``Transcript`` holds an exclusive ``flock`` on its file.
``SessionStore`` is one project's folder of sessions: new ones (``LazyTranscript`` makes the
file only when the first record arrives), stored ones to continue, and the list to pick from.

Records: ``header``; ``message`` (one message of the history, in the API's shape: an image
keeps its base64, which a resumed conversation sends again); ``compaction`` (the history that
replaced everything before it); ``usage`` (tokens and dollars spent since the previous
``usage`` record, and the context the last request held: ``UsageLog`` writes them, ``spent``
adds them up, so a session's totals survive any number of runs that continued it).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import fcntl
import hashlib
import json
import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devagent.errors import SessionLockedError, UsageError
from devagent.messages import Message, Usage, is_prompt

SCHEMA_VERSION = 1
_SECRET = re.compile(r"(sk-ant-[A-Za-z0-9_\-]{8,}|sk-[A-Za-z0-9]{20,}|gh[pousr]_[A-Za-z0-9]{20,})")


def redact(text: str) -> str:
    """Mask strings shaped like API keys before they reach the disk."""
    return _SECRET.sub("[REDACTED]", text)


def project_slug(workspace: Path) -> str:
    """A folder name for a workspace: readable tail plus a hash so paths never collide."""
    text = os.fspath(workspace)
    tail = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[-60:] or "root"
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    return f"{tail}-{digest}"


def new_session_id() -> str:
    return uuid.uuid4().hex


def sessions_dir(home: Path, workspace: Path) -> Path:
    return home / "sessions" / project_slug(workspace)


class Transcript:
    """Writes one session's JSONL file; every record is flushed and fsynced.

    The file is held under an exclusive ``flock`` from open to ``close()`` (the kernel drops
    it if the process dies), so a second devagent process cannot append to the same session:
    it gets ``SessionLockedError`` and the file is left untouched.
    """

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            _lock(fd, str(header.get("session_id") or path.stem))
        except BaseException:
            os.close(fd)
            raise
        # Only now, with the lock held, may anything be written.
        self._file = os.fdopen(fd, "a", encoding="utf-8")
        self.warning: str | None = None
        if os.fstat(fd).st_size == 0:
            self.append({"type": "header", "schema_version": SCHEMA_VERSION, **header})
        elif not _ends_with_newline(path):
            # A crash cut the last line short: start a fresh line so the next record is whole.
            self._file.write("\n")
            self._file.flush()

    def append(self, record: dict[str, Any]) -> None:
        if self._file.closed or self.warning:
            return
        line = redact(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        try:
            self._file.write(line + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            # A full disk must not end the run: keep going in memory, say so once.
            self.warning = f"transcript writing stopped: {exc.strerror or exc}"

    def message(self, message: Message) -> None:
        self.append({"type": "message", "time": _now(), "message": message})

    def close(self) -> None:
        """Close the file, which also releases the session's lock."""
        if not self._file.closed:
            self._file.close()


def _lock(fd: int, session_id: str) -> None:
    """Take the session's lock without waiting; a filesystem without ``flock`` runs unlocked."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SessionLockedError(
            f"session {session_id} is open in another devagent process; "
            "wait for it to finish or start a new session."
        ) from None
    except OSError:
        pass  # e.g. ENOLCK: the lock is advisory, so carry on rather than refuse to record


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")


@dataclass
class LoadedSession:
    header: dict[str, Any]
    messages: list[Message]
    records: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def load(path: Path) -> LoadedSession:
    """Read a transcript; skip a truncated or corrupt line with a warning; never rewrite it."""
    lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
    records: list[dict[str, Any]] = []
    warnings: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            where = "last line (truncated)" if number >= len(lines) - 1 else f"line {number}"
            warnings.append(f"{path.name}: skipped unreadable {where}")
            continue
        if isinstance(record, dict):
            records.append(record)
    header = records[0] if records and records[0].get("type") == "header" else {}
    version = header.get("schema_version", 0)
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise UsageError(f"{path} was written by a newer devagent (schema {version}); upgrade.")
    messages: list[Message] = []
    for record in records:
        if record.get("type") == "message" and "message" in record:
            messages.append(record["message"])
        elif record.get("type") == "compaction" and isinstance(record.get("messages"), list):
            # A compaction replaced the history so far by the context it carries.
            messages = list(record["messages"])
    return LoadedSession(header, messages, records, warnings)


@dataclass(frozen=True)
class Spent:
    """What a session has spent so far, and the context its last request held."""

    usage: Usage
    cost_usd: float
    context: Usage
    unpriced: bool = False  # some of it had no known price


def spent(records: list[dict[str, Any]]) -> Spent | None:
    """The sum of a transcript's ``usage`` records (None when it has none)."""
    total, cost, context, unpriced = Usage(), 0.0, None, False
    for record in records:
        if record.get("type") != "usage":
            continue
        usage, last = _usage(record.get("usage")), _usage(record.get("context"))
        amount = record.get("cost_usd")
        if usage is None or last is None or not isinstance(amount, int | float):
            continue  # a damaged record: skip it rather than guess
        total.add(usage)
        cost += float(amount)
        context = last
        unpriced = unpriced or record.get("cost_unknown") is True
    return None if context is None else Spent(total, cost, context, unpriced)


def _usage(value: object) -> Usage | None:
    if not isinstance(value, dict):
        return None
    usage = Usage()
    for key in (*usage.as_dict(), "web_search_requests"):
        count = value.get(key, 0)
        if not isinstance(count, int) or isinstance(count, bool):
            return None
        setattr(usage, key, count)
    return usage


def _counts(usage: Usage) -> dict[str, int]:
    """The counts a ``usage`` record keeps: the tokens, and web searches when there were any."""
    counts = usage.as_dict()
    if usage.web_search_requests:
        counts["web_search_requests"] = usage.web_search_requests
    return counts


class UsageLog:
    """Writes ``usage`` records: each holds what was spent since the one before.

    ``mark`` sets the totals already accounted for (zero for a new run; a resumed chat's
    restored totals); ``record`` writes the difference, if any, and marks the new totals.
    """

    def __init__(self) -> None:
        self._usage = Usage()
        self._cost = 0.0

    def mark(self, usage: Usage, cost_usd: float) -> None:
        self._usage = dataclasses.replace(usage)
        self._cost = cost_usd

    def record(
        self,
        transcript: Transcript,
        usage: Usage,
        cost_usd: float,
        context: Usage,
        unpriced: bool = False,
    ) -> None:
        """``unpriced``: some usage so far had no known price (``cost_usd`` is the priced
        part); the record then says ``"cost_unknown": true``."""
        now, before = _counts(usage), _counts(self._usage)
        delta = {key: now[key] - before.get(key, 0) for key in now}
        if not any(delta.values()) and cost_usd <= self._cost:
            return
        record: dict[str, Any] = {
            "type": "usage",
            "time": _now(),
            "usage": delta,
            "cost_usd": round(cost_usd - self._cost, 8),
            "context": context.as_dict(),
        }
        if unpriced:
            record["cost_unknown"] = True
        transcript.append(record)
        self.mark(usage, cost_usd)


def prompt_count(records: list[dict[str, Any]]) -> int:
    """How many messages the user sent in a transcript (tool results are not counted)."""
    return sum(
        1
        for record in records
        if record.get("type") == "message"
        and isinstance(record.get("message"), dict)
        and is_prompt(record["message"])
    )


def continue_session(path: Path, header: dict[str, Any]) -> tuple[Transcript, LoadedSession]:
    """Open (and lock) the transcript at ``path``, then read what it holds.

    Locking first means a session another devagent process has open is refused
    (``SessionLockedError``) before anything is read or written, and that nobody can append
    between reading the history and writing after it.
    """
    transcript = Transcript(path, header)
    try:
        return transcript, load(path)
    except BaseException:
        transcript.close()
        raise


class LazyTranscript(Transcript):
    """A ``Transcript`` that opens its file when the first record arrives."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self.path = path
        self.warning: str | None = None
        self._header = header
        self._real: Transcript | None = None

    def append(self, record: dict[str, Any]) -> None:
        if self._real is None:
            self._real = Transcript(self.path, self._header)
        self._real.append(record)
        self.warning = self._real.warning

    def close(self) -> None:
        if self._real is not None:
            self._real.close()
            self.warning = self._real.warning


@dataclass(frozen=True)
class SessionInfo:
    """One stored session as the picker shows it: its first prompt, when it was last
    written, how many messages the user sent and the file's size."""

    id: str
    path: Path
    modified: float
    preview: str
    messages: int = 0
    size: int = 0


@dataclass
class SessionStore:
    """The project's session folder and the header fields every new transcript gets."""

    folder: Path
    header: dict[str, Any]

    def path(self, session_id: str) -> Path:
        return self.folder / f"{session_id}.jsonl"

    def open(self, session_id: str) -> Transcript:
        """The session's transcript; its file is made on the first record, so a chat left
        without a message leaves no empty session for ``--continue`` to pick."""
        return LazyTranscript(self.path(session_id), {"session_id": session_id, **self.header})

    def create(self, session_id: str) -> Transcript:
        """The session's transcript, its file made (and locked) now."""
        return Transcript(self.path(session_id), {"session_id": session_id, **self.header})

    def continue_at(self, path: Path) -> tuple[Transcript, LoadedSession]:
        """A stored session's transcript, opened and locked now, and what it holds."""
        return continue_session(path, {"session_id": path.stem, **self.header})

    def find(self, session_id: str) -> Path | None:
        """The transcript of ``session_id`` in this folder (an id, not a path elsewhere)."""
        path = self.path(session_id)
        return path if path.is_file() and path.parent == self.folder else None

    def latest(self) -> Path | None:
        """The transcript written last."""
        found = sorted(self.folder.glob("*.jsonl"), key=lambda p: p.stat().st_mtime)
        return found[-1] if found else None

    def list(self) -> list[SessionInfo]:
        """Sessions of this project, newest first."""
        if not self.folder.is_dir():
            return []
        infos = [_info(p) for p in self.folder.glob("*.jsonl")]
        return sorted(
            (info for info in infos if info is not None),
            key=lambda info: info.modified,
            reverse=True,
        )


def _info(path: Path) -> SessionInfo | None:
    """What the picker shows of one transcript; None when it cannot be read."""
    try:
        st = path.stat()
        with open(path, encoding="utf-8", errors="replace") as handle:
            preview, count = _scan(handle)
    except OSError:
        return None
    return SessionInfo(path.stem, path, st.st_mtime, preview, count, st.st_size)


def _scan(lines: Iterable[str]) -> tuple[str, int]:
    """The first prompt's words and the number of prompts, parsing only user messages."""
    preview, count = "", 0
    for line in lines:
        if '"role":"user"' not in line:
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        message = record.get("message") if isinstance(record, dict) else None
        if record.get("type") != "message" or not isinstance(message, dict):
            continue
        if is_prompt(message):
            count += 1
            preview = preview or " ".join(_plain_text(message.get("content")).split())[:70]
    return preview, count


def _plain_text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(b.get("text", "")) for b in content if isinstance(b, dict) and "text" in b
        )
    return ""
