"""The chat's prompt: the prompt-toolkit editor, its completion, and one-line questions.

The only module that imports prompt-toolkit (the chat command loads it when a chat starts).
History lives in a file under ``$DEVAGENT_HOME``; Ctrl-R searches it. Enter sends, Esc-Enter
or a trailing backslash adds a line, Shift-Tab cycles the permission mode, Ctrl-O shows the
last tool output, and ``/commands``, persona names after ``/agent`` and ``@paths`` complete.
What the editor needs from the chat arrives through ``PromptHost``. Questions asked in the
middle of a turn (``ask``, and ``choose`` for one-key answers) never take keys typed before
them; while a turn runs, Esc interrupts it as Ctrl-C does (``TypeAhead``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from devagent.ui.typeahead import TypeAhead

if TYPE_CHECKING:
    from devagent.ui.keychoice import KeyQuestion

TOOLBAR_REFRESH_SECONDS = 1.0
PROMPT = "> "
MAX_COMPLETIONS = 50


class PromptHost(Protocol):
    """What the editor asks of the chat: the toolbar, Shift-Tab, Ctrl-O, what to complete."""

    @property
    def cwd(self) -> Path: ...

    def toolbar(self) -> str: ...
    def cycle_mode(self) -> None: ...
    def show_last_tool_details(self, n: int = 1) -> None: ...
    def command_names(self) -> list[str]:
        """Every name ``/`` completes."""
        ...

    def persona_names(self) -> list[str]:
        """Every name ``/agent`` completes."""
        ...


class ChatCompleter(Completer):
    """Completes ``/commands``, persona names after ``/agent`` and ``@path`` mentions."""

    def __init__(self, host: PromptHost) -> None:
        self.host = host

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        text = document.text_before_cursor
        if text.startswith("/") and " " not in text:
            yield from self._commands(text[1:])
        elif text.startswith("/agent "):
            yield from self._personas(text.removeprefix("/agent ").lstrip())
        else:
            word = text.split()[-1] if text.strip() and not text[-1].isspace() else ""
            if word.startswith("@"):
                yield from self._paths(word[1:])

    def _commands(self, prefix: str) -> Iterator[Completion]:
        for name in self.host.command_names():
            if name.startswith(prefix):
                yield Completion(name, -len(prefix), display=f"/{name}")

    def _personas(self, prefix: str) -> Iterator[Completion]:
        for name in ["default", *self.host.persona_names()]:
            if name.startswith(prefix):
                yield Completion(name, -len(prefix))

    def _paths(self, partial: str) -> Iterator[Completion]:
        folder_part, _, stem = partial.rpartition("/")
        cwd = self.host.cwd
        base = cwd / folder_part if folder_part else cwd
        try:
            entries = sorted(os.scandir(base), key=lambda e: e.name)
        except OSError:
            return
        shown = 0
        for entry in entries:
            if entry.name == ".git" or not entry.name.startswith(stem):
                continue
            if entry.name.startswith(".") and not stem.startswith("."):
                continue
            suffix = "/" if entry.is_dir() else ""
            full = f"{folder_part}/{entry.name}" if folder_part else entry.name
            yield Completion(full + suffix, -len(partial), display=entry.name + suffix)
            shown += 1
            if shown >= MAX_COMPLETIONS:
                return


class PromptInput:
    """The prompt-toolkit editor. Enter sends; Esc-Enter or a trailing backslash adds a line;
    a bracketed paste stays one message; Ctrl-C clears the line (on an empty line it raises
    ``KeyboardInterrupt``); Ctrl-D on an empty line raises ``EOFError``."""

    def __init__(self, history_path: Path) -> None:
        self.history_path = history_path
        self._host: PromptHost | None = None
        self._session: Any = None
        self._typed = TypeAhead(_stdin_fd(), on_escape=interrupt_main_thread)

    def attach(self, host: PromptHost) -> None:
        self._host = host

    def _build(self) -> Any:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory

        assert self._host is not None, "attach() the chat first"
        self.history_path.parent.mkdir(parents=True, exist_ok=True)
        if not self.history_path.exists():
            os.close(os.open(self.history_path, os.O_CREAT | os.O_WRONLY, 0o600))
        return PromptSession(
            history=FileHistory(os.fspath(self.history_path)),
            completer=ChatCompleter(self._host),
            complete_while_typing=True,
            bottom_toolbar=self._host.toolbar,
            # Redrawn now and then, so what changes while nobody types (MCP servers coming
            # up) shows in the toolbar.
            refresh_interval=TOOLBAR_REFRESH_SECONDS,
            key_bindings=self._bindings(),
            multiline=False,
            reserve_space_for_menu=4,
        )

    def _bindings(self) -> Any:
        from prompt_toolkit.enums import DEFAULT_BUFFER
        from prompt_toolkit.filters import has_focus
        from prompt_toolkit.key_binding import KeyBindings
        from prompt_toolkit.keys import Keys

        kb = KeyBindings()
        host = self._host
        assert host is not None
        editing = has_focus(DEFAULT_BUFFER)  # not while Ctrl-R search has the focus

        @kb.add("escape", "enter", filter=editing)
        def _newline(event: Any) -> None:
            event.current_buffer.insert_text("\n")

        @kb.add("enter", filter=editing)
        def _enter(event: Any) -> None:
            buffer = event.current_buffer
            if buffer.complete_state is not None and buffer.complete_state.current_completion:
                buffer.apply_completion(buffer.complete_state.current_completion)
                return
            if buffer.document.text_before_cursor.endswith("\\"):
                buffer.delete_before_cursor(1)
                buffer.insert_text("\n")
                return
            buffer.validate_and_handle()

        @kb.add(Keys.BackTab)
        def _cycle(event: Any) -> None:
            host.cycle_mode()
            event.app.invalidate()

        @kb.add("c-c", filter=editing)
        def _interrupt(event: Any) -> None:
            buffer = event.current_buffer
            if buffer.text:
                buffer.reset()
            else:
                event.app.exit(exception=KeyboardInterrupt())

        @kb.add("c-o")
        def _details(event: Any) -> None:
            from prompt_toolkit.application import run_in_terminal

            run_in_terminal(host.show_last_tool_details)

        return kb

    def read(self) -> str:
        if self._session is None:
            self._session = self._build()
        return str(self._session.prompt(PROMPT, default=self._typed.take()))

    def busy(self) -> contextlib.AbstractContextManager[None]:
        return self._typed.quiet()

    def ask(self, message: str) -> str:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.input.typeahead import clear_typeahead

        with self._typed.paused():  # keys typed before the question are not its answer
            session: PromptSession[str] = PromptSession()
            clear_typeahead(session.input)  # nor keys an earlier prompt read too early
            try:
                return str(session.prompt(message))
            except EOFError:
                return ""

    def choose(self, question: KeyQuestion) -> str:
        """A one-key answer (``keychoice.ask_key``); keys typed before it answer nothing."""
        from devagent.ui.keychoice import ask_key

        with self._typed.paused():
            return ask_key(question)


def interrupt_main_thread() -> None:
    """What Esc does while a turn runs: the SIGINT that Ctrl-C would send, to the thread that
    runs the turn (its handler decides, as for Ctrl-C)."""
    signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)


def _stdin_fd() -> int | None:
    try:
        return sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):
        return None
