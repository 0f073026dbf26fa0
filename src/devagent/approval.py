"""The permission and approval seams: what the loop asks, and who answers.

``PermissionPolicy.decide`` is pure: mode x tool x input -> allow / ask / deny, with the rule
that decided and where it came from. On "ask" the loop calls ``Approver.ask`` with the exact
diff or command; one-shot mode's approver always says no, and the denial is recorded.

Leaving plan mode is a question of its own: ExitPlanMode shows the plan through
``Approver.review_plan`` and switches the mode through a ``ModeSwitch`` (the permission
engine) as the answer says. One-shot mode's approver cannot approve a plan, so its answer ends
the run with the plan as the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from devagent.toolkinds import ToolKind, never_asks

Behavior = Literal["allow", "ask", "deny"]


@dataclass(frozen=True)
class PermissionRequest:
    """One tool call as the policy sees it.

    ``paths`` are real (symlink-resolved) paths the call touches; ``command`` is the shell
    command for Bash; ``read_only`` and ``kind`` are the tool's own (``Tool.read_only``,
    ``Tool.kind``). Whoever builds a request says them: the policy never looks tools up.
    """

    tool_name: str
    tool_input: Mapping[str, Any]
    paths: tuple[Path, ...] = ()
    command: str | None = None
    read_only: bool = False
    kind: ToolKind = "other"


@dataclass(frozen=True)
class Decision:
    """The policy's verdict. ``rule`` is e.g. ``Bash(git push:*)``; ``source`` where it was
    defined (a flag, a settings file's path, or ``mode:<name>`` / ``builtin``); ``sandbox``,
    for a Bash command, where it would run (e.g. "in the workspace-write sandbox")."""

    behavior: Behavior
    reason: str
    rule: str | None = None
    source: str | None = None
    sandbox: str | None = None


class PermissionPolicy(Protocol):
    def decide(self, request: PermissionRequest) -> Decision:
        """Decide one call. Must not prompt, print or touch the disk."""
        ...


@dataclass(frozen=True)
class ApprovalRequest:
    tool_use_id: str
    tool_name: str
    tool_input: Mapping[str, Any]
    decision: Decision
    diff: str | None = None
    command: str | None = None
    kind: ToolKind = "other"


@dataclass(frozen=True)
class ApprovalAnswer:
    """The human's answer. ``feedback`` goes back to the model with a denial; ``remember``
    is a rule to allow from now on (e.g. ``Edit(src/app.py)`` or ``Bash(npm test:*)``)."""

    approved: bool
    feedback: str | None = None
    remember: str | None = None


@dataclass(frozen=True)
class PlanApproval:
    """ExitPlanMode's question: the plan (Markdown) the model wants to carry out."""

    plan: str


PlanChoice = Literal["accept_edits", "ask_each", "keep_planning", "end_run"]
"""``accept_edits``: yes, and edits in the workspace run without asking (acceptEdits mode);
``ask_each``: yes, and each edit asks (default mode); ``keep_planning``: no, plan mode stays;
``end_run``: nobody can answer here, so the run ends with the plan as its result."""


@dataclass(frozen=True)
class PlanAnswer:
    """The human's answer to a plan; ``feedback`` (with ``keep_planning``) goes to the model."""

    choice: PlanChoice
    feedback: str | None = None


class Approver(Protocol):
    def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        """Ask the human about one call. May block; must honour Ctrl-C by raising."""
        ...

    def review_plan(self, request: PlanApproval) -> PlanAnswer:
        """Show the plan and ask whether to carry it out. May block; Ctrl-C raises."""
        ...


class ModeSwitch(Protocol):
    """Who holds the permission mode (the permission engine), for ExitPlanMode to leave it."""

    @property
    def mode(self) -> str: ...

    def set_mode(self, mode: str) -> None: ...


class DenyingApprover:
    """One-shot mode: nobody can answer, so every "ask" is a denial, and a plan ends the run."""

    def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        return ApprovalAnswer(approved=False)

    def review_plan(self, request: PlanApproval) -> PlanAnswer:
        return PlanAnswer("end_run")


class ReadOnlyPolicy:
    """Read-only tools (and Task, whose sub-agent's calls are checked) run; the rest asks."""

    def decide(self, request: PermissionRequest) -> Decision:
        if never_asks(request.kind, request.read_only):
            return Decision("allow", "read-only tool", source="builtin")
        return Decision("ask", f"{request.tool_name} changes files or runs commands")
