"""The connections to MCP servers, run on one background event loop through the SDK's Client.

``McpManager`` is the synchronous face the rest of devagent uses: it starts every approved
server concurrently on a private thread (so the chat prompt never waits for them), lists their
tools, calls them with a timeout, and stops them all on close. States:

    starting → ready → (crashed → starting, once) → stopped
    starting → failed (could not start, timed out, exited, or broke the protocol)

A call to a server still starting waits for it; a crashed stdio server is started again on its
next call, once. ``notifications/tools/list_changed`` marks a server's list stale, and the
next ``tools()`` lists it again, so the model's next request sees the new tools. Every failure
is a ``McpError`` whose text names the server and its log file.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import mcp_types
from mcp.client.client import Client
from mcp.client.session import IncomingMessage
from mcp.shared.exceptions import MCPError

from devagent.mcp.config import ServerSpec
from devagent.mcp.procs import kill_all
from devagent.mcp.transport import open_transport

State = Literal["starting", "ready", "crashed", "failed", "stopped"]
MAX_RESTARTS = 1


class McpError(Exception):
    """A server could not do what was asked; the message is written for the model and the
    user alike (server, what happened, where its log is)."""


@dataclass
class ServerStatus:
    """What ``/mcp`` and ``mcp list`` show about one running (or failed) server."""

    spec: ServerSpec
    state: State
    tools: list[mcp_types.Tool]
    error: str | None
    log: Path


@dataclass
class _Server:
    spec: ServerSpec
    log_path: Path
    state: State = "starting"
    tools: list[mcp_types.Tool] = field(default_factory=list)
    error: str | None = None
    client: Client | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    wake: asyncio.Event | None = None
    closing: bool = False
    stale: bool = False
    restarts: int = 0
    stray: str | None = None
    calls: set[asyncio.Task[Any]] = field(default_factory=set)
    task: asyncio.Future[None] | None = None

    def where(self) -> str:
        return f"MCP server {self.spec.name} (log: {self.log_path})"

    def garbage(self, line: str) -> None:
        """A stdout line that is not JSON-RPC fails the calls waiting for an answer."""
        self.stray = line
        for task in list(self.calls):
            task.cancel()

    def closed(self) -> None:
        """stdout ended: unless devagent is stopping it, the server crashed."""
        if not self.closing and self.state == "ready":
            self.state = "crashed"
        if self.wake is not None:
            self.wake.set()


class McpManager:
    """Runs ``specs`` (already approved) on a background loop; see the module docstring."""

    def __init__(
        self,
        specs: Sequence[ServerSpec],
        *,
        cwd: Path,
        logs: Path,
        start_timeout: float,
        call_timeout: float,
    ) -> None:
        self._cwd = cwd
        self._logs = logs
        self.start_timeout = start_timeout
        self.call_timeout = call_timeout
        self._servers: dict[str, _Server] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mcp", daemon=True)
        self._thread.start()
        for spec in specs:
            self.add(spec)

    # -- the synchronous surface -------------------------------------------------------

    def add(self, spec: ServerSpec) -> None:
        """Start ``spec`` (not waiting for it)."""
        server = _Server(spec, self._log_path(spec.name))
        self._servers[spec.name] = server
        asyncio.run_coroutine_threadsafe(self._start(server), self._loop)

    def names(self) -> list[str]:
        return list(self._servers)

    def status(self) -> list[ServerStatus]:
        return [
            ServerStatus(s.spec, s.state, list(s.tools), s.error, s.log_path)
            for s in self._servers.values()
        ]

    def wait_started(self, timeout: float | None = None) -> None:
        """Wait until no server is starting (at most the start timeout)."""
        deadline = time.monotonic() + (self.start_timeout if timeout is None else timeout)
        for server in list(self._servers.values()):
            server.ready.wait(max(deadline - time.monotonic(), 0))

    def tools(self) -> list[tuple[str, mcp_types.Tool]]:
        """Every ready server's tools as (server, tool), lists refreshed where they changed."""
        self.wait_started()
        found: list[tuple[str, mcp_types.Tool]] = []
        for server in list(self._servers.values()):
            if server.state == "ready" and server.stale:
                with contextlib.suppress(McpError):
                    self._run(self._refresh(server), self.start_timeout)
            if server.state in ("ready", "crashed"):
                found += [(server.spec.name, tool) for tool in server.tools]
        return found

    def call(
        self, name: str, tool: str, args: Mapping[str, Any], cancel: threading.Event | None = None
    ) -> mcp_types.CallToolResult:
        """Call ``tool`` on server ``name``; ``McpError`` on any failure, ``KeyboardInterrupt``
        passes through (the call is cancelled)."""
        server = self._servers.get(name)
        if server is None:
            raise McpError(f"MCP server {name} is not configured.")
        if not server.ready.wait(self.start_timeout):
            raise McpError(f"{server.where()} is still starting after {self.start_timeout:g} s.")
        if server.state == "crashed":  # the call's own timeout starts once it is back
            with contextlib.suppress(McpError):
                self._run(self._restart(server), self.start_timeout + 5)
        future = asyncio.run_coroutine_threadsafe(self._call(server, tool, dict(args)), self._loop)
        return self._wait(future, server, cancel)

    def close(self) -> None:
        """Stop every server (their groups killed) and the loop; safe to call twice."""
        if self._loop.is_closed():
            return
        if self._loop.is_running():
            with contextlib.suppress(FutureTimeout, RuntimeError, McpError):
                self._run(self._stop_all(), 5)
            with contextlib.suppress(FutureTimeout, RuntimeError, McpError):
                self._run(_cancel_the_rest(), 2)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(2)
        kill_all()
        if not self._loop.is_running():
            self._loop.close()

    # -- plumbing -------------------------------------------------------------------------

    def _log_path(self, name: str) -> Path:
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
        return self._logs / f"mcp-{safe}.log"

    def _run(self, coro: Any, timeout: float) -> Any:
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except FutureTimeout:
            future.cancel()
            raise McpError("timed out") from None

    def _wait(
        self, future: Future[Any], server: _Server, cancel: threading.Event | None
    ) -> mcp_types.CallToolResult:
        deadline = time.monotonic() + self.call_timeout
        try:
            while True:
                if cancel is not None and cancel.is_set():
                    raise KeyboardInterrupt
                left = deadline - time.monotonic()
                if left <= 0:
                    raise McpError(
                        f"{server.where()} did not answer within {self.call_timeout:g} s "
                        "(MCP_TOOL_TIMEOUT); the call was cancelled."
                    )
                with contextlib.suppress(FutureTimeout):
                    result: mcp_types.CallToolResult = future.result(min(left, 0.1))
                    return result
        except BaseException:
            future.cancel()
            raise

    async def _start(self, server: _Server) -> None:
        server.state, server.error, server.stray = "starting", None, None
        server.ready.clear()
        server.wake = asyncio.Event()
        server.task = task = asyncio.ensure_future(self._serve(server))
        try:
            await asyncio.wait_for(asyncio.shield(self._until_ready(server)), self.start_timeout)
        except TimeoutError:
            task.cancel()
            self._fail(server, f"did not start within {self.start_timeout:g} s (MCP_TIMEOUT)")

    async def _until_ready(self, server: _Server) -> None:
        while not server.ready.is_set():
            await asyncio.sleep(0.01)

    async def _serve(self, server: _Server) -> None:
        self._logs.mkdir(parents=True, exist_ok=True)
        with open(server.log_path, "a", encoding="utf-8") as log:
            log.write(f"[devagent] starting {server.spec.name}: {server.spec.shown_target()}\n")
            log.flush()
            try:
                await self._connected(server, log)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._fail(server, _describe(exc, server))
            finally:
                server.client = None
                if server.state in ("ready", "crashed"):
                    server.state = "stopped" if server.closing else "crashed"
                server.ready.set()

    async def _connected(self, server: _Server, log: IO[str]) -> None:
        transport = open_transport(server.spec, self._cwd, log, server)
        client = Client(transport, message_handler=_handler(server), cache=None, mode="legacy")
        async with client:
            server.client = client
            server.tools = await _list_tools(client)
            server.state, server.stale = "ready", False
            server.ready.set()
            assert server.wake is not None
            await server.wake.wait()

    def _fail(self, server: _Server, why: str) -> None:
        server.state = "failed"
        server.error = f"{server.where()} {why}"
        server.ready.set()

    async def _refresh(self, server: _Server) -> None:
        if server.client is not None:
            server.stale = False
            server.tools = await _list_tools(server.client)

    async def _call(self, server: _Server, tool: str, args: dict[str, Any]) -> Any:
        if server.state != "ready" or server.client is None:
            raise McpError(server.error or f"{server.where()} is {server.state}.")
        task = asyncio.ensure_future(server.client.call_tool(tool, args))
        server.calls.add(task)
        try:
            return await task
        except asyncio.CancelledError:
            if server.stray is not None:
                raise McpError(
                    f"{server.where()} wrote something that is not JSON-RPC to stdout during "
                    f"the call: {server.stray[:200]!r}"
                ) from None
            raise
        except MCPError as exc:
            raise McpError(f"{server.where()} failed the call: {_closed(exc, server)}") from exc
        except Exception as exc:
            raise McpError(f"{server.where()} gave a result devagent cannot read: {exc}") from exc
        finally:
            server.calls.discard(task)

    async def _restart(self, server: _Server) -> None:
        if server.restarts >= MAX_RESTARTS:
            server.state = "failed"
            server.error = f"{server.where()} exited and was already restarted once."
            return
        server.restarts += 1
        old = server.task
        if server.wake is not None:
            server.wake.set()
        if old is not None:
            await asyncio.wait([old], timeout=3)
        await self._start(server)

    async def _stop_all(self) -> None:
        for server in self._servers.values():
            server.closing = True
            if server.wake is not None:
                server.wake.set()
        deadline = time.monotonic() + 4
        while any(s.client is not None for s in self._servers.values()):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.02)
        for server in self._servers.values():
            if server.state != "failed":
                server.state = "stopped"


