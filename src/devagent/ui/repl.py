"""The interactive chat: read a line, run a slash command, a ``!command`` or a turn, repeat.

The conversation itself (history, compaction, transcript, spend) is a
``devagent.conversation.Conversation``; the chat renders its events, answers for the user and
keeps what only a terminal has: the prompt (``ui.prompt_input``, which sees the chat as a
``PromptHost``), turns and ``!commands`` with their Ctrl-C guard and spinner (``ChatTurns``),
/undo and /diff (``TurnCheckpoints``) and the slash commands (``ui.slash``, which see it as a
``SlashHost``). Everything it needs arrives through ``ChatDeps``, so the loop runs in tests
with a scripted input.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rich.console import Console
from rich.text import Text

from devagent import session
from devagent.agent import Agent, RunInterrupted, RunResult, Spend
from devagent.approval import PermissionRequest
from devagent.assembly import AgentOptions, build_agent
from devagent.checkpoints import CheckpointError, CheckpointStore, Snapshot, TurnChange
from devagent.compaction import CompactionError, context_tokens, context_window
from devagent.conversation import Build, Conversation
from devagent.errors import DevagentError
from devagent.events import CompactionNotice, Event, EventSink
from devagent.messages import Usage
from devagent.permissions import InvalidRuleError, PermissionEngine
from devagent.personas import Catalog, Persona
from devagent.subagents import persona_model
from devagent.tools.base import ToolError, ToolInterrupted
from devagent.tools.bash import Bash
from devagent.ui import slash
from devagent.ui.console import Level, say
from devagent.ui.interrupts import InterruptGuard
from devagent.ui.mentions import expand_mentions

if TYPE_CHECKING:
    from devagent.ui.prompt_input import PromptHost

MODE_CYCLE = ("default", "acceptEdits", "plan")
MAX_SHELL_CONTEXT = 10_000
Say = Callable[[str, Level], None]


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


class TurnCheckpoints:
    """The chat's undo stack and session diff over a ``CheckpointStore`` (None: off)."""

    def __init__(
        self,
        store: CheckpointStore | None,
        conversation: Conversation,
        say: Say,
        console: Console,
    ) -> None:
        self.store = store
        self.conversation = conversation
        self.say = say
        self.console = console
        self.undo_stack: list[TurnChange] = []
        self.session_start: Snapshot | None = None

    @contextlib.contextmanager
    def around(self, label: str) -> Iterator[None]:
        """Snapshot before and after the block; a change between them can be undone."""
        before = self._snapshot(f"before {label}")
        try:
            yield
        finally:
            if before is not None:
                self._record_change(before, label)

    def _snapshot(self, label: str) -> Snapshot | None:
        if self.store is None:
            return None
        try:
            snap = self.store.snapshot(label)
        except CheckpointError as exc:
            self.store = None
            self.say(f"Checkpoints are off: {exc}. /undo will not be available.", "warn")
            return None
        if self.session_start is None:
            self.session_start = snap
        return snap

    def _record_change(self, before: Snapshot, label: str) -> None:
        after = self._snapshot(f"after {label}")
        if after is None or self.store is None:
            return
        change = self.store.changes(before, after, label)
        if change is None:
            return
        self.undo_stack.append(change)
        self.conversation.transcript.append(
            {
                "type": "checkpoint",
                "before": before.commit,
                "after": after.commit,
                "paths": list(change.paths),
                "label": label,
            }
        )

    def undo(self, *, force: bool = False) -> None:
        store = self.store
        if store is None:
            self.say("Checkpoints are off, so there is nothing to undo.", "error")
            return
        if not self.undo_stack:
            self.say("Nothing to undo: no turn of this session changed files.", "info")
            return
        change = self.undo_stack[-1]
        try:
            dirty = store.changed_since(change, store.snapshot("before undo"))
            if dirty and not force:
                self.say(
                    "Not undone: changed since that turn ended: "
                    f"{', '.join(dirty[:10])}. /undo force overwrites those changes.",
                    "error",
                )
                return
            report = store.restore(change)
        except CheckpointError as exc:
            self.say(f"Not undone: {exc}", "error")
            return
        self.undo_stack.pop()
        self.conversation.transcript.append({"type": "undo", "after": change.after.commit})
        self._report_undo(change, report.restored, report.removed, report.skipped)

    def _report_undo(
        self,
        change: TurnChange,
        restored: list[str],
        removed: list[str],
        skipped: list[tuple[str, str]],
    ) -> None:
        lines = [f"Undid {change.label or 'the last turn'}:"]
        lines += [f"  restored {p}" for p in restored]
        lines += [f"  removed  {p}" for p in removed]
        lines += [f"  skipped  {p} ({why})" for p, why in skipped]
        self.say("\n".join(lines), "info")
        touched = ", ".join([*restored, *removed]) or "nothing"
        self.conversation.note(
            f"[The user undid the file changes of an earlier turn ({change.label}). These files "
            f"are back to their earlier state: {touched}. Read them again before editing.]"
        )

    def show_diff(self) -> None:
        store = self.store
        if store is None or self.session_start is None:
            self.say("No changes recorded in this session yet.", "info")
            return
        try:
            text = store.diff_text(self.session_start, store.snapshot("for /diff"))
        except CheckpointError as exc:
            self.say(f"No diff: {exc}", "error")
            return
        if not text:
            self.say("No changes in this session.", "info")
            return
        from rich.syntax import Syntax

        self.console.print(Syntax(text, "diff", theme="ansi_dark", word_wrap=True))

    def load(self, records: Iterable[dict[str, Any]]) -> None:
        """Rebuild the undo stack from a resumed transcript's records."""
        store = self.store
        if store is None:
            self.undo_stack = []
            return
        stack: list[TurnChange] = []
        for record in records:
            if record.get("type") == "undo" and stack:
                stack.pop()
            elif record.get("type") == "checkpoint":
                with contextlib.suppress(CheckpointError, KeyError, TypeError):
                    before = store.snapshot_of(str(record["before"]))
                    after = store.snapshot_of(str(record["after"]))
                    paths = tuple(str(p) for p in record["paths"])
                    stack.append(TurnChange(before, after, paths, str(record.get("label", ""))))
        self.undo_stack = stack


