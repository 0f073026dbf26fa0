"""Command-line options shared by the commands that start an agent (one-shot, run, chat)."""

from __future__ import annotations

from typing import Annotated

import typer

ModeOpt = Annotated[
    str | None,
    typer.Option(
        "--permission-mode",
        help="How tool calls are approved.",
        metavar="default|acceptEdits|plan|dontAsk|bypassPermissions",
    ),
]
AllowOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--allowed-tools", help="Allow rule, e.g. 'Bash(npm test:*)'. Repeatable.", metavar="RULE"
    ),
]
DenyOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--disallowed-tools", help="Deny rule, e.g. 'Bash(rm:*)'. Repeatable.", metavar="RULE"
    ),
]
AgentOpt = Annotated[str | None, typer.Option("--agent", help="Persona to run as.", metavar="NAME")]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="Model: alias (sonnet, opus, haiku), id, or PROFILE:MODEL (ollama:qwen3-coder).",
        metavar="M",
    ),
]
ContinueOpt = Annotated[
    bool, typer.Option("--continue", help="Continue the latest session of this project.")
]
ResumeOpt = Annotated[
    str | None, typer.Option("--resume", help="Resume the session with this id.", metavar="ID")
]
SandboxOpt = Annotated[
    str | None,
    typer.Option(
        "--sandbox",
        help="Where Bash commands run (default: the sandbox.mode setting, else workspace-write).",
        metavar="workspace-write|read-only|off",
    ),
]
McpConfigOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--mcp-config",
        help="Load MCP servers from this JSON file (Claude Code's format). Repeatable.",
        metavar="FILE",
    ),
]
StrictMcpOpt = Annotated[
    bool,
    typer.Option("--strict-mcp-config", help="Use only the MCP servers of --mcp-config files."),
]
