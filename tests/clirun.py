"""Run the real devagent CLI as a subprocess, with no stdin, and capture what it prints."""

from __future__ import annotations

import subprocess
from pathlib import Path


def run(
    cmd: list[str], args: list[str], env: dict[str, str], cwd: Path, *, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cmd, *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