class ChatTurns:
    """Runs what the chat sends: turns, ``/compact`` and ``!commands``, each with the Ctrl-C
    guard, typing kept off the screen, the spinner and a checkpoint around it. It opens the
    conversation with its own event sink, which renders events through the view, follows
    them for the guard and prints the conversation's compaction notices as status lines."""

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
        self.view(event)
        guard = self._guard
        if guard is not None:
            guard.track(event)
            if threading.current_thread() is threading.main_thread():
                guard.check()

    def submit(self, text: str) -> None:
        """Send one message to the model and run the turn to its end (or to Ctrl-C)."""
        options = self.conversation.options
        mentions = expand_mentions(text, options.workspace, options.cwd)
        for problem in mentions.problems:
            self.say(problem, "warn")
        prompt = self.conversation.compose(text, mentions.blocks, mentions.files)
        self._count += 1
        label = f"turn {self._count}: {' '.join(text.split())[:60]}"
        with self._guarded() as guard, self.checkpoints.around(label):
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
                self.conversation.close_dangling("Interrupted by user before this call ran.")

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


@dataclass
class ChatDeps:
    """Everything the REPL works with, built by the ``chat`` command. ``options`` describe the
    agent (the REPL adds where its events go); ``builder`` builds it from them."""

    console: Console
    view: ChatViewLike
    options: AgentOptions
    engine: PermissionEngine
    catalog: Catalog
    sessions: session.SessionStore
    checkpoints: CheckpointStore | None
    custom_commands: dict[str, slash.CustomCommand] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    session_id: str = ""
    builder: Build = build_agent


