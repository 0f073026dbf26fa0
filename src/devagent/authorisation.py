"""Whether one tool call may run, and what a refused call tells the model and the record.

The permission policy decides; where it asks, the approver asks the user, shown the diff of the
call's changes. Deciding records nothing: a refused call is the caller's to report, with
``denial_text`` for the model and ``denial_record`` for the run's ``permission_denials``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devagent.approval import ApprovalRequest, Approver, PermissionPolicy, PermissionRequest
from devagent.diffs import unified_diff
from devagent.hooks.calls import Gate
from devagent.hooks.permission import with_hook
from devagent.messages import Block
from devagent.tools.base import FileChange


@dataclass(frozen=True)
class Verdict:
    """Whether a call may run; ``reason`` is the policy's, ``feedback`` what the user said
    when they refused it."""

    allowed: bool
    reason: str
    feedback: str | None = None


def authorise(
    policy: PermissionPolicy,
    approver: Approver,
    workspace: Path,
    request: PermissionRequest,
    tool_use_id: str,
    changes: tuple[FileChange, ...] = (),
    gate: Gate | None = None,
) -> Verdict:
    """The policy's decision (then PreToolUse hooks', from ``gate``, which never widens past
    the policy: ``devagent.hooks.permission``), or the user's answer when that asks."""
    decision = policy.decide(request)
    if gate is not None:
        decision = with_hook(decision, gate.permission, gate.reason)
    if decision.behavior == "allow":
        return Verdict(True, decision.reason)
    if decision.behavior == "deny":
        return Verdict(False, decision.reason)
    diff = unified_diff(changes, workspace) if changes else None
    answer = approver.ask(
        ApprovalRequest(
            tool_use_id,
            request.tool_name,
            request.tool_input,
            decision,
            diff,
            request.command,
            request.kind,
        )
    )
    return Verdict(answer.approved, decision.reason, None if answer.approved else answer.feedback)


def denial_text(reason: str, feedback: str | None) -> str:
    """The tool result a refused call gets: why, and what the user said or what to do next."""
    text = f"Permission denied: {reason}. The call was not run."
    if feedback:
        return text + f" The user said: {feedback}"
    return text + " Do not retry it unchanged; choose another approach or ask the user."


def denial_record(block: Block, reason: str) -> dict[str, Any]:
    """One entry of a run's ``permission_denials``."""
    return {
        "tool_name": block["name"],
        "tool_use_id": block["id"],
        "tool_input": block["input"],
        "reason": reason,
    }
