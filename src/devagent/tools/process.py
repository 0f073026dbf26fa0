"""Running a command in its own process group with bounded capture, drain and kill; background jobs.

Guarantees of ``RunningCommand``:
- stdin is /dev/null; stdout and stderr share one pipe, so the output keeps its order.
- Captured output is bounded: the first and last halves of ``OUTPUT_LIMIT_CHARS`` are kept and
  the middle is counted and dropped, so 200 MB of output costs well under a megabyte.
- ``wait`` returns in bounded time. On timeout the group gets SIGTERM, then SIGKILL after
  ``TERM_GRACE_S``; on cancel it gets SIGINT, SIGTERM, SIGKILL with short graces. After the main
  process exits, a pipe still held by a grandchild is drained for at most ``DRAIN_AFTER_EXIT_S``.
- Nothing outlives the command: once the main process has ended, whatever is left in its
  process group is stopped (SIGTERM, then SIGKILL), and so is every process that left the group
  (below). Long-lived processes belong in background jobs, which run until killed or until the
  run shuts down (``JobRegistry.kill_all``, and an ``atexit`` hook as a last resort).

Leaving the group, with no sandbox or PID namespace (Linux):
- When the first command starts, devagent makes itself a child subreaper
  (``PR_SET_CHILD_SUBREAPER``): a process whose parent dies is re-parented to devagent instead
  of init, so ``setsid``, a daemon's double fork and ``env -i`` no longer hide it. Parentage is
  set by the kernel; a child cannot shed it.
- When a command ends, the strays re-parented to devagent that are its own are stopped, with
  everything below them. A stray is the command's if it is in the command's session or carries its
  environment tag (``DEVAGENT_CMD``); one that shed both (``setsid env -i``) is taken to be the
  finished command's if it started after that command did (an older one is left for the exit
  sweep). Strays marked by another live command (a background job) are left to it, and devagent's
  other children (git, ripgrep: they share devagent's session, which no command's descendant can
  rejoin) are never touched. Code that starts a child in a new session of its own must start it
  through ``spawn_owned``.
- Strays that die become devagent's zombies. They are reaped by pid (when a command ends, and
  every ``REAP_EVERY_S`` while one runs), never by ``waitpid(-1)``, which would steal the exit
  status of a child some ``Popen`` is waiting for.
- At exit (``atexit``; SIGTERM reaches it because the CLI turns SIGTERM into an exception) every
  process below devagent is stopped.

Escapes that remain:
- A process that changes user (sudo, a setuid program) cannot be signalled.
- Work handed to a service that is not devagent's descendant (``systemd-run``, an already
  running tmux server, docker, at/cron) runs outside devagent's tree.
- An unmarked stray (``setsid env -i``) of a command that is still running can be taken for the
  stray of another command that ends meanwhile (a background job, a parallel subagent) and
  stopped early.
- Elsewhere than Linux the subreaper and /proc are missing, so only the process group is
  stopped.
- If devagent itself is SIGKILLed (or killed by a signal it does not handle, such as SIGHUP when
  its terminal closes), nothing runs at that moment and its commands keep running, re-parented to
  init (or to the nearest subreaper above devagent). Each command carries its owner's identity in
  the environment, and ``reap_orphans`` (called when devagent starts) kills commands whose owner
  is gone; one that cleared its environment is not found.
"""

from __future__ import annotations

import atexit
import codecs
import contextlib
import ctypes
import fcntl
import os
import secrets
import select
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

OUTPUT_LIMIT_CHARS = 30_000
TERM_GRACE_S = 2.0
DRAIN_AFTER_EXIT_S = 1.0
POST_KILL_DRAIN_S = 0.5
SWEEP_GRACE_S = 0.5
SETTLE_S = 0.1
SETTLE_POLL_S = 0.005
POLL_S = 0.05
READ_CHUNK = 1 << 20
PIPE_SIZE = 1 << 20
SWEEP_ROUNDS = 5
REAP_EVERY_S = 1.0
PR_SET_CHILD_SUBREAPER = 36

TAG_VAR = "DEVAGENT_CMD"
OWNER_VAR = "DEVAGENT_OWNER"

Outcome = Literal["exited", "timed_out", "interrupted"]
JobStatus = Literal["running", "exited", "killed"]
Steps = tuple[tuple[signal.Signals, float], ...]

