"""Finding test processes by a unique command-line marker, so tests can prove none is left."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time


def unique_sleep() -> str:
    """A ``sleep`` command line no other process on the machine has."""
    return f"sleep 1000.{secrets.randbelow(10**6):06d}"


def live(marker: str) -> list[int]:
    out = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True, check=False)
    return [int(pid) for pid in out.stdout.split()]


def gone(marker: str, within_s: float = 2.0) -> bool:
    """True once no process matches ``marker`` (SIGKILL is delivered asynchronously)."""
    end = time.monotonic() + within_s
    while live(marker):
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def wait_for(marker: str, within_s: float = 5.0) -> None:
    end = time.monotonic() + within_s
    while not live(marker):
        assert time.monotonic() < end, f"{marker} never started"
        time.sleep(0.05)


def kill_all(markers: list[str]) -> None:
    """Kill anything still matching a marker a test started, so no test leaks processes."""
    for marker in markers:
        for pid in live(marker):
            os.kill(pid, signal.SIGKILL)
