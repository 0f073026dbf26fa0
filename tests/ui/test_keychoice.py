"""One-key questions: how they look (golden) and which key gives which answer, through a real
prompt-toolkit application reading a pipe."""

from __future__ import annotations

import io

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.input.typeahead import get_typeahead, store_typeahead
from prompt_toolkit.key_binding import KeyPress
from prompt_toolkit.output import DummyOutput

from devagent.ui.console import make_console
from devagent.ui.keychoice import ESCAPE, Choice, KeyQuestion, LineKeys, ask_key, fragments

QUESTION = KeyQuestion(
    "Allow Edit? [y/a/n] ",
    (
        Choice("y", "yes", "yes", "yes"),
        Choice("a", "yes, and don't ask again for this file: adds Edit(app.py)", "yes", "always"),
        Choice("n", "no, and tell the model what to do instead", "no", "no"),
    ),
    default=2,
    escape="n",
    notes=("(no rule is offered for $(x): any would allow more, so it asks again)",),
)


def plain(question: KeyQuestion, highlighted: int, answer: str | None = None) -> str:
    return "".join(text for _style, text in fragments(question, highlighted, answer))


def test_the_question_with_its_highlight() -> None:
    assert plain(QUESTION, 2) == (
        "  y  yes\n"
        "  a  yes, and don't ask again for this file: adds Edit(app.py)\n"
        "❯ n  no, and tell the model what to do instead\n"
        "  (no rule is offered for $(x): any would allow more, so it asks again)\n"
        "  ↑↓ Enter picks the highlighted answer · Esc says no\n"
        "Allow Edit? [y/a/n] "
    )
    assert plain(QUESTION, 0).startswith("❯ y  yes\n  a  ")


def test_once_answered_one_line_says_what_was_chosen() -> None:
    assert plain(QUESTION, 2, "y") == "Allow Edit? [y/a/n] yes\n"
    assert plain(QUESTION, 0, "n") == (
        "Allow Edit? [y/a/n] no, and tell the model what to do instead\n"
    )
    assert plain(QUESTION, 2, ESCAPE) == "Allow Edit? [y/a/n] no (Esc)\n"


def test_the_keys_are_coloured_and_the_highlight_bold() -> None:
    styles = fragments(QUESTION, 2)
    assert ("ansigreen bold", "y") in styles and ("ansired bold", "n") in styles
    assert ("bold", "❯ ") in styles
    assert ("bold", "  no, and tell the model what to do instead\n") in styles


def answer(keys: str, question: KeyQuestion = QUESTION) -> str:
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        return ask_key(question, input=pipe, output=DummyOutput())


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ("y", "y"),
        ("A", "a"),  # either case
        ("n", "n"),
        ("xq 7a", "a"),  # other keys do nothing
        ("\r", "n"),  # Enter picks the highlight, which starts on "no"
        ("\x1b[A\x1b[A\r", "y"),  # up, up, Enter
        ("\x1b[A\x1b[A\x1b[A\x1b[B\r", "a"),  # the highlight stops at the top
        ("\x1b[B\x1b[B\r", "n"),  # ... and at the bottom
        ("\x1b", ESCAPE),  # Esc alone (an arrow's sequence is not Esc)
    ],
)
def test_which_key_gives_which_answer(keys: str, expected: str) -> None:
    assert answer(keys) == expected


def test_ctrl_c_interrupts_and_ctrl_d_ends_the_input() -> None:
    with pytest.raises(KeyboardInterrupt):
        answer("\x03")
    with pytest.raises(EOFError):
        answer("\x04")


def test_keys_read_along_with_the_answer_answer_nothing_else() -> None:
    with create_pipe_input() as pipe:
        pipe.send_text("y\ry")  # "y" and Enter typed fast, then another "y"
        assert ask_key(QUESTION, input=pipe, output=DummyOutput()) == "y"
        assert get_typeahead(pipe) == []


def test_keys_an_earlier_prompt_read_ahead_do_not_answer() -> None:
    with create_pipe_input() as pipe:
        store_typeahead(pipe, [KeyPress("y", "y")])  # left over by the prompt before
        pipe.send_text("n")
        assert ask_key(QUESTION, input=pipe, output=DummyOutput()) == "n"


def test_line_keys_print_the_choices_and_read_lines_until_one_fits() -> None:
    out = io.StringIO()
    typed = iter(["maybe", "", " Always "])
    prompts: list[str] = []

    def ask_line(prompt: str) -> str:
        prompts.append(prompt)
        return next(typed)

    ask = LineKeys(make_console(file=out, env={}, width=100), ask_line)
    assert ask(QUESTION) == "a"
    assert out.getvalue() == (
        "  y  yes\n"
        "  a  yes, and don't ask again for this file: adds Edit(app.py)\n"
        "  n  no, and tell the model what to do instead\n"
        "  (no rule is offered for $(x): any would allow more, so it asks again)\n"
        "Please answer y, a or n.\n"
        "Please answer y, a or n.\n"
    )
    assert prompts == ["Allow Edit? [y/a/n] "] * 3