INTERRUPT_STEPS: Steps = (
    (signal.SIGINT, 0.5),
    (signal.SIGTERM, 0.7),
    (signal.SIGKILL, 0.5),
)

_PROC = Path("/proc")
_DEAD_STATES = ("Z", "X", "x")

_Popen = TypeVar("_Popen", bound="subprocess.Popen[Any]")


class OutputBuffer:
    """The head and tail of a stream of text, counting what was dropped between them.

    Thread-safe: a background job's reader feeds it while ``take`` empties it.
    """

    def __init__(self, limit: int = OUTPUT_LIMIT_CHARS) -> None:
        self._head_limit = limit // 2
        self._tail_limit = limit - self._head_limit
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._head: list[str] = []
        self._head_len = 0
        self._tail = ""
        self.cut_chars = 0
        self.cut_lines = 0

    def feed(self, text: str) -> None:
        if not text:
            return
        with self._lock:
            room = self._head_limit - self._head_len
            if room > 0:
                piece = text[:room]
                self._head.append(piece)
                self._head_len += len(piece)
                text = text[room:]
            if text:
                self._push_tail(text)

    def _push_tail(self, text: str) -> None:
        tail = self._tail + text
        excess = len(tail) - self._tail_limit
        if excess > 0:
            self.cut_chars += excess
            self.cut_lines += tail.count("\n", 0, excess)
            tail = tail[excess:]
        self._tail = tail

    def render(self) -> str:
        """Everything kept, with a marker where the middle was cut."""
        with self._lock:
            return self._render()

    def take(self) -> str:
        """``render`` and start empty again (new output since the last read)."""
        with self._lock:
            text = self._render()
            self._reset()
            return text

    def _render(self) -> str:
        head = "".join(self._head)
        if not self.cut_chars:
            return head + self._tail
        marker = (
            f"\n\n[... {self.cut_chars:,} characters ({self.cut_lines:,} lines) cut from the "
            f"middle of the output; the first {self._head_len:,} and last {len(self._tail):,} "
            "characters are shown. Redirect the output to a file and use Grep or Read on it "
            "to see the rest ...]\n\n"
        )
        return head + marker + self._tail


# --- /proc helpers -----------------------------------------------------------------------


def _pids() -> list[int]:
    try:
        names = os.listdir(_PROC)
    except OSError:
        return []
    return [int(name) for name in names if name.isdigit()]


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat from the state on (the command name may hold spaces)."""
    try:
        raw = (_PROC / str(pid) / "stat").read_bytes()
    except OSError:
        return None
    return raw[raw.rfind(b")") + 2 :].decode("ascii", "replace").split()


def _is_live(fields: list[str] | None) -> bool:
    return fields is not None and fields[0] not in _DEAD_STATES


def _environ(pid: int) -> list[bytes] | None:
    try:
        return (_PROC / str(pid) / "environ").read_bytes().split(b"\0")
    except OSError:
        return None


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in process group ``pgid``."""
    if not _PROC.is_dir():
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    members = []
    for pid in _pids():
        fields = _stat_fields(pid)
        if _is_live(fields) and fields is not None and fields[2] == str(pgid):
            members.append(pid)
    return members


def tagged_pids(var: str, value: str) -> list[int]:
    """Live processes whose environment holds ``var=value`` (never this process)."""
    needle = f"{var}={value}".encode()
    me = os.getpid()
    return [
        pid
        for pid in _pids()
        if pid != me and needle in (_environ(pid) or ()) and _is_live(_stat_fields(pid))
    ]


def _start_time(pid: int) -> str | None:
    fields = _stat_fields(pid)
    return fields[19] if fields is not None and len(fields) > 19 else None


def owner_identity(pid: int | None = None) -> str:
    """``pid:start-time``, which stays unique when the pid is reused."""
    pid = os.getpid() if pid is None else pid
    return f"{pid}:{_start_time(pid) or '0'}"


def _owner_alive(identity: str) -> bool:
    pid_s, _, start = identity.partition(":")
    if not pid_s.isdigit():
        return True  # not ours to judge
    return _start_time(int(pid_s)) == start


def _ancestors() -> set[int]:
    chain = set()
    pid = os.getpid()
    while pid > 1 and pid not in chain:
        chain.add(pid)
        fields = _stat_fields(pid)
        if fields is None:
            break
        pid = int(fields[1])
    return chain


