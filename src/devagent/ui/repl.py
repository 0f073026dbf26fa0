"""The interactive chat: read a line, run a slash command, a ``!command`` or a turn, repeat.

The conversation itself (history, compaction, transcript, spend) is a
``devagent.conversation.Conversation``; the chat renders its events, answers for the user and
keeps what only a terminal has: the prompt (``ui.prompt_input``, which sees the chat as a
``PromptHost``), turns and ``!commands`` with their Ctrl-C guard and spinner (``ui.turns``),
/undo and /diff (``ui.undo``) and the slash commands (``ui.slash``, which see it as a
``SlashHost``); ``/NAME`` runs the skill NAME (built-ins first, then skills, then custom
commands). Everything it needs arrives through ``ChatDeps``, so the loop runs in tests with a
scripted input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from rich.console import Console
from rich.text import Text

from devagent import session
from devagent.agent import Agent, Spend
from devagent.assembly import AgentOptions, build_agent
from devagent.checkpoints import CheckpointStore
from devagent.compaction import context_tokens, model_window
from devagent.conversation import Build, Conversation
from devagent.errors import DevagentError
from devagent.events import EventSink
from devagent.hooks.dispatch import Hooks
from devagent.mcp import McpServers
from devagent.messages import Message, Usage
from devagent.permissions import InvalidRuleError, PermissionEngine
from devagent.personas import Catalog, Persona
from devagent.skills import SkillCatalog, SkillSet
from devagent.subagents import persona_model
from devagent.ui import slash
from devagent.ui.console import Level, say
from devagent.ui.custom_commands import CustomCommand
from devagent.ui.mcp_view import toolbar_part
from devagent.ui.replay import replay
from devagent.ui.sessions_view import choose_session, resumed_line, short_count
from devagent.ui.turns import ChatTurns, ChatViewLike, LineInput

MODE_CYCLE = ("default", "acceptEdits", "plan")


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
    custom_commands: dict[str, CustomCommand] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    session_id: str = ""
    builder: Build = build_agent
    skills: SkillSet = field(default_factory=lambda: SkillSet(SkillCatalog()))
    # The chat's MCP servers; they start once the prompt is first drawn (the toolbar asks).
    mcp: McpServers | None = None


class Repl:
    """The chat loop: read a line, run a command, a shell line or a turn, repeat."""

    def __init__(self, deps: ChatDeps, line_input: LineInput) -> None:
        self.deps = deps
        self.console = deps.console
        self.view = deps.view
        self.engine = deps.engine
        self.catalog = deps.catalog
        self.custom_commands, self.skill_set = deps.custom_commands, deps.skills
        self.aliases: Mapping[str, str] = deps.aliases
        self.cwd = deps.options.cwd
        self.input = line_input
        self.should_exit = False
        self._resumed: session.LoadedSession | None = None  # the session resume() loaded
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

    @property
    def history(self) -> list[Message]:
        return self.conversation.history

    @property
    def hooks(self) -> Hooks:
        return self.conversation.hooks

    def command_names(self) -> list[str]:
        return command_names(self.skill_set, self.custom_commands)

    def persona_names(self) -> list[str]:
        return self.catalog.names()

    # -- output ------------------------------------------------------------------------------

    def say(self, text: str, level: Level = "info") -> None:
        say(self.console, text, level)

    def toolbar(self) -> str:
        usage, model = self.spend.usage, self.model_name
        persona = self.persona.name if self.persona else "default"
        used = 100 * context_tokens(self.last_usage) / model_window(self.agent.model)
        tokens = sum(usage.as_dict().values())  # input, output and both cache counts
        return (
            f" {model} · agent: {persona} · mode: {self.engine.mode} (shift+tab)"
            f" · {short_count(tokens)} tokens · {self.spend.cost_text} · context {used:.0f}%"
            f"{toolbar_part(self.deps.mcp)} "
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
        self._show_resumed()

    def close(self) -> None:
        self.view.end_turn()
        self.conversation.close("prompt_input_exit")
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
        prompt = command_prompt(name, args, self.skill_set, self.custom_commands)
        if prompt is not None:
            self.turns.submit(prompt, typed=False)
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
        self._resumed = loaded

    def _show_resumed(self) -> None:
        """The resumed conversation as it was shown, then what it has cost so far."""
        loaded = self._resumed
        if loaded is None:
            return
        replay(self.console, self.conversation.history, self.deps.options.workspace)
        prompts = session.prompt_count(loaded.records)
        self.say(resumed_line(self.session_id, prompts, self.spend.usage, self.spend.cost_text))

    def pick_session(self, wanted: str | None) -> None:
        sessions = [s for s in self.conversation.sessions.list() if s.id != self.session_id]
        path = choose_session(self.console, self.input.ask, sessions, wanted)
        if path is not None:
            self.resume(path)
            self._show_resumed()

    def request_exit(self) -> None:
        self.should_exit = True


def command_names(skills: SkillSet, custom: Mapping[str, CustomCommand]) -> list[str]:
    """Every name ``/`` completes: built-ins, then skills the user may run, then custom ones."""
    names = [s.name for s in skills.catalog.for_user()]
    return slash.command_names(dict.fromkeys([*names, *custom]))


def command_prompt(
    name: str, args: str, skills: SkillSet, custom: Mapping[str, CustomCommand]
) -> str | None:
    """The prompt ``/name args`` sends: the skill ``name`` (now active for the turn), else the
    custom command ``name``; None when neither exists."""
    skill = skills.catalog.get(name)
    if skill is not None and skill.user_invocable:
        return skills.load(name, args, by_user=True)
    command = custom.get(name)
    return command.expand(args) if command is not None else None
