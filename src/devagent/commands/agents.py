"""`devagent agents`: list the personas in reach, show one, lint persona files.

Mounted by the main app as ``app.add_typer(agents_app, name="agents")``. Exit codes: 0 ok,
1 when ``lint`` finds a file that cannot load, 2 for an unknown agent name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from devagent.config import devagent_home
from devagent.errors import UsageError

if TYPE_CHECKING:  # the persona machinery (yaml) loads only when a command runs
    from devagent.personas import Catalog, Persona, Problem

app = typer.Typer(
    name="agents",
    help="List, show and lint agent personas.",
    no_args_is_help=True,
    add_completion=False,
)


ListFormat = Literal["table", "json"]
UNCUT_WIDTH = 1000


def _catalog() -> Catalog:
    from devagent.gitinfo import find_workspace

    cwd = Path.cwd()
    from devagent.personas import discover

    return discover(cwd, find_workspace(cwd), devagent_home())


def _persona_json(persona: Persona) -> dict[str, Any]:
    return {
        "name": persona.name,
        "description": persona.description,
        "tools": persona.tools,
        "model": persona.model,
        "source": persona.source,
        "scope": persona.scope,
        "path": str(persona.path),
    }


def _problem_json(problem: Problem) -> dict[str, str]:
    return {"path": str(problem.path), "message": problem.message}


def catalog_json(catalog: Catalog) -> dict[str, Any]:
    """The ``agents list --format json`` document (CONTRACTS §8, plus ``shadowed``)."""
    return {
        "agents": [_persona_json(p) for p in catalog.personas],
        "problems": [_problem_json(p) for p in catalog.problems],
        "shadowed": [
            {"name": s.persona.name, "path": str(s.persona.path), "by": str(s.by.path)}
            for s in catalog.shadowed
        ],
    }


def _tools_text(tools: list[str] | None) -> str:
    if tools is None:
        return "(all)"
    return ", ".join(tools) if tools else "(none)"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _tools_summary(tools: list[str] | None) -> str:
    if tools is None:
        return "all"
    return f"{len(tools)}" if tools else "none"


def _print_table(catalog: Catalog) -> None:
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from devagent.ui.console import terminal_width

    rows = [
        (p.name, p.scope, p.source, p.model, _tools_summary(p.tools), _first_line(p.description))
        for p in catalog.personas
    ]
    # The terminal's width even when stdout is piped; with no terminal at all, cut nothing.
    console = Console(width=terminal_width() or UNCUT_WIDTH)
    headers = ("NAME", "SCOPE", "SOURCE", "MODEL", "TOOLS", "DESCRIPTION")
    widths = [max([len(h), *(cell_len(r[i]) for r in rows)]) for i, h in enumerate(headers[:-1])]
    # Rich squeezes fixed columns to fit a long last one; cut descriptions ourselves instead.
    room = max(console.width - sum(widths) - 2 * len(widths) - 1, 11)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for header in headers:
        table.add_column(header, no_wrap=True)
    for row in rows:
        description = Text(row[-1])
        description.truncate(room, overflow="ellipsis")
        table.add_row(*(Text(cell) for cell in row[:-1]), description)
    console.print(table)
    err = Console(stderr=True)
    for shadow in catalog.shadowed:
        text = f"shadowed: {shadow.persona.path} (by {shadow.by.path})"
        err.print(text, highlight=False, markup=False)
    for problem in catalog.problems:
        err.print(f"problem: {problem.path}: {problem.message}", highlight=False, markup=False)


@app.command("list")
def list_agents(
    output_format: Annotated[ListFormat, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """List every persona in reach, with its scope and source."""
    catalog = _catalog()
    if output_format == "json":
        typer.echo(json.dumps(catalog_json(catalog), indent=2, ensure_ascii=False))
    else:
        _print_table(catalog)


def _mcp_servers() -> set[str]:
    """The names (as tool names spell them) of the MCP servers configured here."""
    import os

    from devagent.gitinfo import find_workspace
    from devagent.mcp import load_servers
    from devagent.mcp.adapter import safe_part

    loaded = load_servers(find_workspace(Path.cwd()), devagent_home(), os.environ)
    return {safe_part(name) for name in loaded.servers}


def _available(persona: Persona | None, servers: set[str]) -> list[str]:
    """devagent's tools, plus the MCP tools ``persona`` names whose server is configured
    (``mcp__SERVER__`` stands for a configured server's tools when there is no persona)."""
    from devagent.personas import known_tools
    from devagent.personas.catalog import mcp_server_of

    if persona is None:
        return [*known_tools(), *(f"mcp__{server}__" for server in sorted(servers))]
    named = [n for n in persona.tools or [] if mcp_server_of(n) in servers]
    return [*known_tools(), *named]


def _unavailable_text(unavailable: list[str], servers: set[str]) -> str:
    from devagent.personas.catalog import mcp_server_of

    missing = {mcp_server_of(n) for n in unavailable} - {None} - servers
    notes = [f"MCP server {server} is not configured" for server in sorted(missing, key=str)]
    text = ", ".join(unavailable) or "-"
    return f"{text} ({'; '.join(notes)})" if notes else text


def describe(persona: Persona) -> list[str]:
    """The lines ``agents show`` prints for ``persona``, body last."""
    from devagent.personas import effective_tools, known_tools

    servers = _mcp_servers()
    offered, unavailable = effective_tools(persona, _available(persona, servers))
    model = persona.model
    if persona.declared_model and persona.declared_model != model:
        model = f"{model} (declared {persona.declared_model!r})"
    lines = [
        f"name:         {persona.name}",
        f"slug:         {persona.slug}",
        f"scope:        {persona.scope} ({persona.source})",
        f"path:         {persona.path}",
        f"model:        {model}",
        f"color:        {persona.color or '-'}",
        f"tools:        {_tools_text(persona.tools)}",
        f"disallowed:   {', '.join(persona.disallowed_tools) or '-'}",
        f"effective:    {_tools_text(offered if offered is not None else list(known_tools()))}",
        f"unavailable:  {_unavailable_text(unavailable, servers)}",
    ]
    lines += [f"extra:        {key}: {value!r}" for key, value in persona.extra.items()]
    lines += [f"warning:      {warning}" for warning in persona.warnings]
    lines += ["description:", *persona.description.splitlines(), "", "body:", persona.body]
    return lines


@app.command("show")
def show(name: Annotated[str, typer.Argument(help="Agent name or its --agent slug.")]) -> None:
    """Show one persona: parsed fields, effective tools and the prompt body."""
    try:
        persona = _catalog().find(name)
    except UsageError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    typer.echo("\n".join(describe(persona)))


@app.command("lint")
def lint_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Persona files or folders (default: every search folder)."),
    ] = None,
) -> None:
    """Check persona files; exit 1 when one cannot load."""
    from devagent.personas import lint, search_dirs
    from devagent.personas.catalog import lint_targets

    if paths:
        targets = list(paths)
    else:
        from devagent.gitinfo import find_workspace

        cwd = Path.cwd()
        dirs = search_dirs(cwd, find_workspace(cwd), devagent_home())
        targets = [d.path for d in dirs if d.path.is_dir()]
    files, _ = lint_targets(targets)
    problems = lint(targets, available=_available(None, _mcp_servers()))
    for problem in problems:
        typer.echo(f"{problem.path}: {problem.severity}: {problem.message}")
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    counts = f"{_count(errors, 'error')}, {_count(warnings, 'warning')}"
    typer.echo(f"{_count(len(files), 'file')} checked: {counts}", err=True)
    if errors:
        raise typer.Exit(1)