def _signal_pid(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def kill_pids(pids: Sequence[int], grace_s: float = SWEEP_GRACE_S) -> None:
    """SIGTERM each process, then SIGKILL those still alive after ``grace_s``."""
    for pid in pids:
        _signal_pid(pid, signal.SIGTERM)
    end = time.monotonic() + grace_s
    while time.monotonic() < end and any(_is_live(_stat_fields(p)) for p in pids):
        time.sleep(POLL_S)
    for pid in pids:
        if _is_live(_stat_fields(pid)):
            _signal_pid(pid, signal.SIGKILL)


def reap_orphans() -> int:
    """Kill commands left running by a devagent that is gone (it was SIGKILLed).

    Returns how many processes were killed. Linux only; elsewhere it finds nothing.
    """
    prefix = OWNER_VAR.encode() + b"="
    spared = _ancestors()
    orphans = []
    for pid in _pids():
        if pid in spared:
            continue
        owner = next((e[len(prefix) :] for e in _environ(pid) or () if e.startswith(prefix)), None)
        if owner is not None and not _owner_alive(owner.decode("ascii", "replace")):
            orphans.append(pid)
    kill_pids(orphans)
    return len(orphans)


# --- one command -------------------------------------------------------------------------


@dataclass(frozen=True)
class CommandResult:
    """How a command ended. ``leftovers`` counts processes stopped after the main one ended."""

    output: str
    outcome: Outcome
    exit_code: int | None
    leftovers: int = 0


# --- this process's children: the subreaper ------------------------------------------------

# Guards the pids below and the live commands; held while spawning and while choosing whom to
# kill or reap, so a sweep never takes a child started a moment ago for a stray.
_children_lock = threading.RLock()
_own_pids: set[int] = set()
_LIVE: weakref.WeakSet[RunningCommand] = weakref.WeakSet()
_enabled_in: int | None = None  # the pid that became a subreaper (a fork does not inherit it)
_subreaper = False
_atexit_registered = False


def _set_subreaper() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        zero = ctypes.c_ulong(0)
        result = libc.prctl(
            ctypes.c_int(PR_SET_CHILD_SUBREAPER), ctypes.c_ulong(1), zero, zero, zero
        )
    except (OSError, AttributeError):
        return False
    return int(result) == 0


def ensure_subreaper() -> bool:
    """Make this process a child subreaper and register the exit sweep; True if it is one.

    Called when the first command starts, not at import, so importing changes nothing. Once
    per process: a forked child inherits neither the flag nor the duty to clean up.
    """
    global _enabled_in, _subreaper, _atexit_registered
    with _children_lock:
        if _enabled_in != os.getpid():
            _enabled_in = os.getpid()
            _subreaper = _set_subreaper()
        if not _atexit_registered:
            atexit.register(_at_exit)
            _atexit_registered = True
        return _subreaper


def spawn_owned(start: Callable[[], _Popen]) -> _Popen:
    """Run ``start``, which spawns one child, and keep sweeps away from that child.

    Needed for a child in a new session (``start_new_session``): sweeps neither kill nor reap
    it until ``release_child``. Children in devagent's own session are safe without it.
    """
    ensure_subreaper()
    with _children_lock:
        proc = start()
        _own_pids.add(proc.pid)
    return proc


def release_child(proc: subprocess.Popen[Any]) -> None:
    """Forget a child of ``spawn_owned`` once its ``Popen`` has reaped it (not before: a sweep
    would then reap it and ``Popen`` would report exit code 0)."""
    if proc.returncode is not None:
        with _children_lock:
            _own_pids.discard(proc.pid)


@dataclass(frozen=True)
class _Proc:
    ppid: int
    sid: int
    start: int
    live: bool


def _snapshot() -> dict[int, _Proc]:
    """Parent, session, start time and liveness of every process, from one pass over /proc."""
    table: dict[int, _Proc] = {}
    for pid in _pids():
        fields = _stat_fields(pid)
        if fields is not None and len(fields) > 19:
            table[pid] = _Proc(int(fields[1]), int(fields[3]), int(fields[19]), _is_live(fields))
    return table


def _subtree(roots: Iterable[int], table: Mapping[int, _Proc]) -> list[int]:
    """The live processes among ``roots`` and everything below them."""
    children: dict[int, list[int]] = {}
    for pid, entry in table.items():
        children.setdefault(entry.ppid, []).append(pid)
    found: list[int] = []
    seen: set[int] = set()
    todo = list(roots)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        proc = table.get(pid)
        if proc is not None and proc.live:
            found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def _strays(table: Mapping[int, _Proc], *, live: bool) -> list[int]:
    """Children of this process that it did not start: processes re-parented to it.

    Children in our own session are skipped: every command runs in a session of its own that
    no descendant can leave for ours, so those are git, ripgrep and the like, whose ``Popen``
    must reap them. Children of ``spawn_owned`` are skipped for the same reason.
    """
    me, my_sid = os.getpid(), os.getsid(0)
    return [
        pid
        for pid, proc in table.items()
        if proc.ppid == me and proc.live == live and proc.sid != my_sid and pid not in _own_pids
    ]


def reap_strays() -> int:
    """Reap the zombies of strays that died; returns how many.

    One pid at a time, never ``waitpid(-1)``, which would take the exit status of a child a
    ``Popen`` is waiting for (it then reports exit code 0).
    """
    with _children_lock:
        dead = _strays(_snapshot(), live=False)
        for pid in dead:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
    return len(dead)


@dataclass(frozen=True)
class _Claim:
    """What marks a command's descendants unless they shed it: its session and its tag."""

    sid: int
    tag: str


def _claimant(pid: int, proc: _Proc, claims: Sequence[_Claim]) -> _Claim | None:
    for claim in claims:
        if proc.sid == claim.sid:
            return claim
    environ = _environ(pid) or ()
    for claim in claims:
        if f"{TAG_VAR}={claim.tag}".encode() in environ:
            return claim
    return None


def _strays_of(claim: _Claim, since: int | None) -> list[int]:
    """The strays of a finished command and everything below them.

    A stray marked by another live command is left to it. An unmarked one (it left the session
    and cleared its environment) is taken to be this command's if it started after the command
    did (``since``, in clock ticks); an older one cannot descend from it.
    """
    with _children_lock:
        table = _snapshot()
        claims = [claim, *(c.claim for c in _LIVE if c.claim != claim)]
        roots = []
        for pid in _strays(table, live=True):
            owner = _claimant(pid, table[pid], claims)
            unmarked_and_newer = owner is None and since is not None and table[pid].start >= since
            if owner == claim or unmarked_and_newer:
                roots.append(pid)
        return _subtree(roots, table)


def _settled_members(pgid: int) -> list[int]:
    """The group's members once those already on their way out are gone (``SETTLE_S`` at
    most): a sandbox's init process reports the command's exit a moment before it exits
    itself, and it is not something the command left running."""
    end = time.monotonic() + SETTLE_S
    members = group_members(pgid)
    while members and time.monotonic() < end:
        time.sleep(SETTLE_POLL_S)
        members = group_members(pgid)
    return members


def _await_death(pids: Sequence[int], limit_s: float) -> None:
    end = time.monotonic() + limit_s
    while time.monotonic() < end and any(_is_live(_stat_fields(p)) for p in pids):
        time.sleep(POLL_S)


def _stop_in_rounds(find: Callable[[], list[int]], grace_s: float) -> set[int]:
    """Stop what ``find`` returns until it returns nothing: a process may fork while its
    siblings die, and its children re-parent to us after its own death."""
    stopped: set[int] = set()
    for _ in range(SWEEP_ROUNDS):
        pids = find()
        if not pids:
            break
        stopped.update(pids)
        kill_pids(pids, grace_s)
        _await_death(pids, POST_KILL_DRAIN_S)
        grace_s = 0.0
    reap_strays()
    return stopped


def _descendants() -> list[int]:
    me = os.getpid()
    return [pid for pid in _subtree([me], _snapshot()) if pid != me]


def kill_descendants(grace_s: float = SWEEP_GRACE_S) -> int:
    """Stop every process below this one (the exit sweep); returns how many there were."""
    return len(_stop_in_rounds(_descendants, grace_s))


def _at_exit() -> None:
    if os.getpid() != _enabled_in:
        return  # a forked copy: the children are its parent's to stop
    _kill_live_commands()
    kill_descendants()


def _track(command: RunningCommand) -> None:
    with _children_lock:
        _LIVE.add(command)


def _untrack(command: RunningCommand) -> None:
    with _children_lock:
        _LIVE.discard(command)


def _kill_live_commands() -> None:
    with _children_lock:
        commands = list(_LIVE)
    for command in commands:
        command.kill_now()


class RunningCommand:
    """One command in its own process group, its output pumped into a bounded buffer."""

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        fd: int,
        tag: str,
        buffer: OutputBuffer,
        term_grace_s: float,
    ) -> None:
        self._proc = proc
        self._fd = fd
        self.tag = tag
        self.buffer = buffer
        self._term_grace_s = term_grace_s
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        # poll, not select: select fails on descriptors above 1023 in a long session.
        self._poller = select.poll()
        self._poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        self._eof = False
        self._stopped = False
        self._closed = False
        self.claim = _Claim(proc.pid, tag)  # start_new_session: the session id is the pid
        start = _start_time(proc.pid)
        self._since = int(start) if start is not None and start.isdigit() else None

    @classmethod
    def start(
        cls,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        buffer: OutputBuffer | None = None,
        term_grace_s: float = TERM_GRACE_S,
    ) -> RunningCommand:
        """Spawn ``argv`` in a new session. Raises ``OSError`` if it cannot be started."""
        tag = secrets.token_hex(8)
        full_env = {**env, TAG_VAR: tag, OWNER_VAR: owner_identity()}
        # Held until the command is tracked, so a sweep sees the new session as claimed.
        with _children_lock:
            proc = spawn_owned(
                lambda: subprocess.Popen(
                    list(argv),
                    cwd=cwd,
                    env=full_env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    close_fds=True,
                )
            )
            command = cls._adopt(proc, tag, buffer or OutputBuffer(), term_grace_s)
            _track(command)
        return command

    @classmethod
    def _adopt(
        cls, proc: subprocess.Popen[bytes], tag: str, buffer: OutputBuffer, term_grace_s: float
    ) -> RunningCommand:
        if proc.stdout is None:  # pragma: no cover - stdout=PIPE always sets it
            raise OSError("no pipe for the command's output")
        fd = proc.stdout.fileno()
        os.set_blocking(fd, False)
        with contextlib.suppress(OSError, AttributeError):
            # Fewer wake-ups for chatty commands; not every platform allows it.
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        return cls(proc, fd, tag, buffer, term_grace_s)

    @property
    def pgid(self) -> int:
        return self._proc.pid

    def wait(self, *, timeout_s: float | None, cancel: threading.Event) -> CommandResult:
        """Run to the end, a timeout, or ``cancel``; leave no process of this command behind."""
        leftovers = 0
        try:
            outcome = self._wait_main(timeout_s, cancel)
            if outcome == "exited" and self._drain(DRAIN_AFTER_EXIT_S, cancel):
                outcome = "interrupted"
            leftovers = self._stop(outcome)
            self._drain(POST_KILL_DRAIN_S, None)
        finally:
            self._close()
        return CommandResult(self.buffer.render(), outcome, self._proc.returncode, leftovers)

    def _wait_main(self, timeout_s: float | None, cancel: threading.Event) -> Outcome:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        next_reap = time.monotonic() + REAP_EVERY_S
        while True:
            if cancel.is_set():
                return "interrupted"
            if self._proc.poll() is not None:
                return "exited"
            if time.monotonic() >= next_reap:
                # A long job whose strays die on their own must not fill the pid table.
                reap_strays()
                next_reap = time.monotonic() + REAP_EVERY_S
            pause = POLL_S
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return "timed_out"
                pause = min(pause, left)
            self._pump(pause)

    def _drain(self, limit_s: float, cancel: threading.Event | None) -> bool:
        """Read until EOF or ``limit_s``; True if ``cancel`` was set meanwhile."""
        end = time.monotonic() + limit_s
        while not self._eof:
            if cancel is not None and cancel.is_set():
                return True
            left = end - time.monotonic()
            if left <= 0:
                break
            self._pump(min(POLL_S, left))
        return False

    def _pump(self, timeout_s: float) -> None:
        if self._eof:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout_s)
            return
        if not self._poller.poll(max(0, int(timeout_s * 1000))):
            return
        try:
            data = os.read(self._fd, READ_CHUNK)
        except BlockingIOError:
            return
        if not data:
            self._eof = True
        self.buffer.feed(self._decoder.decode(data, final=not data))

    def _stop(self, outcome: Outcome) -> int:
        """Stop what is left of the command; return how many processes that were."""
        members = _settled_members(self.pgid) if outcome == "exited" else group_members(self.pgid)
        if outcome == "interrupted":
            steps = INTERRUPT_STEPS
        else:
            steps = ((signal.SIGTERM, self._term_grace_s), (signal.SIGKILL, POST_KILL_DRAIN_S))
        if members:
            self._escalate(steps)
        escaped = tagged_pids(TAG_VAR, self.tag)
        if escaped:
            kill_pids(escaped)
        strays = _stop_in_rounds(lambda: _strays_of(self.claim, self._since), SWEEP_GRACE_S)
        self._stopped = True
        self._proc.poll()
        if outcome != "exited":
            return 0
        return len(({*members} - {self.pgid}) | {*escaped} | strays)

    def _escalate(self, steps: Steps) -> None:
        for sig, grace_s in steps:
            _signal_group(self.pgid, sig)
            end = time.monotonic() + grace_s
            while time.monotonic() < end:
                self._proc.poll()
                if not group_members(self.pgid):
                    return
                self._pump(POLL_S)

    def kill_now(self) -> None:
        """SIGKILL the group and any escaped process at once (exit paths, errors)."""
        if self._stopped:
            return
        self._stopped = True
        if group_members(self.pgid):
            _signal_group(self.pgid, signal.SIGKILL)
        for pid in {*tagged_pids(TAG_VAR, self.tag), *_strays_of(self.claim, self._since)}:
            _signal_pid(pid, signal.SIGKILL)

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.kill_now()
        if not self._eof:
            self.buffer.feed(self._decoder.decode(b"", final=True))
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=1.0)
        _untrack(self)
        release_child(self._proc)