class Repl:
    """The chat loop: read a line, run a command, a shell line or a turn, repeat."""

    def __init__(self, deps: ChatDeps, line_input: LineInput) -> None:
        self.deps = deps
        self.console = deps.console
        self.view = deps.view
        self.engine = deps.engine
        self.catalog = deps.catalog
        self.custom_commands: Mapping[str, slash.CustomCommand] = deps.custom_commands
        self.aliases: Mapping[str, str] = deps.aliases
        self.cwd = deps.options.cwd
        self.input = line_input
        self.should_exit = False
        self._extra_modes = tuple(m for m in (deps.engine.mode,) if m not in MODE_CYCLE)
        self.turns = ChatTurns(deps.console, deps.view, line_input, deps.checkpoints, self._open)
        self.conversation = self.turns.conversation
        self.checkpoints = self.turns.checkpoints
        line_input.attach(self)

    def _open(self, emit: EventSink) -> Conversation:
        deps = self.deps
        return Conversation.start(
            replace(deps.options, emit=emit),
            deps.sessions,
            deps.session_id or session.new_session_id(),
            build=deps.builder,
        )

    # -- what the slash commands and the prompt see ------------------------------------------

    @property
    def agent(self) -> Agent:
        return self.conversation.agent

    @property
    def session_id(self) -> str:
        return self.conversation.session_id

    @property
    def persona(self) -> Persona | None:
        return self.conversation.persona

    @property
    def model_name(self) -> str:
        return self.conversation.model_name

    @property
    def spend(self) -> Spend:
        return self.conversation.spend

    @property
    def last_usage(self) -> Usage:
        return self.conversation.last_usage

    def command_names(self) -> list[str]:
        return slash.command_names(self.custom_commands)

    def persona_names(self) -> list[str]:
        return self.catalog.names()

    # -- output ------------------------------------------------------------------------------

    def say(self, text: str, level: Level = "info") -> None:
        say(self.console, text, level)

    def toolbar(self) -> str:
        usage, model = self.spend.usage, self.model_name
        persona = self.persona.name if self.persona else "default"
        used = 100 * context_tokens(self.last_usage) / context_window(model)
        tokens = usage.input_tokens + usage.cache_read_input_tokens
        tokens += usage.cache_creation_input_tokens + usage.output_tokens
        return (
            f" {model} · agent: {persona} · mode: {self.engine.mode} (shift+tab)"
            f" · {_short(tokens)} tokens · ${self.spend.cost_usd:.4f} · context {used:.0f}% "
        )

    def show_last_tool_details(self, n: int = 1) -> None:
        details = self.view.last_tool_details(n)
        if not details:
            self.say("No tool output yet.")
        for text in details:
            self.console.print(Text(text))

    # -- the loop ----------------------------------------------------------------------------

    def run(self) -> int:
        """Read and handle lines until /exit, Ctrl-D or Ctrl-C twice on an empty line."""
        self._banner()
        ctrl_c = False
        try:
            while not self.should_exit:
                try:
                    line = self.input.read()
                except KeyboardInterrupt:
                    if ctrl_c:
                        break
                    ctrl_c = True
                    self.say("(Press Ctrl-C again to exit, or Ctrl-D.)")
                    continue
                except EOFError:
                    break
                ctrl_c = False
                self.handle(line)
        finally:
            self.close()
        return 0

    def _banner(self) -> None:
        persona = f" · agent {self.persona.name}" if self.persona else ""
        self.say(
            f"devagent chat · {self.model_name}{persona} · {self.deps.options.workspace}\n"
            "/help for commands · Esc-Enter for a new line · Ctrl-D to exit"
        )
        if self.checkpoints.store is None:
            self.say("Checkpoints are off for this folder, so /undo and /diff are not available.")
        history = self.conversation.history
        if history:
            turns = sum(1 for m in history if m.get("role") == "user")
            self.say(f"Resumed session {self.session_id} ({turns} user messages).")

    def close(self) -> None:
        self.view.end_turn()
        self.conversation.close()
        transcript = self.conversation.transcript
        if transcript.warning:
            self.say(transcript.warning, "warn")
        if transcript.path.exists():
            self.say(
                f"Session {self.session_id} saved. Continue it with: devagent --resume "
                f"{self.session_id}"
            )

    def handle(self, line: str) -> None:
        """One line of input: a slash command, ``!shell``, or a message for the model."""
        text = line.strip()
        if not text:
            return
        try:
            if text.startswith("/") and not text.startswith("//"):
                self._slash(text)
            elif text.startswith("!"):
                self.run_shell(text[1:].strip())
            else:
                self.submit(line)
        except KeyboardInterrupt:
            self.say("Interrupted.", "warn")
        except DevagentError as exc:
            self.say(str(exc), "error")

    def _slash(self, text: str) -> None:
        name, args = slash.parse_command_line(text)
        builtin = slash.find_builtin(name)
        if builtin is not None:
            builtin.run(self, args)
            return
        custom = self.custom_commands.get(name)
        if custom is not None:
            self.submit(custom.expand(args))
        elif "/" in name:
            self.submit(text)  # a message that starts with a path, e.g. "/etc/hosts has ..."
        else:
            self.say(f"Unknown command /{name}. Type /help for the list.", "error")

    # -- what the user sends ----------------------------------------------------------------

    def submit(self, text: str) -> None:
        self.turns.submit(text)

    def run_shell(self, command: str) -> None:
        self.turns.run_shell(command)

    def compact(self, focus: str | None) -> None:
        self.turns.compact(focus)

    # -- undo --------------------------------------------------------------------------------

    def undo(self, *, force: bool = False) -> None:
        self.checkpoints.undo(force=force)

    def show_diff(self) -> None:
        self.checkpoints.show_diff()

    # -- agent, mode and session -------------------------------------------------------------

    def switch_persona(self, persona: Persona | None) -> None:
        model = self.model_name
        if persona is not None:
            model = persona_model(persona, model, self.aliases)
        self.conversation.switch(persona, model)
        self.say(f"Agent: {persona.name if persona else 'default'} ({model}).")

    def switch_model(self, model_name: str) -> None:
        self.conversation.switch(self.persona, model_name)
        self.say(f"Model: {model_name}.")

    def set_mode(self, mode: str) -> None:
        try:
            self.engine.set_mode(mode)
        except InvalidRuleError as exc:
            self.say(str(exc), "error")
            return
        self.say(f"Permission mode: {self.engine.mode}.")

    def cycle_mode(self) -> None:
        order = (*MODE_CYCLE, *self._extra_modes)
        current = self.engine.mode
        following = order[(order.index(current) + 1) % len(order)] if current in order else order[0]
        self.engine.set_mode(following)

    def clear(self) -> None:
        self.conversation.new_session()
        self.say(f"New conversation (session {self.session_id}).")

    def resume(self, path: Path) -> None:
        """Continue the session stored at ``path`` in this REPL.

        Its transcript is locked before it is read; if another devagent process has it open,
        ``SessionLockedError`` leaves the current session as it was.
        """
        loaded = self.conversation.resume(path)
        for warning in loaded.warnings:
            self.say(f"warning: {warning} (the file is left as it is)", "warn")
        self.checkpoints.load(loaded.records)

    def pick_session(self, wanted: str | None) -> None:
        sessions = [s for s in self.conversation.sessions.list() if s.id != self.session_id]
        if wanted is None:
            if not sessions:
                self.say("No other session in this project.")
                return
            for number, info in enumerate(sessions[:20], start=1):
                when = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.modified))
                self.console.print(Text(f"{number:3}. {when}  {info.id[:8]}  {info.preview}"))
            wanted = self.input.ask("Resume which (number or id, Enter to cancel)? ").strip()
            if not wanted:
                return
        path = _pick(sessions, wanted)
        if path is None:
            self.say(f"No session {wanted!r} in this project.", "error")
            return
        self.resume(path)
        self.say(f"Resumed session {self.session_id}.")

    def request_exit(self) -> None:
        self.should_exit = True


def _pick(sessions: list[session.SessionInfo], wanted: str) -> Path | None:
    if wanted.isdigit() and 1 <= int(wanted) <= len(sessions):
        return sessions[int(wanted) - 1].path
    matches = [s for s in sessions if s.id.startswith(wanted)]
    return matches[0].path if len(matches) == 1 else None


def _short(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 1000:
        return f"{n / 1000:.1f}k"
    return str(n)
