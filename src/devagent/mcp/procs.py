"""The process groups of the stdio servers running now, and the last resort that kills them.

Every stdio server leads its own process group (``devagent.mcp.transport``). The manager stops
them in order on close; ``kill_all`` is for when that cannot happen (the interpreter is
exiting, a signal arrived while the loop was busy): it SIGKILLs every group still listed, from
any thread, without the event loop. It runs at interpreter exit too.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
from contextlib import suppress

_lock = threading.Lock()
_groups: set[int] = set()


def started(pid: int) -> None:
    with _lock:
        _groups.add(pid)


def stopped(pid: int) -> None:
    with _lock:
        _groups.discard(pid)


def running() -> list[int]:
    with _lock:
        return sorted(_groups)


def kill_all() -> None:
    """SIGKILL every server group still running."""
    with _lock:
        groups = list(_groups)
        _groups.clear()
    for pid in groups:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


atexit.register(kill_all)
