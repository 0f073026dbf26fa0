"""The MCP servers of one run: what is configured, what may start, and the running manager.

This module never imports the SDK: ``McpServers.load`` reads the files and decides, server by
server, what may start (``devagent.mcp.approvals.Gate``); only ``start`` with at least one
server to run imports the SDK and the client. A chat starts them in the background once its
prompt is on screen, so neither the SDK's import nor a slow server delays the prompt; a
one-shot run starts them at once and waits for them before its first request.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from devagent.mcp.approvals import Gate, remember
from devagent.mcp.config import LoadedServers, ServerSpec, load_servers
from devagent.tools.base import Tool

if TYPE_CHECKING:
    from devagent.mcp.adapter import McpTools
    from devagent.mcp.client import McpManager

Verdict = Literal["approved", "declined", "unasked", "skipped", "invalid"]
DEFAULT_START_MS = 30_000
DEFAULT_CALL_MS = 600_000


def _seconds(env: Mapping[str, str], key: str, default_ms: int) -> float:
    value = env.get(key, "").strip()
    return (int(value) if value.isdigit() and int(value) > 0 else default_ms) / 1000


@dataclass
class ServerRow:
    """One line of ``/mcp`` and ``mcp list``."""

    name: str
    scope: str
    transport: str
    state: str
    tools: list[str]
    target: str
    detail: str = ""


@dataclass
class McpServers:
    """See the module docstring. ``verdicts`` say, by name, what may start."""

    loaded: LoadedServers
    gate: Gate
    env: Mapping[str, str]
    cwd: Path
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    _manager: McpManager | None = None
    _tools: McpTools | None = None
    _started: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closed: bool = False
    _starting: bool = False
    start_error: str | None = None

    @staticmethod
    def load(
        workspace: Path,
        home: Path,
        env: Mapping[str, str],
        flag_files: Sequence[Path] = (),
        *,
        strict: bool = False,
        interactive: bool = False,
    ) -> McpServers:
        loaded = load_servers(workspace, home, env, flag_files, strict=strict)
        servers = McpServers(loaded, Gate(workspace, home, interactive), env, workspace)
        for spec in loaded.servers.values():
            servers.verdicts[spec.name] = "invalid" if spec.problem else servers.gate.verdict(spec)
        return servers

    # -- what was found -------------------------------------------------------------------

    @property
    def configured(self) -> bool:
        return bool(self.loaded.servers)

    def warnings(self) -> list[str]:
        """Broken files, entries that could not be expanded, servers skipped and why."""
        found = [f"MCP config {problem}" for problem in self.loaded.problems]
        for spec in self.loaded.servers.values():
            verdict = self.verdicts[spec.name]
            if verdict == "invalid":
                found.append(f"MCP server {spec.name} not started: {spec.problem}")
            elif verdict == "skipped":
                found.append(
                    f"MCP server {spec.name} not started: it comes from {spec.source}, and this "
                    "folder is not trusted (trust it in a chat, or pass the file with "
                    "--mcp-config)"
                )
        return found

    def to_ask(self) -> list[ServerSpec]:
        """Project servers the user has not answered for (chat asks before they start)."""
        return [s for s in self.loaded.servers.values() if self.verdicts[s.name] == "unasked"]

    def answer(self, spec: ServerSpec, approved: bool) -> None:
        remember(spec, self.gate.workspace, self.gate.home, approved)
        self.verdicts[spec.name] = "approved" if approved else "declined"

    def approved(self) -> list[ServerSpec]:
        return [s for s in self.loaded.servers.values() if self.verdicts[s.name] == "approved"]

    # -- running them -----------------------------------------------------------------------

    def start(self, *, background: bool, delay: float = 0.0) -> None:
        """Start the approved servers (once); ``background`` returns at once and begins after
        ``delay`` seconds (the chat lets its prompt finish drawing first: the SDK's import
        would compete with it for the interpreter)."""
        with self._lock:
            if self._started.is_set() or self._starting or self._closed:
                return
            self._starting = True
        if not self.approved():
            self._started.set()
            return
        if background:
            work = self._start_now if delay <= 0 else lambda: self._start_later(delay)
            threading.Thread(target=work, name="mcp-start", daemon=True).start()
        else:
            self._start_now()

    def _start_later(self, delay: float) -> None:
        time.sleep(delay)
        self._start_now()

    def _start_now(self) -> None:
        try:
            from devagent.mcp.adapter import McpTools
            from devagent.mcp.client import McpManager

            home = self.gate.home
            manager = McpManager(
                self.approved(),
                cwd=self.cwd,
                logs=home / "logs",
                start_timeout=_seconds(self.env, "MCP_TIMEOUT", DEFAULT_START_MS),
                call_timeout=_seconds(self.env, "MCP_TOOL_TIMEOUT", DEFAULT_CALL_MS),
            )
            self._manager, self._tools = manager, McpTools(manager, self.env)
        except ImportError as exc:  # the SDK is a dependency; a broken install says so
            self.start_error = f"MCP servers not started: the mcp package cannot load ({exc})"
        finally:
            self._started.set()
            if self._closed:
                self.close()

    def tools(self) -> list[Tool]:
        """The MCP tools on offer now (a registry source): waits for servers still starting."""
        if not self.approved():
            return []
        self.start(background=True)
        self._started.wait()
        return self._tools() if self._tools is not None else []

    def manager(self) -> McpManager | None:
        return self._manager

    def rows(self) -> list[ServerRow]:
        """Every configured server with its state (``starting`` until the manager runs)."""
        running = {s.spec.name: s for s in self._manager.status()} if self._manager else {}
        rows = []
        for spec in self.loaded.servers.values():
            verdict = self.verdicts[spec.name]
            status = running.get(spec.name)
            state: str
            if status is not None:
                state, tools = status.state, [t.name for t in status.tools]
                detail = status.error or f"log: {status.log}"
            else:
                state = _STATE_OF.get(verdict, "starting")
                tools, detail = [], spec.problem or ""
            row = ServerRow(
                spec.name, spec.scope, spec.transport, state, tools, spec.shown_target()
            )
            row.detail = detail
            rows.append(row)
        return rows

    def init_statuses(self) -> list[dict[str, str]]:
        """The one-shot init line's ``mcp_servers``: name and status in Claude Code's words
        (``connected``, ``failed``, ``pending``; ``disabled`` for servers not started)."""
        return [
            {"name": r.name, "status": _INIT_STATUS.get(r.state, "disabled")} for r in self.rows()
        ]

    def close(self) -> None:
        """Stop every server; later starts do nothing."""
        self._closed = True
        manager = self._manager
        if manager is not None:
            self._manager = None
            manager.close()


_STATE_OF: dict[str, str] = {
    "declined": "declined",
    "unasked": "needs approval",
    "skipped": "skipped (untrusted folder)",
    "invalid": "failed",
}


_INIT_STATUS = {
    "ready": "connected",
    "failed": "failed",
    "crashed": "failed",
    "starting": "pending",
}


def logs_dir(home: Path) -> Path:
    return home / "logs"


def flag_paths(values: Sequence[str], cwd: Path) -> list[Path]:
    """``--mcp-config`` values as paths: ``~`` expanded, relative ones from ``cwd``."""
    return [cwd / os.path.expanduser(value) for value in values]