# --- background jobs ---------------------------------------------------------------------


class BackgroundJob:
    """A command running on its own thread; its unread output waits in a bounded buffer."""

    def __init__(self, job_id: str, command: str, running: RunningCommand) -> None:
        self.id = job_id
        self.command = command
        self._running = running
        self._stop = threading.Event()
        self._result: CommandResult | None = None
        self._thread = threading.Thread(target=self._wait, name=f"devagent-{job_id}", daemon=True)
        self._thread.start()

    def _wait(self) -> None:
        self._result = self._running.wait(timeout_s=None, cancel=self._stop)

    @property
    def status(self) -> JobStatus:
        if self._thread.is_alive():
            return "running"
        if self._result is not None and self._result.outcome == "interrupted":
            return "killed"
        return "exited"

    @property
    def exit_code(self) -> int | None:
        return None if self._result is None else self._result.exit_code

    def read_new(self) -> str:
        """Output produced since the previous call."""
        return self._running.buffer.take()

    def request_kill(self) -> None:
        self._stop.set()

    def join(self, timeout_s: float) -> bool:
        """Wait for the job to end; True if it has."""
        self._thread.join(max(0.0, timeout_s))
        return not self._thread.is_alive()

    def kill(self, timeout_s: float = 5.0) -> bool:
        """Interrupt the job's group (SIGINT, SIGTERM, SIGKILL); True once it has ended."""
        self.request_kill()
        return self.join(timeout_s)


class JobRegistry:
    """The background jobs of one run, with ids ``bash_1``, ``bash_2``, ..."""

    def __init__(self) -> None:
        self._jobs: dict[str, BackgroundJob] = {}
        self._counter = 0
        self._lock = threading.Lock()

    def start(
        self, argv: Sequence[str], *, command: str, cwd: Path, env: Mapping[str, str]
    ) -> BackgroundJob:
        """Start a job. Raises ``OSError`` if the command cannot be started."""
        running = RunningCommand.start(argv, cwd=cwd, env=env)
        with self._lock:
            self._counter += 1
            job = BackgroundJob(f"bash_{self._counter}", command, running)
            self._jobs[job.id] = job
        return job

    def get(self, job_id: str) -> BackgroundJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def ids(self) -> list[str]:
        with self._lock:
            return list(self._jobs)

    def kill_all(self, timeout_s: float = 5.0) -> None:
        """Stop every job and wait (bounded) for them to end."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.request_kill()
        end = time.monotonic() + timeout_s
        for job in jobs:
            job.join(end - time.monotonic())
