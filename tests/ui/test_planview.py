"""The plan question: the plan drawn as Markdown, which key gives which answer, feedback, and
the terminal approver asking it (after pausing the spinner); /plan enters plan mode; a resumed
session shows the plan again."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from devagent.approval import PlanAnswer, PlanApproval
from devagent.llm.scripted import ScriptedModel
from devagent.messages import Message, text_block, tool_result_block
from devagent.prompt import PLAN_MODE_NOTE
from devagent.tools.plan import ENDED
from devagent.ui.approver import TerminalApprover
from devagent.ui.console import make_console
from devagent.ui.keychoice import ESCAPE, KeyQuestion, LineKeys, ask_key
from devagent.ui.planview import FEEDBACK_PROMPT, PROMPT, review_plan
from devagent.ui.replay import replay
from ui.repl_harness import make_chat

PLAN = "## Steps\n\n1. Rename **parse_config** in `src/config.py`\n2. Run the tests\n"


class Lines:
    """Typed lines in order; records each prompt."""

    def __init__(self, *typed: str | BaseException) -> None:
        self.typed = list(typed)
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        item = self.typed.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item


def ask(
    *typed: str | BaseException, plan: str = PLAN, keys: Callable[[KeyQuestion], str] | None = None
) -> tuple[PlanAnswer, str, Lines]:
    out = io.StringIO()
    console = make_console(file=out, env={"NO_COLOR": "1"}, width=80)
    lines = Lines(*typed)
    answer = review_plan(console, keys or LineKeys(console, lines), lines, PlanApproval(plan))
    return answer, out.getvalue(), lines


def test_the_plan_is_drawn_as_markdown_between_rules_then_the_choices() -> None:
    _, shown, lines = ask("y")
    rule = "─" * 80
    assert shown == (
        f"{rule[:37]} plan {rule[:37]}\n"
        "Steps\n"
        "\n"
        "1. Rename parse_config in src/config.py\n"
        "2. Run the tests\n"
        f"{rule}\n"
        "  y  yes, and ask before each edit (default mode)\n"
        "  a  yes, and accept edits: they run without asking (acceptEdits mode)\n"
        "  n  no, keep planning, and tell the model what to change\n"
    )
    assert lines.prompts == [PROMPT]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (("y",), PlanAnswer("ask_each")),
        (("a",), PlanAnswer("accept_edits")),
        (("accept",), PlanAnswer("accept_edits")),
        (("n", "  split step 2  "), PlanAnswer("keep_planning", "split step 2")),
        (("no", ""), PlanAnswer("keep_planning")),
        (("n", EOFError()), PlanAnswer("keep_planning")),
        (("maybe", "n", "later"), PlanAnswer("keep_planning", "later")),
    ],
)
def test_which_answer_gives_which_choice(
    typed: tuple[str | BaseException, ...], expected: PlanAnswer
) -> None:
    answer, _, lines = ask(*typed)
    assert answer == expected
    asked_feedback = expected.choice == "keep_planning"
    assert (FEEDBACK_PROMPT in lines.prompts) is asked_feedback


def test_esc_and_end_of_input_keep_planning_without_asking_for_feedback() -> None:
    answer, _, lines = ask(keys=lambda _question: ESCAPE)
    assert answer == PlanAnswer("keep_planning") and lines.prompts == []

    def ended(_question: KeyQuestion) -> str:
        raise EOFError

    assert ask(keys=ended)[0] == PlanAnswer("keep_planning")


def test_ctrl_c_at_the_question_propagates() -> None:
    with pytest.raises(KeyboardInterrupt):
        ask(KeyboardInterrupt())


def test_a_stray_enter_keeps_planning_and_escape_answers_no() -> None:
    def keys(sent: str) -> Callable[[KeyQuestion], str]:
        def answer(question: KeyQuestion) -> str:
            with create_pipe_input() as pipe:
                pipe.send_text(sent)
                return ask_key(question, input=pipe, output=DummyOutput())

        return answer

    assert ask("", keys=keys("\r"))[0] == PlanAnswer("keep_planning")
    assert ask(keys=keys("\x1b"))[0] == PlanAnswer("keep_planning")
    assert ask(keys=keys("A"))[0] == PlanAnswer("accept_edits")


def test_control_characters_in_the_plan_are_shown_not_run() -> None:
    _, shown, _ = ask("y", plan="Step\x1b[2J one\x07")
    assert "\x1b" not in shown and "\x07" not in shown
    assert "Step\\x1b[2J one\\x07" in shown


def test_the_terminal_approver_pauses_the_spinner_then_asks() -> None:
    out = io.StringIO()
    events: list[str] = []
    lines = Lines("a")
    approver = TerminalApprover(
        make_console(file=out, env={"NO_COLOR": "1"}, width=80),
        lines,
        before_prompt=lambda: events.append("paused"),
    )
    assert approver.review_plan(PlanApproval(PLAN)) == PlanAnswer("accept_edits")
    assert events == ["paused"] and "2. Run the tests" in out.getvalue()


def test_slash_plan_enters_plan_mode_and_help_lists_it(tmp_path: Path, devagent_home: Path) -> None:
    chat = make_chat(tmp_path, devagent_home, ScriptedModel([]), ["/plan", "/help"])
    chat.repl.run()
    assert chat.repl.engine.mode == "plan"
    assert "Permission mode: plan." in chat.output()
    assert "/plan [TASK]   Plan first: read-only until you approve" in chat.output()


def test_a_resumed_session_shows_the_plan_under_its_call_and_not_the_mode_note() -> None:
    messages: list[Message] = [
        {"role": "user", "content": [text_block(PLAN_MODE_NOTE), text_block("rename it")]},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "p1", "name": "ExitPlanMode", "input": {"plan": PLAN}}
            ],
        },
        {"role": "user", "content": [tool_result_block("p1", ENDED)]},
    ]
    out = io.StringIO()
    replay(make_console(file=out, env={"NO_COLOR": "1"}, width=40), messages)
    rule = "─" * 40
    assert out.getvalue() == (
        "> rename it\n"
        "\n"
        "● ExitPlanMode\n"
        f"{rule[:17]} plan {rule[:17]}\n"
        "Steps\n"
        "\n"
        "1. Rename parse_config in src/config.py\n"
        "2. Run the tests\n"
        f"{rule}\n"
    )
