"""`devagent mcp`: list, show, add and remove MCP servers (Claude Code's files, in place).

Mounted by the main app as ``app.add_typer(mcp_app, name="mcp")``. ``list`` and ``get`` start
the servers that may start (user servers; project servers once approved or in a trusted
folder) to report their state and tools, then stop them. ``add`` writes the project's
``.mcp.json`` (``--scope project``, the default) or ``$DEVAGENT_HOME/mcp.json``. Exit codes:
0 ok, 1 a file that cannot be read or written, 2 bad arguments or an unknown server.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from devagent.config import devagent_home

if TYPE_CHECKING:
    from devagent.mcp import McpServers, ServerRow

app = typer.Typer(
    name="mcp",
    help="List, show, add and remove MCP servers.",
    no_args_is_help=True,
    add_completion=False,
)

ScopeName = Literal["project", "user"]
TransportName = Literal["stdio", "http", "sse"]


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"devagent: {message}", err=True)
    return typer.Exit(code)


def _workspace() -> Path:
    from devagent.gitinfo import find_workspace

    return find_workspace(Path.cwd())


def _servers(start: bool) -> McpServers:
    import os

    from devagent.mcp import McpServers

    servers = McpServers.load(_workspace(), devagent_home(), os.environ)
    for warning in servers.warnings():
        typer.echo(f"warning: {warning}", err=True)
    if start:
        servers.start(background=False)
        manager = servers.manager()
        if manager is not None:
            manager.wait_started()
    return servers


@app.command("list")
def list_servers() -> None:
    """Every configured server: name, scope, transport, state and tool count."""
    servers = _servers(start=True)
    try:
        rows = servers.rows()
        if not rows:
            typer.echo("No MCP servers configured (.mcp.json, $DEVAGENT_HOME/mcp.json).")
            return
        widths = [max(len(h), *(len(c) for c in col)) for h, col in _columns(rows)]
        for line in _table(rows, widths):
            typer.echo(line.rstrip())
    finally:
        servers.close()


def _cells(rows: list[ServerRow]) -> list[list[str]]:
    return [[r.name, r.scope, r.transport, r.state, str(len(r.tools)), r.target] for r in rows]


_HEADERS = ("NAME", "SCOPE", "TRANSPORT", "STATE", "TOOLS", "TARGET")


def _columns(rows: list[ServerRow]) -> list[tuple[str, list[str]]]:
    cells = _cells(rows)
    return [(h, [row[i] for row in cells]) for i, h in enumerate(_HEADERS)]


def _table(rows: list[ServerRow], widths: list[int]) -> list[str]:
    lines = ["  ".join(h.ljust(w) for h, w in zip(_HEADERS, widths, strict=True))]
    for row in _cells(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    return lines


@app.command("get")
def get_server(name: Annotated[str, typer.Argument(help="The server's name.")]) -> None:
    """One server: where it is defined, what it runs, its state and its tools."""
    servers = _servers(start=True)
    try:
        row = next((r for r in servers.rows() if r.name == name), None)
        if row is None:
            known = ", ".join(r.name for r in servers.rows()) or "none"
            raise _fail(f"no MCP server named {name!r} (configured: {known}).")
        spec = servers.loaded.servers[name]
        typer.echo(f"name:       {row.name}")
        typer.echo(f"scope:      {row.scope} ({spec.source})")
        typer.echo(f"transport:  {row.transport}")
        typer.echo(f"{'command' if row.transport == 'stdio' else 'url'}:{' ' * 4}{row.target}")
        typer.echo(f"state:      {row.state}")
        if row.detail:
            typer.echo(f"detail:     {row.detail}")
        typer.echo(f"tools:      {', '.join(row.tools) or '-'}")
    finally:
        servers.close()


def _file_for(scope: ScopeName) -> Path:
    from devagent.mcp.config import project_file, user_file

    return project_file(_workspace()) if scope == "project" else user_file(devagent_home())


def _header_pairs(headers: list[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for header in headers:
        key, sep, value = header.partition(":")
        if not sep or not key.strip():
            raise _fail(f"--header {header!r} is not KEY:VALUE (e.g. 'Authorization: Bearer x').")
        pairs[key.strip()] = value.strip()
    return pairs


def _entry(
    transport: TransportName, target: list[str], headers: list[str], env: list[str]
) -> dict[str, object]:
    if transport == "stdio":
        entry: dict[str, object] = {"command": target[0], "args": target[1:]}
        if env:
            entry["env"] = _header_pairs([e.replace("=", ":", 1) for e in env])
        return entry
    if len(target) != 1:
        raise _fail(f"--transport {transport} takes one URL after the name.")
    entry = {"type": transport, "url": target[0]}
    if headers:
        entry["headers"] = _header_pairs(headers)
    return entry


@app.command("add")
def add_server(
    name: Annotated[str, typer.Argument(help="The server's name.")],
    target: Annotated[list[str], typer.Argument(help="COMMAND [ARGS...] (after --), or the URL.")],
    scope: Annotated[
        ScopeName, typer.Option("--scope", help="project (.mcp.json) or user.")
    ] = "project",
    transport: Annotated[
        TransportName, typer.Option("--transport", help="stdio, http or sse.")
    ] = "stdio",
    header: Annotated[
        list[str] | None,
        typer.Option("--header", help="HTTP header K:V (http, sse). Repeatable."),
    ] = None,
    env: Annotated[
        list[str] | None,
        typer.Option("--env", "-e", help="Variable KEY=VALUE for a stdio server. Repeatable."),
    ] = None,
) -> None:
    """Add a server: `mcp add NAME -- COMMAND ARGS...` or `mcp add --transport http NAME URL`."""
    from devagent.mcp.config import ConfigError, read_entries, write_entries

    if not name.strip() or any(c.isspace() for c in name):
        raise _fail(f"the server name {name!r} must be one word.")
    path = _file_for(scope)
    entry = _entry(transport, target, header or [], env or [])
    try:
        entries = read_entries(path)
        replaced = name in entries
        entries[name] = entry
        write_entries(path, entries)
    except (ConfigError, OSError) as exc:
        raise _fail(str(exc), 1) from None
    verb = "Replaced" if replaced else "Added"
    typer.echo(f"{verb} MCP server {name} ({transport}) in {path}.")


@app.command("remove")
def remove_server(
    name: Annotated[str, typer.Argument(help="The server's name.")],
    scope: Annotated[
        ScopeName | None, typer.Option("--scope", help="project or user (default: wherever).")
    ] = None,
) -> None:
    """Remove a server from the project's .mcp.json or the user's mcp.json."""
    from devagent.mcp.config import ConfigError, read_entries, write_entries

    scopes: list[ScopeName] = [scope] if scope else ["project", "user"]
    for each in scopes:
        path = _file_for(each)
        try:
            entries = read_entries(path)
            if name in entries:
                del entries[name]
                write_entries(path, entries)
                typer.echo(f"Removed MCP server {name} from {path}.")
                return
        except (ConfigError, OSError) as exc:
            raise _fail(str(exc), 1) from None
    raise _fail(f"no MCP server named {name!r} in {', '.join(str(_file_for(s)) for s in scopes)}.")
