"""One-key questions: a letter answers at once; the arrows move a highlight that Enter picks.

      y  yes
      a  yes, and don't ask again for this file: adds Edit(src/app.py)
    ❯ n  no, and tell the model what to do instead
      ↑↓ Enter picks the highlighted answer · Esc says no
    Allow Edit? [y/a/n]

``KeyQuestion`` is what to ask, as plain data, so the approver builds it without loading
prompt-toolkit. ``ask_key`` asks it on the terminal: a listed letter (either case) answers
without Enter; ↑/↓ move the highlight and Enter picks it; Esc answers ``ESCAPE``; Ctrl-C
raises ``KeyboardInterrupt`` and Ctrl-D ``EOFError``; other keys do nothing. Keys an earlier
prompt read ahead, and keys read along with the answer, are dropped: they can neither answer
this question or the next nor reach the next prompt. Once answered, the rows give way to one
line: the question and the answer.

``LineKeys`` asks the same question where answers come as lines (a script, a plain input):
it prints the choices and reads a line until one of the letters is typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from prompt_toolkit.input import Input
    from prompt_toolkit.output import Output

ESCAPE = "escape"
ESC_TIMEOUT_S = 0.05
HINT = "↑↓ Enter picks the highlighted answer · Esc says no"
MARK = "❯ "
_TONES = {"yes": "ansigreen bold", "no": "ansired bold"}
_RICH_TONES = {"yes": "bold green", "no": "bold red"}


@dataclass(frozen=True)
class Choice:
    """One answer: the letter that gives it, what it means, and the word ``LineKeys`` also
    takes for it (``yes``)."""

    key: str
    label: str
    tone: Literal["yes", "no"]
    word: str = ""


@dataclass(frozen=True)
class KeyQuestion:
    """``prompt`` ends the question (``Allow Edit? [y/a/n] ``); ``default`` is the index of the
    choice highlighted at first; ``escape`` the key Esc stands for in the closing line;
    ``notes`` are shown under the choices."""

    prompt: str
    choices: tuple[Choice, ...]
    default: int = 0
    escape: str = ""
    notes: tuple[str, ...] = ()

    def label_of(self, answer: str) -> str:
        if answer == ESCAPE:
            chosen = next((c.label for c in self.choices if c.key == self.escape), "no")
            return f"{chosen.split(',')[0]} (Esc)"
        return next((c.label for c in self.choices if c.key == answer), answer)


Fragments = list[tuple[str, str]]


def fragments(question: KeyQuestion, highlighted: int, answer: str | None = None) -> Fragments:
    """The question as prompt-toolkit shows it: the choices with the highlight, the notes,
    the hint and the prompt; once answered, the prompt and the answer."""
    if answer is not None:
        return [("bold", question.prompt), ("", question.label_of(answer) + "\n")]
    out: Fragments = []
    for index, choice in enumerate(question.choices):
        here = index == highlighted
        out.append(("bold", MARK) if here else ("", "  "))
        out.append((_TONES[choice.tone], choice.key))
        out.append(("bold" if here else "", f"  {choice.label}\n"))
    out.extend(("fg:ansibrightblack", f"  {note}\n") for note in question.notes)
    out.append(("fg:ansibrightblack", f"  {HINT}\n"))
    out.append(("bold", question.prompt))
    out.append(("[SetCursorPosition]", ""))
    return out


def ask_key(
    question: KeyQuestion, *, input: Input | None = None, output: Output | None = None
) -> str:
    """The key of the chosen answer, or ``ESCAPE`` (see the module docstring)."""
    from prompt_toolkit.application import Application
    from prompt_toolkit.formatted_text import FormattedText
    from prompt_toolkit.input.typeahead import clear_typeahead, get_typeahead
    from prompt_toolkit.layout import FormattedTextControl, Layout, Window

    state = _State(question)
    control = FormattedTextControl(
        lambda: FormattedText(state.fragments()), focusable=True, show_cursor=True
    )
    app: Application[str] = Application(
        layout=Layout(Window(control, wrap_lines=True, dont_extend_height=True)),
        key_bindings=_bindings(question, state),
        input=input,
        output=output,
        erase_when_done=False,
    )
    app.ttimeoutlen = ESC_TIMEOUT_S  # a lone Esc is Esc after this long, not an arrow's start
    clear_typeahead(app.input)  # keys an earlier prompt read too early are not the answer
    try:
        return app.run()
    finally:
        get_typeahead(app.input)  # keys read along with the answer answer nothing else


class _State:
    def __init__(self, question: KeyQuestion) -> None:
        self.question = question
        self.index = max(0, min(question.default, len(question.choices) - 1))
        self.answer: str | None = None

    def fragments(self) -> Fragments:
        return fragments(self.question, self.index, self.answer)

    def move(self, step: int) -> None:
        self.index = max(0, min(self.index + step, len(self.question.choices) - 1))


def _bindings(question: KeyQuestion, state: _State) -> Any:
    from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

    kb = KeyBindings()

    def answer(event: KeyPressEvent, key: str) -> None:
        state.answer = key
        event.app.exit(result=key)

    for choice in question.choices:
        for letter in {choice.key.lower(), choice.key.upper()}:
            kb.add(letter)(lambda event, key=choice.key: answer(event, key))
    kb.add("up")(lambda _event: state.move(-1))
    kb.add("down")(lambda _event: state.move(1))
    kb.add("enter")(lambda event: answer(event, question.choices[state.index].key))
    kb.add("escape", eager=True)(lambda event: answer(event, ESCAPE))
    kb.add("c-c")(lambda event: event.app.exit(exception=KeyboardInterrupt()))
    kb.add("c-d")(lambda event: event.app.exit(exception=EOFError()))
    kb.add("<any>")(lambda _event: None)
    return kb


class LineKeys:
    """Asks a ``KeyQuestion`` through ``ask_line``: the choices are printed to ``console``,
    then lines are read until one holds a listed letter (or the word it stands for)."""

    def __init__(self, console: Console, ask_line: Callable[[str], str]) -> None:
        self.console = console
        self.ask_line = ask_line

    def __call__(self, question: KeyQuestion) -> str:
        text = Text()
        for choice in question.choices:
            text.append(f"  {choice.key}", style=_RICH_TONES[choice.tone])
            text.append(f"  {choice.label}\n")
        text.rstrip()
        self.console.print(text)
        for note in question.notes:
            self.console.print(Text(f"  {note}", style="dim"))
        keys = [c.key for c in question.choices]
        while True:
            typed = self.ask_line(question.prompt).strip().lower()
            found = next((c.key for c in question.choices if typed in (c.key, c.word)), None)
            if found is not None:
                return found
            self.console.print(Text(f"Please answer {_listing(keys)}.", style="yellow"))


def _listing(keys: list[str]) -> str:
    return ", ".join(keys[:-1]) + f" or {keys[-1]}" if len(keys) > 1 else "".join(keys)
