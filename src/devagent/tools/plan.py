"""The ExitPlanMode tool: in plan mode, present the plan and leave plan mode if it is approved.

Plan mode lets only read-only tools run, so the model explores and designs; when the plan is
ready it calls ExitPlanMode ``{plan}`` with the plan in Markdown. The call asks its own
question (``Approver.review_plan``), and the answer decides:

- yes, and accept edits: the permission mode becomes ``acceptEdits``; the model carries on;
- yes, and ask for each edit: the mode becomes ``default``; the model carries on;
- no, keep planning: plan mode stays; the user's feedback goes back in an error result;
- nobody can answer (one-shot): the run ends with the plan as its result, nothing changed.

Outside plan mode the call is an error saying so. The plan stays in the session as the
call's input, so a continued session (``--continue``) still holds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from devagent.approval import Approver, ModeSwitch, PlanAnswer, PlanApproval
from devagent.messages import Block, Message
from devagent.toolkinds import ToolKind
from devagent.tools.base import Args, PreparedCall, Tool, ToolContext, ToolError, ToolResult

NAME = "ExitPlanMode"
_MODES = {"accept_edits": "acceptEdits", "ask_each": "default"}
_APPROVED = {
    "acceptEdits": "edits in the workspace run without asking",
    "default": "each edit and command asks the user first",
}
ENDED = (
    "The plan was presented and this run ends here; nothing was changed. The user may "
    "continue this session to have it carried out."
)


class ExitPlanModeTool(Tool):
    name: ClassVar[str] = NAME
    description: ClassVar[str] = (
        "Present your plan to the user and ask to leave plan mode. Call it only in plan mode, "
        "once you have explored enough to plan a change to the code; the user approves the "
        "plan (then carry it out) or asks you to keep planning and says what to change. Do "
        "not call it for research or questions that need no change: just answer those."
    )
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "plan": {
                "type": "string",
                "description": (
                    "The plan to carry out, in Markdown: concise steps, the files they touch "
                    "and how the result will be checked."
                ),
            }
        },
        "required": ["plan"],
        "additionalProperties": False,
    }
    kind: ClassVar[ToolKind] = "plan"

    def __init__(self, modes: ModeSwitch, approver: Approver) -> None:
        self.modes = modes
        self.approver = approver

    def prepare(self, args: Args, ctx: ToolContext) -> PreparedCall:
        plan = str(args["plan"]).strip()
        if not plan:
            raise ToolError("The plan is empty: pass the plan itself, in Markdown.")
        mode = self.modes.mode
        if mode != "plan":
            raise ToolError(
                f"Not in plan mode (the permission mode is {mode}), so there is no plan mode "
                "to leave: carry on with the task, or just answer, without ExitPlanMode."
            )
        return PreparedCall(execute=lambda: self._review(plan))

    def _review(self, plan: str) -> ToolResult:
        answer = self.approver.review_plan(PlanApproval(plan))
        if answer.choice == "end_run":
            return ToolResult(ENDED, final=plan)
        if answer.choice == "keep_planning":
            return ToolResult(_keep_planning(answer), is_error=True)
        mode = _MODES[answer.choice]
        self.modes.set_mode(mode)
        return ToolResult(
            f"Plan approved; mode: {mode}, so {_APPROVED[mode]}.\n"
            "Plan mode is off: carry out the plan now."
        )


def _keep_planning(answer: PlanAnswer) -> str:
    text = "Plan not approved: the user wants to keep planning, and plan mode stays on.\n"
    if answer.feedback:
        return f"{text}The user said: {answer.feedback}"
    return f"{text}Ask the user what to change, or rethink the plan before presenting it again."


def ended_with_plan(history: Sequence[Message]) -> bool:
    """Whether the history ends with a run that ExitPlanMode ended (its plan the result), so
    the last request did get its answer even though no reply follows it."""
    if len(history) < 2 or history[-1].get("role") != "user":
        return False
    calls = _blocks(history[-2], "tool_use")
    plan_ids = {b.get("id") for b in calls if b.get("name") == NAME}
    results = _blocks(history[-1], "tool_result")
    return any(b.get("tool_use_id") in plan_ids and b.get("content") == ENDED for b in results)


def _blocks(message: Message, kind: str) -> list[Block]:
    content = message.get("content")
    if not isinstance(content, list):
        return []
    return [b for b in content if isinstance(b, dict) and b.get("type") == kind]
