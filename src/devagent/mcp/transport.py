"""The SDK transports for each kind of server; stdio is spawned here so its group is ours.

Streamable HTTP and legacy SSE are the SDK's own clients with the entry's headers. For stdio,
devagent starts the child itself (the SDK's ``stdio_client`` does not say which process it
started): in its own process group, stderr to the server's log, stdin and stdout carrying the
SDK's JSON-RPC messages, one per line. Knowing the group lets devagent kill all of it on exit,
Ctrl-C and SIGTERM (``devagent.mcp.procs``), even when the event loop is not running any more.
A stdout line that is not JSON-RPC is written to the log and reported to the ``Watch``, and
so is the end of its stdout (the server exited).
"""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from pathlib import Path
from typing import IO, Any, Protocol

import anyio
import mcp_types
from mcp.client._transport import TransportStreams
from mcp.client.sse import sse_client
from mcp.client.stdio import get_default_environment
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.message import SessionMessage

from devagent.mcp.config import ServerSpec
from devagent.mcp.procs import started, stopped

STOP_GRACE_SECONDS = 0.5


class Watch(Protocol):
    """Told what the stdio transport sees besides messages."""

    def garbage(self, line: str) -> None:
        """The server wrote ``line``, which is not JSON-RPC, to stdout."""

    def closed(self) -> None:
        """The server's stdout ended: it exited or closed it."""


def open_transport(
    spec: ServerSpec,
    cwd: Path,
    log: IO[str],
    watch: Watch,
) -> AbstractAsyncContextManager[Any]:
    """The transport ``spec`` names, not yet entered."""
    headers = dict(spec.headers)
    if spec.transport == "http":
        return _http(spec.url, headers)
    if spec.transport == "sse":
        return sse_client(spec.url, headers=headers or None)
    return stdio_transport(spec, cwd, log, watch)


@asynccontextmanager
async def _http(url: str, headers: dict[str, str]) -> AsyncIterator[TransportStreams]:
    async with (
        create_mcp_http_client(headers=headers or None) as http,
        streamable_http_client(url, http_client=http) as streams,
    ):
        yield streams


def _child_env(extra: Mapping[str, str]) -> dict[str, str]:
    # The SDK's safe default set (PATH, HOME, ...) plus the entry's own variables, as the
    # SDK's stdio client does: a server does not inherit the API key.
    return get_default_environment() | dict(extra)


@asynccontextmanager
async def stdio_transport(
    spec: ServerSpec, cwd: Path, log: IO[str], watch: Watch
) -> AsyncIterator[TransportStreams]:
    process = await anyio.open_process(
        [spec.command, *spec.args],
        env=_child_env(dict(spec.env)),
        stderr=log,
        cwd=cwd,
        start_new_session=True,
    )
    started(process.pid)
    read_in, read_out = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_in, write_out = anyio.create_memory_object_stream[SessionMessage](0)

    async def reader() -> None:
        assert process.stdout is not None
        buffer = b""
        async with read_in:
            with suppress(anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
                async for chunk in process.stdout:
                    *lines, buffer = (buffer + chunk).split(b"\n")
                    for line in lines:
                        if line.strip():
                            await read_in.send(_parse(line, log, watch))
        watch.closed()

    async def writer() -> None:
        assert process.stdin is not None
        async with write_out:
            with suppress(anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
                async for message in write_out:
                    text = message.message.model_dump_json(by_alias=True, exclude_unset=True)
                    await process.stdin.send((text + "\n").encode("utf-8"))

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(reader)
            group.start_soon(writer)
            try:
                yield read_out, write_in
            finally:
                with anyio.CancelScope(shield=True):
                    await _stop(process)
                group.cancel_scope.cancel()
    finally:
        stopped(process.pid)


def _parse(line: bytes, log: IO[str], watch: Watch) -> Any:
    try:
        message = mcp_types.jsonrpc_message_adapter.validate_json(line, by_name=False)
    except ValueError as exc:
        text = line.decode("utf-8", errors="replace").rstrip("\r")
        with suppress(OSError, ValueError):
            log.write(f"[devagent] not JSON-RPC on stdout: {text[:500]}\n")
            log.flush()
        watch.garbage(text)
        return exc
    return SessionMessage(message)


async def _stop(process: anyio.abc.Process) -> None:
    """Close stdin, give the server a moment, then kill its whole group."""
    if process.stdin is not None:
        with suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
            await process.stdin.aclose()
    with anyio.move_on_after(STOP_GRACE_SECONDS):
        await process.wait()
    kill_group(process.pid)
    with anyio.move_on_after(2):
        await process.wait()


def kill_group(pid: int) -> None:
    """SIGKILL the process group ``pid`` leads (what is left of it)."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
