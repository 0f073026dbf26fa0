"""What the chat sends and runs: a turn, ``/compact`` and a ``!command``, framed for a terminal.

Each runs with the Ctrl-C guard (``ui.interrupts``), typing kept off the screen, the spinner
and a checkpoint around it (``ui.undo``); afterwards any tool call left without a result is
closed, so the next request is valid. ``ChatTurns`` opens the conversation with its own event
sink, which renders events through the view, follows them for the guard, and prints the
conversation's compaction notices as status lines.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol

from rich.console import Console
from rich.text import Text

from devagent.agent import RunInterrupted, RunResult
from devagent.approval import PermissionRequest
from devagent.checkpoints import CheckpointStore
from devagent.compaction import CompactionError
from devagent.conversation import Conversation
from devagent.errors import DevagentError
from devagent.events import AssistantMessageDone, CompactionNotice, Event, EventSink
from devagent.tools.base import ToolError, ToolInterrupted
from devagent.tools.bash import Bash
from devagent.ui.console import Level, sanitize, say
from devagent.ui.interrupts import InterruptGuard
from devagent.ui.mentions import expand_mentions
from devagent.ui.undo import TurnCheckpoints

if TYPE_CHECKING:
    from devagent.ui.prompt_input import PromptHost

MAX_SHELL_CONTEXT = 10_000


class ChatViewLike(Protocol):
    """What the chat needs from the renderer (``devagent.ui.chat_view.ChatView``)."""

    def __call__(self, event: Event) -> None: ...
    def waiting(self, on: bool) -> None: ...
    def pause(self) -> None: ...
    def end_turn(self) -> None: ...
    def last_tool_details(self, n: int = 1) -> list[str]: ...


class LineInput(Protocol):
    """Where lines come from: the prompt-toolkit editor, or a script in tests."""

    def attach(self, host: PromptHost) -> None: ...
    def read(self) -> str:
        """The next message; ``KeyboardInterrupt`` for Ctrl-C on an empty line, ``EOFError``
        for Ctrl-D."""
        ...

    def ask(self, message: str) -> str:
        """A one-line answer (approvals, pickers); ``KeyboardInterrupt`` on Ctrl-C."""
        ...

    def busy(self) -> contextlib.AbstractContextManager[None]:
        """Held while a turn runs: keys typed meanwhile are kept for the next prompt."""
        ...


class ChatTurns:
    """Runs turns, ``/compact`` and ``!commands`` of one chat (see the module docstring)."""

    def __init__(
        self,
        console: Console,
        view: ChatViewLike,
        line_input: LineInput,
        store: CheckpointStore | None,
        open_conversation: Callable[[EventSink], Conversation],
    ) -> None:
        self.console = console
        self.view = view
        self.input = line_input
        self._guard: InterruptGuard | None = None
        self._settle: Callable[[], None] | None = None
        self._count = 0
        self.conversation = open_conversation(self.sink)
        self.checkpoints = TurnCheckpoints(store, self.conversation, self.say, console)

    def say(self, text: str, level: Level = "info") -> None:
        say(self.console, text, level)

    def sink(self, event: Event) -> None:
        """Where the conversation's events go."""
        if isinstance(event, CompactionNotice):
            if event.stage == "starting" and event.trigger == "auto":
                self.view.pause()  # a request is due: the spinner may still be running
            self.say(event.text, event.level)
            return
        if isinstance(event, AssistantMessageDone) and self._settle is not None:
            # The reply is in and its tools may change files: the turn's "before" snapshot,
            # taken while the request went out, must be complete first.
            self._settle()
        self.view(event)
        guard = self._guard
        if guard is not None:
            guard.track(event)
            if threading.current_thread() is threading.main_thread():
                guard.check()

    def submit(self, text: str, *, typed: bool = True) -> None:
        """Send one message to the model and run the turn to its end (or to Ctrl-C).

        ``typed``: the user wrote ``text`` (not a custom command's file), so an image path in
        it may point outside the workspace."""
        options = self.conversation.options
        mentions = expand_mentions(text, options.workspace, options.cwd, images_anywhere=typed)
        for line in mentions.attached:
            self.console.print(Text(sanitize(line), style="dim"), soft_wrap=True)
        for problem in mentions.problems:
            self.say(problem, "warn")
        prompt = self.conversation.compose(text, mentions.blocks, mentions.files)
        self._count += 1
        label = f"turn {self._count}: {' '.join(text.split())[:60]}"
        # UserPromptSubmit hooks run before the request and may change files: then the
        # snapshot is taken before them, as it was before snapshots went early.
        early = not self.conversation.hooks.config.for_event("UserPromptSubmit")
        with self._guarded() as guard, self.checkpoints.around(label, early=early) as settle:
            self._settle = settle
            try:
                result = self.conversation.run(prompt)
            except (RunInterrupted, KeyboardInterrupt):
                self.view.end_turn()
                self.say("Interrupted. What should devagent do instead?", "warn")
            except DevagentError as exc:
                self.view.end_turn()
                self.say(str(exc), "error")
            else:
                self._after_result(result)
            finally:
                # From here on Ctrl-C must not cut the bookkeeping short.
                guard.raising = False
                self._settle = None
                self.conversation.close_dangling("Interrupted by user before this call ran.")
                if options.skills is not None:
                    options.skills.end_turn()  # a skill is active until its turn ends

    def _after_result(self, result: RunResult) -> None:
        self.view.end_turn()
        if result.subtype != "success":
            self.say(result.result, "warn")

    @contextlib.contextmanager
    def _guarded(self, *, spinner: bool = True) -> Iterator[InterruptGuard]:
        ctx = self.conversation.agent.ctx
        ctx.cancel.clear()
        guard = InterruptGuard(ctx.cancel)
        self._guard = guard
        with self.input.busy():  # before the spinner: once it shows, typing is not echoed
            if spinner:
                self.view.waiting(True)
            try:
                with guard:
                    yield guard
            finally:
                self._guard = None
                ctx.cancel.clear()
                self.view.waiting(False)
                self.view.end_turn()

    def compact(self, focus: str | None) -> None:
        """``/compact``: summarise the whole conversation."""
        with self._guarded() as guard:
            try:
                done = self.conversation.compact(focus)
            except (KeyboardInterrupt, CompactionError, DevagentError) as exc:
                reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc)
                self.say(f"Not compacted ({reason}); the conversation is unchanged.", "warn")
                return
            finally:
                guard.raising = False
        if not done:
            self.say("Nothing to compact yet.")

    def run_shell(self, command: str) -> None:
        """Run ``command`` through the Bash tool, checked as the agent checks its own calls."""
        if not command:
            self.say("Usage: !COMMAND (runs it in the workspace shell)", "error")
            return
        agent, args, bash = self.conversation.agent, {"command": command}, Bash()
        try:
            prepared = bash.prepare(args, agent.ctx)
        except ToolError as exc:
            self.say(str(exc), "error")
            return
        request = PermissionRequest(
            "Bash", args, prepared.paths, command, bash.read_only, bash.kind
        )
        verdict = agent.authorise(request, "user-shell")
        if not verdict.allowed:
            self.say(f"Not run: {verdict.reason}", "warn")
            return
        shell = self._guarded(spinner=False)
        with shell as guard, self.checkpoints.around(f"!{command[:60]}"), guard.bash():
            try:
                output = prepared.execute().content
            except ToolInterrupted as exc:
                output = (exc.partial_output + "\n[interrupted by user]").strip()
            except ToolError as exc:
                output = str(exc)
            guard.raising = False
        self.console.print(Text(output))
        self.conversation.note(
            f"[The user ran a shell command.]\n<bash-input>{command}</bash-input>\n"
            f"<bash-output>{output[-MAX_SHELL_CONTEXT:]}</bash-output>"
        )
