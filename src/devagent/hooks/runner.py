"""Running hook commands: all of one event's at once, each in its own process group.

Guarantees of ``run_commands``:
- each command runs through the shell (``bash -c``, else ``sh -c``) in a new session, with the
  event's JSON on stdin and stdout and stderr captured apart (at most ``OUTPUT_LIMIT`` bytes of
  each are kept);
- the commands run in parallel; the call returns when every one has ended, or been stopped;
- a command past its timeout, or every command once ``cancel`` is set or the waiting thread is
  interrupted (Ctrl-C), gets SIGTERM and then SIGKILL on its whole process group; a set
  ``cancel`` (the user interrupted the turn) then raises ``KeyboardInterrupt``, as Ctrl-C does;
- nothing a hook started outlives it: when it ends, what is left of its group is killed, and
  so is any process that carries its environment tag (``DEVAGENT_CMD``) after leaving the
  group; its owner's identity goes with it (``DEVAGENT_OWNER``), so devagent's start-up sweep
  finds hooks a killed devagent left behind (``devagent.tools.process``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from devagent.hooks.config import HookCommand
from devagent.tools.process import (
    OWNER_VAR,
    TAG_VAR,
    group_members,
    kill_pids,
    owner_identity,
    release_child,
    spawn_owned,
    tagged_pids,
)

OUTPUT_LIMIT = 1 << 20
TERM_GRACE_S = 0.5
KILL_WAIT_S = 1.0
POLL_S = 0.05

RunStatus = Literal["exited", "timed_out", "interrupted", "failed_to_start"]


@dataclass(frozen=True)
class HookRun:
    """What one command did: its exit code (None unless it exited), stdout and stderr."""

    hook: HookCommand
    status: RunStatus
    exit_code: int | None
    stdout: str
    stderr: str
    pid: int | None = None


def shell() -> str:
    return shutil.which("bash") or "/bin/sh"


def run_commands(
    hooks: Sequence[HookCommand],
    payload: bytes,
    *,
    cwd: Path,
    env: Mapping[str, str],
    cancel: threading.Event | None = None,
) -> list[HookRun]:
    """Run ``hooks`` in parallel (see the module docstring); results in ``hooks``' order."""
    if not hooks:
        return []
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=len(hooks), thread_name_prefix="devagent-hook") as pool:
        futures = [pool.submit(_run_one, h, payload, cwd, env, stop) for h in hooks]
        try:
            _wait_all(futures, cancel, stop)
        except BaseException:
            stop.set()  # Ctrl-C here: every group is killed before the interrupt goes on
            wait(futures)
            raise
    if cancel is not None and cancel.is_set():
        raise KeyboardInterrupt("interrupted while hooks ran")
    return [f.result() for f in futures]


def _wait_all(
    futures: list[Future[HookRun]], cancel: threading.Event | None, stop: threading.Event
) -> None:
    pending = set(futures)
    while pending:
        if cancel is not None and cancel.is_set():
            stop.set()
        _done, pending = wait(pending, timeout=POLL_S, return_when=FIRST_EXCEPTION)


def _run_one(
    hook: HookCommand, payload: bytes, cwd: Path, env: Mapping[str, str], stop: threading.Event
) -> HookRun:
    tag = secrets.token_hex(8)
    full_env = {**env, TAG_VAR: tag, OWNER_VAR: owner_identity()}
    try:
        proc = spawn_owned(
            lambda: subprocess.Popen(
                [shell(), "-c", hook.command],
                cwd=cwd,
                env=full_env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                close_fds=True,
            )
        )
    except OSError as exc:
        return HookRun(hook, "failed_to_start", None, "", f"could not start: {exc}")
    try:
        status, out, err = _communicate(proc, payload, hook.timeout_s, stop)
    finally:
        _kill_group(proc.pid, tag)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(KILL_WAIT_S)
        release_child(proc)
    code = proc.returncode if status == "exited" else None
    return HookRun(hook, status, code, _text(out), _text(err), proc.pid)


def _communicate(
    proc: subprocess.Popen[bytes], payload: bytes, timeout_s: float, stop: threading.Event
) -> tuple[RunStatus, bytes, bytes]:
    deadline = time.monotonic() + timeout_s
    first: bytes | None = payload  # Popen takes the input on the first call only
    while True:
        if stop.is_set():
            return "interrupted", *_drain_after_kill(proc)
        left = deadline - time.monotonic()
        if left <= 0:
            return "timed_out", *_drain_after_kill(proc)
        try:
            out, err = proc.communicate(first, timeout=min(POLL_S, left))
        except subprocess.TimeoutExpired:
            first = None
            continue
        return "exited", out, err


def _drain_after_kill(proc: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    _signal_group(proc.pid, signal.SIGTERM)
    try:
        return proc.communicate(timeout=TERM_GRACE_S)
    except subprocess.TimeoutExpired:
        _signal_group(proc.pid, signal.SIGKILL)
    try:
        return proc.communicate(timeout=KILL_WAIT_S)
    except subprocess.TimeoutExpired:
        return b"", b""  # a pipe still held by a process that left the group; killed next


def _kill_group(pgid: int, tag: str) -> None:
    if group_members(pgid):
        _signal_group(pgid, signal.SIGKILL)
    escaped = tagged_pids(TAG_VAR, tag)
    if escaped:
        kill_pids(escaped)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _text(data: bytes) -> str:
    if len(data) > OUTPUT_LIMIT:
        data = data[:OUTPUT_LIMIT]
    return data.decode("utf-8", errors="replace")
