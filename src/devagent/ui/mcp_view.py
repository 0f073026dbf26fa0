"""``/mcp``: the chat's MCP servers, each with its scope, transport, state and tools, and the
toolbar's short MCP summary."""

from __future__ import annotations

from typing import Protocol

from rich.console import Console
from rich.text import Text

from devagent.mcp import McpServers
from devagent.mcp.adapter import tool_name
from devagent.ui.console import say

MAX_TOOLS_SHOWN = 40
# Seconds between the first drawing of the toolbar and the servers' start, so the prompt
# finishes drawing before the SDK's import competes with it.
START_DELAY = 0.3


class HasMcp(Protocol):
    """Where the chat keeps its MCP servers (``ui.repl.ChatDeps``)."""

    @property
    def mcp(self) -> McpServers | None: ...


class McpHost(Protocol):
    """What ``/mcp`` needs of the chat (``ui.slash.SlashHost`` has it)."""

    @property
    def console(self) -> Console: ...
    @property
    def deps(self) -> HasMcp: ...


def cmd_mcp(host: McpHost, args: str) -> None:
    """List the MCP servers and their tools."""
    show_servers(host.console, host.deps.mcp)


def show_servers(console: Console, servers: McpServers | None) -> None:
    rows = servers.rows() if servers is not None else []
    if not rows:
        say(
            console, "No MCP servers configured (.mcp.json, $DEVAGENT_HOME/mcp.json, --mcp-config)."
        )
        return
    for row in rows:
        head = Text(f"{row.name}", style="bold")
        head.append(f"  {row.scope} · {row.transport} · {row.state}", style="")
        console.print(head, soft_wrap=True)
        console.print(Text(f"  {row.target}"), soft_wrap=True)
        if row.detail:
            console.print(Text(f"  {row.detail}"), soft_wrap=True)
        for tool in row.tools[:MAX_TOOLS_SHOWN]:
            console.print(Text(f"    {tool_name(row.name, tool)}"), soft_wrap=True)
        if len(row.tools) > MAX_TOOLS_SHOWN:
            console.print(Text(f"    … and {len(row.tools) - MAX_TOOLS_SHOWN} more"))


def toolbar_part(servers: McpServers | None) -> str:
    """`` · MCP 2/3`` (servers ready of those configured), with ``starting`` while any is.

    Drawing the toolbar means the prompt is on screen: the servers may start now (once)."""
    if servers is None or not servers.configured:
        return ""
    servers.start(background=True, delay=START_DELAY)
    rows = servers.rows()
    ready = sum(1 for r in rows if r.state == "ready")
    starting = any(r.state == "starting" for r in rows) and servers.approved()
    return f" · MCP {ready}/{len(rows)}{' starting' if starting else ''}"
