"""The interactive chat: the prompt, the turn loop with Ctrl-C handling, checkpoints and sessions.

One ``Repl`` owns one conversation at a time (a session with its transcript) and the agent
that runs it. The prompt is ``ui.prompt_input`` (prompt-toolkit), which sees the REPL as a
``PromptHost``; everything the REPL needs arrives through ``ChatDeps`` so the loop runs in
tests with a scripted input.

Ctrl-C during a turn is handled by ``ui.interrupts``; ``@path`` mentions are expanded by
``ui.mentions``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from rich.console import Console
from rich.text import Text

from devagent import session
from devagent.agent import Agent, RunInterrupted, RunResult
from devagent.approval import ApprovalRequest, PermissionRequest
from devagent.checkpoints import CheckpointError, CheckpointStore, Snapshot, TurnChange
from devagent.compaction import (
    KEEP_RATIO,
    CompactionError,
    compact,
    context_tokens,
    context_window,
    needs_compaction,
)
from devagent.errors import DevagentError, ModelError
from devagent.events import Event, EventSink, TurnUsage
from devagent.messages import Block, Message, Usage, text_block, tool_result_block
from devagent.permissions import InvalidRuleError, PermissionEngine
from devagent.personas import Catalog, Persona
from devagent.session import SessionInfo, SessionStore
from devagent.tools.base import ToolError, ToolInterrupted
from devagent.tools.bash import Bash
from devagent.ui import slash
from devagent.ui.interrupts import InterruptGuard
from devagent.ui.mentions import expand_mentions

if TYPE_CHECKING:
    from devagent.ui.prompt_input import PromptHost

MODE_CYCLE = ("default", "acceptEdits", "plan")
MAX_SHELL_CONTEXT = 10_000
STILL_TOO_LONG = (
    "The conversation is still too long for the context window after summarising older "
    "messages (this turn alone may not fit). Use /clear to start afresh, or ask for smaller steps."
)
Level = Literal["info", "warn", "error"]


class ChatViewLike(Protocol):
    """What the REPL needs from the renderer (``devagent.ui.chat_view.ChatView``)."""

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


class AgentBuilder(Protocol):
    """Builds the agent for a persona and model (the command layer knows how)."""

    def build(self, persona: Persona | None, model_name: str, emit: EventSink) -> Agent: ...


def close_dangling(history: list[Message], text: str) -> list[Block]:
    """Answer every ``tool_use`` of a trailing assistant message that has no result yet."""
    if not history or history[-1].get("role") != "assistant":
        return []
    content = history[-1].get("content")
    if not isinstance(content, list):
        return []
    blocks = [
        tool_result_block(b["id"], text, True)
        for b in content
        if isinstance(b, dict) and b.get("type") == "tool_use"
    ]
    return blocks


# --- the REPL -------------------------------------------------------------------------------


@dataclass
class ChatDeps:
    """Everything the REPL works with, built by the ``chat`` command."""

    console: Console
    view: ChatViewLike
    builder: AgentBuilder
    engine: PermissionEngine
    catalog: Catalog
    sessions: SessionStore
    workspace: Path
    cwd: Path
    checkpoints: CheckpointStore | None
    repair: Callable[[list[Message]], list[Message]]
    custom_commands: dict[str, slash.CustomCommand] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    session_id: str = ""


class Repl:
    """The chat loop: read a line, run a command, a shell line or a turn, repeat."""

    def __init__(
        self,
        deps: ChatDeps,
        line_input: LineInput,
        *,
        persona: Persona | None,
        model_name: str,
    ) -> None:
        self.deps = deps
        self.console = deps.console
        self.view = deps.view
        self.engine = deps.engine
        self.catalog = deps.catalog
        self.custom_commands = deps.custom_commands
        self.aliases = deps.aliases
        self.cwd = deps.cwd
        self.input = line_input
        self.persona = persona
        self.last_usage = Usage()
        self.undo_stack: list[TurnChange] = []
        self.session_start: Snapshot | None = None
        self.pending: list[str] = []
        self.should_exit = False
        self._checkpoints = deps.checkpoints
        self._guard: InterruptGuard | None = None
        self._turns = 0
        self._extra_modes = tuple(m for m in (deps.engine.mode,) if m not in MODE_CYCLE)
        self.agent = self._build(persona, model_name)
        self.session_id = deps.session_id or session.new_session_id()
        self.transcript = deps.sessions.open(self.session_id)
        self.agent.transcript = self.transcript
        line_input.attach(self)

    # -- output ------------------------------------------------------------------------------

    def say(self, text: str, level: Level = "info") -> None:
        style = {"info": "", "warn": "yellow", "error": "red"}[level]
        self.console.print(Text(text, style=style), soft_wrap=True)

    def _sink(self, event: Event) -> None:
        if isinstance(event, TurnUsage):
            self.last_usage = event.usage
        self.view(event)
        guard = self._guard
        if guard is not None:
            guard.track(event)
            if threading.current_thread() is threading.main_thread():
                guard.check()

    def toolbar(self) -> str:
        agent = self.agent
        usage = agent.usage
        persona = self.persona.name if self.persona else "default"
        window = context_window(agent.model.name)
        used = 100 * context_tokens(self.last_usage) / window
        tokens = usage.input_tokens + usage.cache_read_input_tokens
        tokens += usage.cache_creation_input_tokens + usage.output_tokens
        return (
            f" {agent.model.name} · agent: {persona} · mode: {self.engine.mode} (shift+tab)"
            f" · {_short(tokens)} tokens · ${agent.cost_usd:.4f} · context {used:.0f}% "
        )

    def command_names(self) -> list[str]:
        return slash.command_names(self.custom_commands)

    def persona_names(self) -> list[str]:
        return self.catalog.names()

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
            f"devagent chat · {self.agent.model.name}{persona} · {self.deps.workspace}\n"
            "/help for commands · Esc-Enter for a new line · Ctrl-D to exit"
        )
        if self._checkpoints is None:
            self.say("Checkpoints are off for this folder, so /undo and /diff are not available.")
        if self.agent.history:
            turns = sum(1 for m in self.agent.history if m.get("role") == "user")
            self.say(f"Resumed session {self.session_id} ({turns} user messages).")

    def close(self) -> None:
        from devagent.tools.bash import shutdown_all

        self.view.end_turn()
        shutdown_all(self.agent.ctx)
        self.transcript.close()
        if self.transcript.warning:
            self.say(self.transcript.warning, "warn")
        if self.transcript.path.exists():
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

    # -- a turn ------------------------------------------------------------------------------

    def submit(self, text: str) -> None:
        """Send one message to the model and run the turn to its end (or to Ctrl-C)."""
        prompt = self._prompt_blocks(text)
        self._turns += 1
        label = f"turn {self._turns}: {' '.join(text.split())[:60]}"
        with self._turn_guard() as guard, self._checkpointed(label):
            try:
                result = self._run_prompt(prompt)
            except (RunInterrupted, KeyboardInterrupt):
                self._after_interrupt()
            except DevagentError as exc:
                self.view.end_turn()
                self.say(str(exc), "error")
            else:
                self._after_result(result)
            finally:
                # From here on Ctrl-C must not cut the bookkeeping short.
                guard.raising = False
                self._close_tail("Interrupted by user before this call ran.")

    def _prompt_blocks(self, text: str) -> str | list[Block]:
        mentions = expand_mentions(text, self.deps.workspace, self.cwd)
        for problem in mentions.problems:
            self.say(problem, "warn")
        for path in mentions.files:
            with contextlib.suppress(OSError):
                self.agent.ctx.ledger.record(path, path.read_bytes())
        notes = list(self.pending)
        self.pending.clear()
        if self.agent.history and self.agent.history[-1].get("role") == "user":
            notes.insert(0, "[The previous request got no reply: it was interrupted or failed.]")
        if not notes and not mentions.blocks:
            return text
        return [*(text_block(n) for n in notes), text_block(text), *mentions.blocks]

    @contextlib.contextmanager
    def _turn_guard(self, *, spinner: bool = True) -> Iterator[InterruptGuard]:
        ctx = self.agent.ctx
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

    def _after_result(self, result: RunResult) -> None:
        self.view.end_turn()
        if result.subtype != "success":
            self.say(result.result, "warn")

    def _after_interrupt(self) -> None:
        self.view.end_turn()
        self.say("Interrupted. What should devagent do instead?", "warn")

    def _close_tail(self, text: str) -> None:
        blocks = close_dangling(self.agent.history, text)
        if blocks:
            message: Message = {"role": "user", "content": blocks}
            self.agent.history.append(message)
            self.transcript.message(message)

    # -- !shell ------------------------------------------------------------------------------

    def run_shell(self, command: str) -> None:
        """Run ``command`` through the Bash tool, with the usual permission check."""
        if not command:
            self.say("Usage: !COMMAND (runs it in the workspace shell)", "error")
            return
        args = {"command": command}
        try:
            prepared = Bash().prepare(args, self.agent.ctx)
        except ToolError as exc:
            self.say(str(exc), "error")
            return
        if not self._shell_allowed(args, prepared.paths, command):
            return
        shell = self._turn_guard(spinner=False)
        with shell as guard, self._checkpointed(f"!{command[:60]}"), guard.bash():
            try:
                output = prepared.execute().content
            except ToolInterrupted as exc:
                output = (exc.partial_output + "\n[interrupted by user]").strip()
            except ToolError as exc:
                output = str(exc)
            guard.raising = False
        self.console.print(Text(output))
        self.pending.append(
            f"[The user ran a shell command.]\n<bash-input>{command}</bash-input>\n"
            f"<bash-output>{output[-MAX_SHELL_CONTEXT:]}</bash-output>"
        )

    def _shell_allowed(self, args: dict[str, Any], paths: tuple[Path, ...], command: str) -> bool:
        request = PermissionRequest("Bash", args, paths, command, False)
        decision = self.engine.decide(request)
        if decision.behavior == "allow":
            return True
        if decision.behavior == "ask":
            answer = self.agent.approver.ask(
                ApprovalRequest("user-shell", "Bash", args, decision, None, command)
            )
            if answer.approved:
                return True
        self.say(f"Not run: {decision.reason}", "warn")
        return False

    # -- checkpoints -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _checkpointed(self, label: str) -> Iterator[None]:
        before = self._snapshot(f"before {label}")
        try:
            yield
        finally:
            if before is not None:
                self._record_change(before, label)

    def _snapshot(self, label: str) -> Snapshot | None:
        if self._checkpoints is None:
            return None
        try:
            snap = self._checkpoints.snapshot(label)
        except CheckpointError as exc:
            self._checkpoints = None
            self.say(f"Checkpoints are off: {exc}. /undo will not be available.", "warn")
            return None
        if self.session_start is None:
            self.session_start = snap
        return snap

    def _record_change(self, before: Snapshot, label: str) -> None:
        after = self._snapshot(f"after {label}")
        if after is None or self._checkpoints is None:
            return
        change = self._checkpoints.changes(before, after, label)
        if change is None:
            return
        self.undo_stack.append(change)
        self.transcript.append(
            {
                "type": "checkpoint",
                "before": before.commit,
                "after": after.commit,
                "paths": list(change.paths),
                "label": label,
            }
        )

    def undo(self, *, force: bool = False) -> None:
        store = self._checkpoints
        if store is None:
            self.say("Checkpoints are off, so there is nothing to undo.", "error")
            return
        if not self.undo_stack:
            self.say("Nothing to undo: no turn of this session changed files.")
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
        self.transcript.append({"type": "undo", "after": change.after.commit})
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
        self.say("\n".join(lines))
        touched = ", ".join([*restored, *removed]) or "nothing"
        self.pending.append(
            f"[The user undid the file changes of an earlier turn ({change.label}). These files "
            f"are back to their earlier state: {touched}. Read them again before editing.]"
        )

    def show_diff(self) -> None:
        store = self._checkpoints
        if store is None or self.session_start is None:
            self.say("No changes recorded in this session yet.")
            return
        try:
            text = store.diff_text(self.session_start, store.snapshot("for /diff"))
        except CheckpointError as exc:
            self.say(f"No diff: {exc}", "error")
            return
        if not text:
            self.say("No changes in this session.")
            return
        from rich.syntax import Syntax

        self.console.print(Syntax(text, "diff", theme="ansi_dark", word_wrap=True))

    # -- conversation state ------------------------------------------------------------------

    def switch_persona(self, persona: Persona | None) -> None:
        from devagent.subagents import persona_model

        model = self.agent.model.name
        if persona is not None:
            model = persona_model(persona, model, self.aliases)
        self._rebuild(persona, model)
        self.say(f"Agent: {persona.name if persona else 'default'} ({model}).")

    def switch_model(self, model_name: str) -> None:
        self._rebuild(self.persona, model_name)
        self.say(f"Model: {model_name}.")

    def _rebuild(self, persona: Persona | None, model_name: str) -> None:
        old = self.agent
        new = self._build(persona, model_name)
        new.history, new.transcript = old.history, old.transcript
        new.usage, new.cost_usd, new.denials = old.usage, old.cost_usd, old.denials
        self.agent, self.persona = new, persona

    def _build(self, persona: Persona | None, model_name: str) -> Agent:
        agent = self.deps.builder.build(persona, model_name, self._sink)
        agent.before_request = self._before_request
        return agent

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
        new_id = session.new_session_id()
        self._switch_session(new_id, self.deps.sessions.open(new_id), [])
        self.say(f"New conversation (session {self.session_id}).")

    def _switch_session(
        self, session_id: str, transcript: session.Transcript, history: list[Message]
    ) -> None:
        """Make ``transcript`` the current one; the previous is closed, releasing its lock."""
        self.transcript.close()
        self.session_id = session_id
        self.transcript = transcript
        self.agent.transcript = transcript
        self.agent.history = history
        self.last_usage = Usage()
        self.pending.clear()

    def resume(self, path: Path) -> None:
        """Continue the session stored at ``path`` in this REPL.

        Its transcript is locked before it is read; if another devagent process has it open,
        ``SessionLockedError`` leaves the current session as it was.
        """
        transcript, loaded = self.deps.sessions.continue_at(path)
        for warning in loaded.warnings:
            self.say(f"warning: {warning} (the file is left as it is)", "warn")
        history = self.deps.repair(loaded.messages)
        self._switch_session(path.stem, transcript, history)
        self.undo_stack = self._load_checkpoints(loaded.records)

    def _load_checkpoints(self, records: Iterable[dict[str, Any]]) -> list[TurnChange]:
        store = self._checkpoints
        if store is None:
            return []
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
        return stack

    def pick_session(self, wanted: str | None) -> None:
        sessions = [s for s in self.deps.sessions.list() if s.id != self.session_id]
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

    # -- compaction --------------------------------------------------------------------------

    def _before_request(self, history: list[Message]) -> list[Message]:
        """Compact before a request once the last one filled most of the window."""
        if not needs_compaction(self.last_usage, self.agent.model.name):
            return history
        self.view.pause()
        self.say("The context is nearly full; summarising older messages.")
        try:
            return self._summarise(history, None, KEEP_RATIO) or history
        except (CompactionError, DevagentError) as exc:
            self.say(f"Not compacted ({exc}); continuing with the full history.", "warn")
            self.last_usage = Usage()  # ask again only after the next reply
            return history

    def compact(self, focus: str | None, *, manual: bool) -> None:
        """``/compact``: summarise the whole conversation (or the older part when automatic)."""
        agent = self.agent
        with self._turn_guard() as guard:
            try:
                done = self._summarise(agent.history, focus, 0.0 if manual else KEEP_RATIO)
            except (KeyboardInterrupt, CompactionError, DevagentError) as exc:
                reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc)
                self.say(f"Not compacted ({reason}); the conversation is unchanged.", "warn")
                return
            finally:
                guard.raising = False
        if done is None:
            self.say("Nothing to compact yet.")
            return
        agent.history = done

    def _summarise(
        self, history: list[Message], focus: str | None, keep_ratio: float
    ) -> list[Message] | None:
        """The compacted history (recorded in the transcript), or None if nothing to do."""
        agent = self.agent
        done = compact(
            history,
            agent.model,
            system=agent.system,
            tools=agent.tools.specs(),
            focus=focus,
            keep_ratio=keep_ratio,
            emit=self._sink,
        )
        if done is None:
            return None
        agent.usage.add(done.usage)
        agent.cost_usd += done.cost_usd
        self.last_usage = Usage()
        self.transcript.append(
            {"type": "compaction", "summary": done.summary, "messages": done.messages}
        )
        self.say(f"Compacted {done.replaced} messages into a summary.")
        return done.messages

    def _run_prompt(self, prompt: str | list[Block]) -> RunResult:
        """Run the turn; when the API says the prompt is too long, compact once and resume.

        That may happen on any request of the turn: the first one (the history ends with the
        prompt) or a later one (it ends with tool results). Either way the history is valid
        and ends with the user message still waiting for a reply. Compaction cuts only before
        a user message holding text, and this turn's prompt is the latest such message, so
        only older messages are summarised: the turn so far stays verbatim, every tool_use
        beside its tool_result, and the loop resumes from it without repeating the prompt.
        """
        agent = self.agent
        try:
            return agent.run(prompt)
        except ModelError as exc:
            if not _too_long(exc) or not _awaiting_reply(agent.history):
                raise
        self._compact_to_fit()
        try:
            return agent.resume()
        except ModelError as exc:
            if not _too_long(exc):
                raise
            raise ModelError(STILL_TOO_LONG) from exc

    def _compact_to_fit(self) -> None:
        """Summarise what precedes this turn (and maybe a few recent turns), or fail clearly."""
        agent = self.agent
        self.say("The conversation no longer fits the context window; summarising it.", "warn")
        try:
            compacted = self._summarise(agent.history, None, KEEP_RATIO)
        except CompactionError as exc:
            raise ModelError(f"The prompt is too long and summarising failed ({exc}).") from exc
        if compacted is None:
            raise ModelError("The prompt is too long and there is nothing older to summarise.")
        agent.history = compacted

    # -- exit --------------------------------------------------------------------------------

    def request_exit(self) -> None:
        self.should_exit = True


def _too_long(exc: ModelError) -> bool:
    """The API refused the request because its context exceeds the model's window."""
    return "prompt is too long" in str(exc)


def _awaiting_reply(history: list[Message]) -> bool:
    """The failed request was sent: the history ends with the user message it carried."""
    return bool(history) and history[-1].get("role") == "user"


def _pick(sessions: list[SessionInfo], wanted: str) -> Path | None:
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


__all__ = [
    "AgentBuilder",
    "ChatDeps",
    "ChatViewLike",
    "InterruptGuard",
    "LineInput",
    "Repl",
    "SessionStore",
    "close_dangling",
]
