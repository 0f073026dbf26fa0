"""The Tool seam: what a tool is, what it gets to work with, and what it returns.

Guarantees a tool must keep:
- ``prepare`` validates and computes but changes nothing on disk or in the world; it raises
  ``ToolError`` for anything the model got wrong. What it returns describes exactly what
  ``execute`` will do (the paths it touches, the bytes it writes, the command it runs), so
  the permission engine and the approver judge the real action.
- ``PreparedCall.execute`` performs the action. It re-checks anything that may have changed
  since ``prepare`` (a file edited on disk while the approval prompt was open) and raises
  ``ToolError`` rather than act on stale data.
- A failure the model can fix is a ``ToolError`` whose message says what failed, shows the
  closest real text where that helps, and says what to do next.
"""

from __future__ import annotations

import hashlib
import os
import threading
from abc import ABC
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from devagent.messages import Block
from devagent.toolkinds import ToolKind, read_only_by_default
from devagent.tools.launch import Launcher

Args = Mapping[str, Any]
T = TypeVar("T")


class ToolError(Exception):
    """A failure reported to the model as an ``is_error`` tool_result."""


class ToolInterrupted(Exception):
    """The user interrupted the tool (Ctrl-C); carries any output captured so far."""

    def __init__(self, partial_output: str = "") -> None:
        super().__init__("interrupted by user")
        self.partial_output = partial_output


@dataclass(frozen=True)
class ToolResult:
    """What a call returns: ``content`` is the text the model and the user see;
    ``attachments`` are blocks only the model gets, after the text (an ``image`` block);
    ``final``, when set, ends the run after this call with it as the run's result (a plan
    nobody here can approve)."""

    content: str
    is_error: bool = False
    attachments: tuple[Block, ...] = ()
    final: str | None = None


@dataclass(frozen=True)
class FileChange:
    """One file a call will change. ``before``/``after`` of None mean absent (add/delete).

    ``view`` is a readable form of the change, (before, after) as text, that the approval diff
    shows instead of the bytes when those are hard to read (a notebook's JSON: its edited cell).
    """

    path: Path
    before: bytes | None
    after: bytes | None
    move_to: Path | None = None
    view: tuple[str, str] | None = None


@dataclass(frozen=True)
class Fingerprint:
    """Identity and content of a file when it was last read by the model."""

    dev: int
    ino: int
    size: int
    mtime_ns: int
    sha256: str

    @staticmethod
    def of(path: Path, data: bytes) -> Fingerprint:
        st = os.stat(path)
        return Fingerprint(
            st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, hashlib.sha256(data).hexdigest()
        )


class ReadLedger:
    """Which files the model has read in this run, and what they held at the time.

    Keys are real paths (``os.path.realpath``). Edit tools require an entry and refuse when
    the file on disk no longer matches it ("read it again").
    """

    def __init__(self) -> None:
        self._seen: dict[str, Fingerprint] = {}
        self._lock = threading.Lock()

    def record(self, path: Path, data: bytes) -> None:
        fp = Fingerprint.of(path, data)
        with self._lock:
            self._seen[os.path.realpath(path)] = fp

    def get(self, path: Path) -> Fingerprint | None:
        with self._lock:
            return self._seen.get(os.path.realpath(path))

    def forget(self, path: Path) -> None:
        with self._lock:
            self._seen.pop(os.path.realpath(path), None)


@dataclass
class ToolContext:
    """What every tool call works with. One per run; sub-agents get their own.

    ``workspace`` is the real path of the workspace root. ``cwd`` is where Bash runs next
    (a ``cd`` persists within a run). ``cancel`` is set when the user interrupts.
    ``state`` holds tool-private state (background jobs, todos) via ``state_for``.
    ``launcher`` decides how Bash commands run (the sandbox); None runs them as they are.
    """

    workspace: Path
    cwd: Path
    ledger: ReadLedger = field(default_factory=ReadLedger)
    cancel: threading.Event = field(default_factory=threading.Event)
    state: dict[str, object] = field(default_factory=dict)
    launcher: Launcher | None = None

    def state_for(self, key: str, factory: Callable[[], T]) -> T:
        if key not in self.state:
            self.state[key] = factory()
        value: Any = self.state[key]
        return value  # type: ignore[no-any-return]


@dataclass
class PreparedCall:
    """A validated call, ready to run once permission is granted.

    ``paths`` are the resolved paths the call reads or writes (for path rules);
    ``changes`` the exact file changes it will make (for the diff shown on approval);
    ``command`` the shell command it will run (for Bash rules).
    """

    execute: Callable[[], ToolResult]
    paths: tuple[Path, ...] = ()
    changes: tuple[FileChange, ...] = ()
    command: str | None = None


class Tool(ABC):
    """One tool. Subclasses set the class attributes and implement ``run`` or ``prepare``.

    ``kind`` says what the tool is (``devagent.toolkinds``); permissions, the approver, the
    tool view and review go by it. ``read_only`` (the call changes nothing, so it may run
    alongside other read-only calls) follows from the kind; a class sets it only to differ.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    input_schema: ClassVar[dict[str, Any]]
    kind: ClassVar[ToolKind] = "other"
    read_only: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "read_only" not in cls.__dict__:
            cls.read_only = read_only_by_default(cls.kind)

    def describe(self) -> str:
        """The description the model sees; tools whose text depends on the run override it."""
        return self.description

    def prepare(self, args: Args, ctx: ToolContext) -> PreparedCall:
        """Validate and plan the call. The default defers all work to ``run``."""
        return PreparedCall(execute=lambda: self.run(args, ctx))

    def run(self, args: Args, ctx: ToolContext) -> ToolResult:
        """Do the work. Tools that override ``prepare`` need not implement this."""
        raise NotImplementedError(f"{self.name} implements prepare() instead of run()")
