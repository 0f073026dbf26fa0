"""Another process holding a session transcript's lock, the way a second devagent would."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

# Opens the file without writing to it, takes the exclusive flock, says so on stdout and keeps
# the lock until its stdin is closed.
_HOLDER = (
    "import fcntl, os, sys\n"
    "fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)\n"
    "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
    "print('locked', flush=True)\n"
    "sys.stdin.read()\n"
)


@contextlib.contextmanager
def lock_held_elsewhere(path: Path) -> Iterator[None]:
    """While inside, a separate Python process holds ``flock(LOCK_EX)`` on ``path``."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, os.fspath(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline() == "locked\n", "the holder could not take the lock"
        yield
    finally:
        holder.stdin.close()  # the holder exits and the kernel releases its lock
        holder.stdout.close()
        assert holder.wait(timeout=10) == 0


def open_fds() -> set[str]:
    """This process's open file descriptors."""
    return set(os.listdir("/dev/fd"))
