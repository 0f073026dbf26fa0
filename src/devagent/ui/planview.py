"""The plan question: ExitPlanMode's plan, drawn as the chat draws answers, then one key.

    ──────────────────────────────── plan ────────────────────────────────
    (the plan, through the chat's Markdown renderer)
    ──────────────────────────────────────────────────────────────────────
      y  yes, and ask before each edit (default mode)
      a  yes, and accept edits: they run without asking (acceptEdits mode)
    ❯ n  no, keep planning, and tell the model what to change
    Carry out this plan? [y/a/n]

The keys match the approval question: ``y`` is the narrow yes, ``a`` the yes that stops
asking, ``n`` no. The highlight starts on ``n``, so a stray Enter approves nothing; Esc (and
end of input) keeps planning without asking for feedback; Ctrl-C propagates.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.rule import Rule

from devagent.approval import PlanAnswer, PlanApproval, PlanChoice
from devagent.ui.console import sanitize
from devagent.ui.keychoice import ESCAPE, Choice, KeyQuestion
from devagent.ui.stream_md import StreamingMarkdown

PROMPT = "Carry out this plan? [y/a/n] "
FEEDBACK_PROMPT = "what should change in the plan? (optional): "
CHOICES = (
    Choice("y", "yes, and ask before each edit (default mode)", "yes", "yes"),
    Choice(
        "a", "yes, and accept edits: they run without asking (acceptEdits mode)", "yes", "accept"
    ),
    Choice("n", "no, keep planning, and tell the model what to change", "no", "no"),
)
_ANSWERS: dict[str, PlanChoice] = {
    "y": "ask_each",
    "a": "accept_edits",
    "n": "keep_planning",
    ESCAPE: "keep_planning",
}


def show_plan(console: Console, plan: str) -> None:
    """The plan between two rules, rendered as the chat renders the model's answers."""
    console.print(Rule("plan", style="cyan"))
    stream = StreamingMarkdown(console)
    stream.feed(sanitize(plan.strip()) + "\n")
    stream.finish()
    console.print(Rule(style="cyan"))


def review_plan(
    console: Console,
    ask_key: Callable[[KeyQuestion], str],
    ask_line: Callable[[str], str],
    request: PlanApproval,
) -> PlanAnswer:
    """Show the plan and ask whether to carry it out (see the module docstring)."""
    show_plan(console, request.plan)
    question = KeyQuestion(PROMPT, CHOICES, default=2, escape="n")
    try:
        key = ask_key(question)
    except EOFError:
        return PlanAnswer("keep_planning")
    choice = _ANSWERS[key]
    if choice != "keep_planning" or key == ESCAPE:
        return PlanAnswer(choice)
    try:
        feedback = ask_line(FEEDBACK_PROMPT).strip()
    except EOFError:
        feedback = ""
    return PlanAnswer(choice, feedback or None)
