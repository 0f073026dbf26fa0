"""What each tool is: the closed set of tool kinds, and what a kind means by default.

Every tool declares its ``kind`` once (``devagent.tools.base.Tool.kind``); the permission
engine, the approver, the tool view and review read the kind instead of listing tool names,
so a new tool needs no edit anywhere else:

    read     looks at files, changes nothing        Read, Grep, Glob, LS, NotebookRead
    edit     changes files                          Edit, MultiEdit, Write, ApplyPatch, NotebookEdit
    execute  runs or controls processes             Bash, BashOutput, KillShell
    network  reaches beyond the machine             WebFetch, WebSearch
    plan     leaves plan mode                       ExitPlanMode
    agent    runs a sub-agent                       Task
    skill    loads a skill's instructions           Skill
    todo     keeps the plan shown to the user       TodoWrite
    mcp      a tool of an MCP server                mcp__SERVER__TOOL (the client may say more)
    other    none of these                          ReportFinding; the default, and the safe one

What the permission engine makes of a kind: ``Read`` rules also cover every ``read`` tool and
``Edit``/``Write`` rules every ``edit`` tool; acceptEdits mode allows ``edit`` tools inside the
workspace; read-only calls, ``agent`` calls and ``plan`` calls never ask (see ``never_asks``):
ExitPlanMode asks its own question, about the plan. An ``mcp`` tool's read-only claim is the
server's (``readOnlyHint``): it lets the tool run in plan mode, but it still asks.
"""

from __future__ import annotations

from typing import Literal

ToolKind = Literal[
    "read", "edit", "execute", "network", "plan", "agent", "skill", "todo", "mcp", "other"
]


def read_only_by_default(kind: ToolKind) -> bool:
    """Whether tools of ``kind`` change nothing, unless a tool says otherwise (BashOutput
    only reads a background shell's output, though ``execute`` tools usually change things).
    Loading a skill reads its instructions and runs nothing."""
    return kind in ("read", "todo", "skill")


def never_asks(kind: ToolKind, read_only: bool) -> bool:
    """Whether a call runs without asking when no rule says otherwise: it changes nothing, it
    starts a sub-agent, whose own calls are checked one by one, or it leaves plan mode, which
    asks the user about the plan itself (so plan mode lets it run). An MCP server's claim to
    change nothing is not proof enough: its tools ask."""
    return (read_only and kind != "mcp") or kind in ("agent", "plan")
