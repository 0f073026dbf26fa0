"""Helpers for hook tests: real hook scripts, settings files that configure them, and a
one-shot run of the real CLI against the fake Messages API."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from clirun import run


def hook_script(folder: Path, name: str, body: str) -> str:
    """Write a Python hook script; its command line. ``payload`` (the stdin JSON) and ``log``
    (appends one JSON line to ``<name>.log`` beside it) are defined before ``body``."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / f"{name}.py"
    prelude = textwrap.dedent(
        f"""\
        import json, os, sys
        payload = json.load(sys.stdin)
        def log(value):
            with open({str(folder / (name + ".log"))!r}, "a") as f:
                f.write(json.dumps(value) + "\\n")
        """
    )
    script.write_text(prelude + textwrap.dedent(body), encoding="utf-8")
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


def logged(folder: Path, name: str) -> list[dict[str, Any]]:
    path = folder / f"{name}.log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def hook_entry(command: str, matcher: str = "", timeout: float | None = None) -> dict[str, Any]:
    hook: dict[str, Any] = {"type": "command", "command": command}
    if timeout is not None:
        hook["timeout"] = timeout
    return {"matcher": matcher, "hooks": [hook]}


def write_settings(path: Path, hooks: dict[str, list[dict[str, Any]]], **extra: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"hooks": hooks, **extra}), encoding="utf-8")
    return path


def oneshot(
    cmd: list[str], env: dict[str, str], cwd: Path, prompt: str, *flags: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """``devagent -p PROMPT --output-format json FLAGS``; the process and its result object."""
    done = run(cmd, ["-p", prompt, "--output-format", "json", *flags], env, cwd)
    try:
        result = json.loads(done.stdout)
    except json.JSONDecodeError:
        result = {}
    return done, result


def process_gone(pid: int) -> bool:
    """No such process, or only its zombie (it has ended; its parent has not reaped it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")
