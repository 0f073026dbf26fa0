"""Notification hooks: fired when devagent stops to ask the user something.

``NotifyingApprover`` wraps the approver of a run: before it asks about a call (or shows a plan)
it fires Notification with ``message`` and ``notification_type`` ``permission_prompt`` (the
matcher sees the type), so a hook can ping the user; the question is asked either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from devagent.approval import ApprovalAnswer, ApprovalRequest, Approver, PlanAnswer, PlanApproval
from devagent.events import EventSink
from devagent.hooks.calls import show
from devagent.hooks.dispatch import Hooks

PERMISSION_PROMPT = "permission_prompt"


@dataclass
class NotifyingApprover:
    """An ``Approver`` that fires Notification hooks before each question."""

    inner: Approver
    hooks: Hooks
    emit: EventSink

    def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        self._notify(f"devagent needs your permission to use {request.tool_name}")
        return self.inner.ask(request)

    def review_plan(self, request: PlanApproval) -> PlanAnswer:
        self._notify("devagent has a plan for your approval")
        return self.inner.review_plan(request)

    def _notify(self, message: str) -> None:
        fields = {"message": message, "notification_type": PERMISSION_PROMPT}
        show(self.hooks.fire("Notification", fields, target=PERMISSION_PROMPT), self.emit)