async def _list_tools(client: Client) -> list[mcp_types.Tool]:
    tools: list[mcp_types.Tool] = []
    cursor: str | None = None
    while True:
        page = await client.list_tools(cursor=cursor)
        tools += page.tools
        cursor = page.next_cursor
        if not cursor:
            return tools


def _handler(server: _Server) -> Any:
    async def handle(message: IncomingMessage) -> None:
        if isinstance(message, mcp_types.ToolListChangedNotification):
            server.stale = True

    return handle


def _closed(exc: MCPError, server: _Server) -> str:
    if exc.code == mcp_types.CONNECTION_CLOSED:
        server.state = "crashed" if server.spec.transport == "stdio" else "failed"
        again = "it will be started again on the next call" if server.restarts < 1 else ""
        return f"the server exited or closed the connection mid-call{'; ' + again if again else ''}"
    return exc.message


async def _cancel_the_rest() -> None:
    """Cancel the loop's other tasks (a start still polling, say) so none is destroyed pending."""
    me = asyncio.current_task()
    rest = [task for task in asyncio.all_tasks() if task is not me]
    for task in rest:
        task.cancel()
    await asyncio.gather(*rest, return_exceptions=True)


def _describe(exc: BaseException, server: _Server) -> str:
    if isinstance(exc, FileNotFoundError | PermissionError):
        return f"could not start: {exc.strerror}: {server.spec.command}"
    if isinstance(exc, BaseExceptionGroup):
        inner = exc.exceptions[0] if exc.exceptions else exc
        return _describe(inner, server)
    if isinstance(exc, MCPError) and exc.code == mcp_types.CONNECTION_CLOSED:
        note = f"; it wrote {server.stray[:200]!r} to stdout" if server.stray else ""
        return f"exited before it was ready{note}"
    if server.spec.transport != "stdio":
        return f"could not connect to {server.spec.shown_target()}: {type(exc).__name__}: {exc}"
    return f"failed to start: {type(exc).__name__}: {exc}"
