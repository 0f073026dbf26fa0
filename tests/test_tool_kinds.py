"""A new tool needs no edit anywhere else: its kind decides permissions, approval and display.

``Stamp`` is made up here and only added to a run's registry. Because it says it is of kind
``edit``, acceptEdits mode allows it, ``Edit(path)`` rules cover it, the approver offers to
remember it as ``Edit(<path>)``, and the chat view draws it as it draws Edit: labelled by its
path, its result summarised in one line.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, ClassVar

import pytest

from devagent.agent import Agent, RunResult
from devagent.approval import Approver, DenyingApprover, PermissionPolicy
from devagent.events import EventSink
from devagent.llm.scripted import ScriptedModel, text_reply, tool_reply
from devagent.permissions import Mode, PermissionEngine, Rule
from devagent.review.runner import ALLOWED_TOOLS
from devagent.toolkinds import ToolKind, never_asks, read_only_by_default
from devagent.tools.base import Args, PreparedCall, Tool, ToolContext, ToolResult
from devagent.tools.catalog import TOOL_TYPES, default_registry
from devagent.ui.approver import TerminalApprover
from devagent.ui.chat_view import ChatView
from devagent.ui.console import make_console


class Stamp(Tool):
    name = "Stamp"
    description = "Appends a stamp line to a file."
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"file_path": {"type": "string"}},
        "required": ["file_path"],
    }
    kind: ClassVar[ToolKind] = "edit"

    def prepare(self, args: Args, ctx: ToolContext) -> PreparedCall:
        path = ctx.workspace / str(args["file_path"])

        def execute() -> ToolResult:
            path.write_text(path.read_text() + "stamped\n")
            return ToolResult(f"Stamped {path.name}. It now ends with:\nstamped")

        return PreparedCall(execute, paths=(path,))


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    workspace = tmp_path / "proj"
    workspace.mkdir()
    (workspace / "notes.txt").write_text("notes\n")
    return workspace


def engine(ws: Path, mode: Mode = "default", **rules: list[str]) -> PermissionEngine:
    parsed = {kind: [Rule.parse(r, "test") for r in texts] for kind, texts in rules.items()}
    return PermissionEngine(ws, mode=mode, user_home=ws.parent, **parsed)


def run_stamp(
    ws: Path,
    policy: PermissionPolicy,
    approver: Approver | None = None,
    emit: EventSink | None = None,
    file_path: str = "notes.txt",
) -> RunResult:
    model = ScriptedModel([tool_reply(("Stamp", {"file_path": file_path})), text_reply("Done.")])
    agent = Agent(
        model=model,
        tools=default_registry(Stamp()),
        ctx=ToolContext(workspace=ws, cwd=ws),
        policy=policy,
        approver=approver or DenyingApprover(),
        system="system prompt",
        emit=emit or (lambda _event: None),
    )
    result = agent.run("Stamp the notes.")
    model.assert_consumed()
    return result


def stamped(ws: Path) -> bool:
    return (ws / "notes.txt").read_text() == "notes\nstamped\n"


def test_an_edit_tool_is_not_read_only_so_default_mode_asks(ws: Path) -> None:
    assert Stamp.read_only is False
    result = run_stamp(ws, engine(ws))
    assert [d["tool_name"] for d in result.permission_denials] == ["Stamp"]
    assert "needs approval in default mode" in result.permission_denials[0]["reason"]
    assert not stamped(ws)


def test_accept_edits_mode_allows_it_in_the_workspace(ws: Path) -> None:
    result = run_stamp(ws, engine(ws, "acceptEdits"))
    assert result.permission_denials == [] and stamped(ws)


def test_edit_rules_cover_it(ws: Path) -> None:
    assert run_stamp(ws, engine(ws, allow=["Edit(/notes.txt)"])).permission_denials == []
    assert stamped(ws)
    denied = run_stamp(ws, engine(ws, "acceptEdits", deny=["Write(*.txt)"]))
    assert denied.permission_denials[0]["reason"] == "Stamp is denied by Write(*.txt)"


def test_the_approver_offers_a_file_rule(ws: Path) -> None:
    out = io.StringIO()
    answers = iter(["a"])
    remembered: list[str] = []
    approver = TerminalApprover(
        make_console(file=out, env={}, width=200),
        lambda _prompt: next(answers),
        on_remember=remembered.append,
        workspace=ws,
    )
    result = run_stamp(ws, engine(ws), approver)
    assert result.permission_denials == [] and remembered == ["Edit(/notes.txt)"]
    assert "yes, and don't ask again for this file: adds Edit(/notes.txt)" in out.getvalue()


def test_the_chat_view_shows_it_as_a_file_tool(ws: Path) -> None:
    out = io.StringIO()
    view = ChatView(make_console(file=out, env={}, width=60), workspace=ws, min_interval_s=0.0)
    run_stamp(ws, engine(ws, "acceptEdits"), emit=view, file_path=str(ws / "notes.txt"))
    view.end_turn()
    assert "● Stamp notes.txt\n  ⎿ Stamped notes.txt.\n" in out.getvalue()


# --- what the built-in tools declare ------------------------------------------------------------


def test_every_tool_declares_its_kind() -> None:
    assert {tool.name: tool.kind for tool in TOOL_TYPES} == {
        "Read": "read",
        "Grep": "read",
        "Glob": "read",
        "LS": "read",
        "Write": "edit",
        "Edit": "edit",
        "MultiEdit": "edit",
        "ApplyPatch": "edit",
        "NotebookRead": "read",
        "NotebookEdit": "edit",
        "Bash": "execute",
        "BashOutput": "execute",
        "KillShell": "execute",
        "TodoWrite": "todo",
        "WebFetch": "network",
        "WebSearch": "network",
        "Task": "agent",
        "Skill": "skill",
        "ExitPlanMode": "plan",
    }


def test_read_only_follows_the_kind_unless_a_tool_says_otherwise() -> None:
    differs = {t.name for t in TOOL_TYPES if t.read_only != read_only_by_default(t.kind)}
    assert differs == {"BashOutput"}
    never = {t.name for t in TOOL_TYPES if never_asks(t.kind, t.read_only)}
    assert never == {
        *("Read", "Grep", "Glob", "LS", "NotebookRead"),
        *("TodoWrite", "Task", "Skill", "BashOutput", "ExitPlanMode"),
    }


def test_a_review_may_use_the_tools_that_only_read_files() -> None:
    assert sorted(ALLOWED_TOOLS) == ["Glob", "Grep", "LS", "NotebookRead", "Read", "ReportFinding"]
