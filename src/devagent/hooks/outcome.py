"""What the hooks of one event said, read as Claude Code reads it, and merged into one answer.

Per command:
- exit 0: success. Stdout that is a JSON object is read for its fields (below); other stdout is
  context for the model on UserPromptSubmit and SessionStart and otherwise ignored.
- exit 2: a block; stderr is the reason (it goes to the model, or to the user for
  UserPromptSubmit). Stdout is ignored.
- any other exit, a timeout, or a command that could not start: a non-blocking error shown to
  the user.

JSON fields: ``continue: false`` (+ ``stopReason``) ends the run after this event;
``systemMessage`` is shown to the user; ``suppressOutput`` keeps stdout out of what is shown (it
never is); ``decision: "block"`` + ``reason`` blocks (PreToolUse also takes the older
``"approve"``, meaning allow); ``hookSpecificOutput`` carries ``permissionDecision``
(``allow``/``deny``/``ask``) with ``permissionDecisionReason``, ``updatedInput`` and
``additionalContext``.

Merging the hooks of one event: any block blocks (their reasons joined); for the permission
decision deny beats ask beats allow; the last ``updatedInput`` in configuration order wins.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from devagent.hooks.config import EventName
from devagent.hooks.runner import HookRun

HookPermission = Literal["allow", "deny", "ask"]
_RANK: dict[HookPermission, int] = {"allow": 0, "ask": 1, "deny": 2}
_PLAIN_CONTEXT_EVENTS = frozenset({"UserPromptSubmit", "SessionStart"})
_MAX_SHOWN = 2000


@dataclass
class HookOutcome:
    """The merged answer of one event's hooks (see the module docstring)."""

    event: EventName
    ran: int = 0
    blocked: bool = False
    reasons: list[str] = field(default_factory=list)
    context: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    permission: HookPermission | None = None
    permission_reason: str = ""
    updated_input: dict[str, Any] | None = None
    stop_reason: str | None = None

    @property
    def reason(self) -> str:
        """The blocking reasons, one per line (a default when a hook gave none)."""
        return "\n".join(self.reasons) or f"blocked by a {self.event} hook"

    def add_context(self) -> str:
        return "\n".join(c for c in self.context if c.strip())


def merge(event: EventName, runs: Sequence[HookRun]) -> HookOutcome:
    outcome = HookOutcome(event, ran=len(runs))
    for run in runs:
        _read_one(outcome, run)
    return outcome


def _read_one(outcome: HookOutcome, run: HookRun) -> None:
    name = _shown_command(run.hook.command)
    if run.status == "timed_out":
        outcome.notices.append(
            f"{outcome.event} hook `{name}` timed out after {run.hook.timeout_s:g} s and was "
            "stopped."
        )
    elif run.status == "interrupted":
        outcome.notices.append(f"{outcome.event} hook `{name}` was interrupted.")
    elif run.status == "failed_to_start" or run.exit_code is None:
        outcome.notices.append(f"{outcome.event} hook `{name}` {run.stderr.strip()}")
    elif run.exit_code == 2:
        outcome.blocked = True
        outcome.reasons.append(run.stderr.strip() or f"blocked by the hook `{name}`")
    elif run.exit_code != 0:
        detail = _clip(run.stderr.strip() or run.stdout.strip())
        outcome.notices.append(
            f"{outcome.event} hook `{name}` failed (exit {run.exit_code})"
            + (f": {detail}" if detail else "")
        )
    else:
        _read_success(outcome, run)


def _read_success(outcome: HookOutcome, run: HookRun) -> None:
    data = _json_object(run.stdout)
    if data is None:
        if outcome.event in _PLAIN_CONTEXT_EVENTS and run.stdout.strip():
            outcome.context.append(run.stdout.strip())
        return
    if data.get("continue") is False:
        reason = data.get("stopReason")
        outcome.stop_reason = reason if isinstance(reason, str) and reason else "stopped by a hook"
    message = data.get("systemMessage")
    if isinstance(message, str) and message.strip():
        outcome.notices.append(message.strip())
    _read_decision(outcome, data)
    specific = data.get("hookSpecificOutput")
    if isinstance(specific, dict):
        _read_specific(outcome, specific)


def _read_decision(outcome: HookOutcome, data: dict[str, Any]) -> None:
    decision = data.get("decision")
    reason = data.get("reason")
    reason_text = reason.strip() if isinstance(reason, str) else ""
    if outcome.event == "PreToolUse" and decision in ("approve", "block"):
        # Claude Code's older PreToolUse form: approve = allow, block = deny.
        _set_permission(outcome, "allow" if decision == "approve" else "deny", reason_text)
        return
    if decision == "block":
        outcome.blocked = True
        outcome.reasons.append(reason_text or f"blocked by a {outcome.event} hook")


def _read_specific(outcome: HookOutcome, specific: dict[str, Any]) -> None:
    wanted = specific.get("permissionDecision")
    if outcome.event == "PreToolUse" and wanted in _RANK:
        reason = specific.get("permissionDecisionReason")
        _set_permission(outcome, wanted, reason if isinstance(reason, str) else "")
    updated = specific.get("updatedInput")
    if outcome.event == "PreToolUse" and isinstance(updated, dict):
        outcome.updated_input = updated
    extra = specific.get("additionalContext")
    if isinstance(extra, str) and extra.strip():
        outcome.context.append(extra.strip())


def _set_permission(outcome: HookOutcome, wanted: HookPermission, reason: str) -> None:
    current = outcome.permission
    if current is None or _RANK[wanted] > _RANK[current]:
        outcome.permission, outcome.permission_reason = wanted, reason
    elif wanted == current and reason and not outcome.permission_reason:
        outcome.permission_reason = reason


def _json_object(stdout: str) -> dict[str, Any] | None:
    text = stdout.strip()
    if not text.startswith("{"):
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _shown_command(command: str) -> str:
    first = command.strip().splitlines()[0] if command.strip() else command
    return first if len(first) <= 80 else first[:77] + "..."


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + " [...]"
