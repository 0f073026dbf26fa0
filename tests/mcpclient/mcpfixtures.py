"""Helpers for the MCP tests: config files naming the test server, the HTTP server, pids."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SERVER = Path(__file__).resolve().parent / "servers" / "tools_server.py"
RAW_SERVER = SERVER.with_name("raw_server.py")


def stdio_entry(*args: str) -> dict[str, Any]:
    return {"command": sys.executable, "args": [str(SERVER), *args]}


def raw_entry() -> dict[str, Any]:
    return {"command": sys.executable, "args": [str(RAW_SERVER)]}


def write_config(path: Path, servers: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"mcpServers": servers}, indent=2), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def http_server(tmp: Path, transport: str = "http") -> Iterator[str]:
    """The test server over streamable HTTP (or legacy SSE) on 127.0.0.1; yields its URL."""
    port = free_port()
    log = (tmp / f"{transport}-server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), f"--{transport}", str(port), "--name", "web"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        else:
            raise RuntimeError("the HTTP test server did not start")
        yield f"http://127.0.0.1:{port}/{'mcp' if transport == 'http' else 'sse'}"
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def read_pid(marker: Path, seconds: float = 30) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if marker.exists() and marker.read_text().strip():
            return int(marker.read_text())
        time.sleep(0.05)
    raise AssertionError(f"{marker} was not written: the server did not start")


def env_with(base: dict[str, str], **extra: str) -> dict[str, str]:
    return {**base, **extra, "PATH": os.environ.get("PATH", "")}
