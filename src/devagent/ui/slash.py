"""Slash commands of the chat: the built-in table and their help.

A built-in command is a function ``(host, args) -> None`` whose docstring's first line is its
help; ``SlashHost`` is everything a command may see of the chat and do to it. Custom commands
(``ui.custom_commands``) and skills come after the built-ins: a built-in name always wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from rich.console import Console
from rich.table import Table
from rich.text import Text

from devagent.agent import Agent, Spend
from devagent.compaction import context_tokens, model_window
from devagent.config import resolve_model
from devagent.hooks.dispatch import Hooks
from devagent.messages import Message, Usage, is_prompt
from devagent.permissions import MODES, RULE_KINDS, InvalidRuleError, PermissionEngine
from devagent.personas import Catalog, Persona
from devagent.skills import SkillSet
from devagent.ui.chat_view import MAX_DETAILS
from devagent.ui.console import Level
from devagent.ui.custom_commands import CustomCommand
from devagent.ui.hooks_view import cmd_hooks
from devagent.ui.mcp_view import HasMcp, cmd_mcp
from devagent.ui.skills_view import cmd_skills


class SlashHost(Protocol):
    """What a slash command may see of the chat and do to it."""

    @property
    def console(self) -> Console: ...
    @property
    def catalog(self) -> Catalog:
        """The personas ``/agent`` can switch to."""
        ...

    @property
    def custom_commands(self) -> Mapping[str, CustomCommand]: ...
    @property
    def skill_set(self) -> SkillSet: ...
    @property
    def aliases(self) -> Mapping[str, str]: ...
    @property
    def engine(self) -> PermissionEngine: ...
    @property
    def hooks(self) -> Hooks: ...
    @property
    def deps(self) -> HasMcp:
        """Where the chat keeps its MCP servers (``/mcp``)."""
        ...

    @property
    def persona(self) -> Persona | None: ...
    @property
    def model_name(self) -> str: ...
    @property
    def agent(self) -> Agent:
        """The agent now carrying the conversation (its model gives the context window)."""
        ...

    @property
    def spend(self) -> Spend: ...
    @property
    def last_usage(self) -> Usage:
        """The context the last request held."""
        ...

    @property
    def history(self) -> Sequence[Message]:
        """The conversation as the next request will send it."""
        ...

    def say(self, text: str, level: Level = "info") -> None: ...
    def switch_persona(self, persona: Persona | None) -> None: ...
    def switch_model(self, model_name: str) -> None: ...
    def set_mode(self, mode: str) -> None: ...
    def submit(self, text: str) -> None: ...
    def clear(self) -> None: ...
    def compact(self, focus: str | None) -> None: ...
    def show_last_tool_details(self, n: int = 1) -> None: ...
    def show_diff(self) -> None: ...
    def undo(self, *, force: bool = False) -> None: ...
    def pick_session(self, wanted: str | None) -> None: ...
    def request_exit(self) -> None: ...


Handler = Callable[[SlashHost, str], None]


@dataclass(frozen=True)
class SlashCommand:
    name: str
    run: Handler
    usage: str = ""

    @property
    def summary(self) -> str:
        doc = (self.run.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""


def parse_command_line(line: str) -> tuple[str, str]:
    """``/name rest`` -> (``name``, ``rest``)."""
    head, _, rest = line.strip().removeprefix("/").partition(" ")
    return head.strip(), rest.strip()


# --- built-in commands ----------------------------------------------------------------------


def cmd_help(host: SlashHost, args: str) -> None:
    """Show the commands and keys."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(no_wrap=True)
    table.add_column()
    for command in COMMANDS.values():
        table.add_row(f"/{command.name} {command.usage}".rstrip(), command.summary)
    for custom in host.custom_commands.values():
        table.add_row(f"/{custom.name} [args]", f"{custom.description} (custom)")
    host.console.print(table)
    host.console.print(
        "Keys: Enter sends · Esc then Enter (or \\ then Enter) adds a line · Ctrl-R searches "
        "history · Shift-Tab cycles the permission mode · Ctrl-O shows the last tool output · "
        "Ctrl-C or Esc cancels a turn (Ctrl-C twice on an empty prompt exits) · Ctrl-D exits · "
        "y/a/n answer an approval at once.\n"
        "@path adds a file to the message · !command runs a shell command.",
        markup=False,
    )


def cmd_agents(host: SlashHost, args: str) -> None:
    """List the agent personas you can switch to."""
    table = Table(show_header=True, box=None, pad_edge=False)
    for column in ("", "name", "source", "description"):
        table.add_column(column)
    current = host.persona.name if host.persona else None
    for persona in host.catalog:
        marker = "*" if persona.name == current else ""
        first = persona.description.strip().splitlines()[0] if persona.description else ""
        table.add_row(marker, persona.name, persona.source, first[:70])
    host.console.print(table)


def cmd_agent(host: SlashHost, args: str) -> None:
    """Switch to another persona (`/agent default` for none), keeping the conversation."""
    if not args:
        name = host.persona.name if host.persona else "default (no persona)"
        host.say(f"Agent: {name}. Switch with /agent NAME; list with /agents.")
        return
    if args in ("default", "none"):
        host.switch_persona(None)
        return
    persona = host.catalog.get(args)
    if persona is None:
        close = host.catalog.close_matches(args)
        hint = f" Did you mean {', '.join(close)}?" if close else " See /agents."
        host.say(f"No agent named {args!r}.{hint}", "error")
        return
    host.switch_persona(persona)


def cmd_model(host: SlashHost, args: str) -> None:
    """Show the model, or switch to another (alias, full id or PROFILE:MODEL)."""
    if not args:
        aliases = ", ".join(f"{k} = {v}" for k, v in host.aliases.items())
        host.say(
            f"Model: {host.model_name}. Aliases: {aliases}. Other providers: "
            "/model PROFILE:MODEL (ollama:qwen3-coder, openrouter:…, openai:…)."
        )
        return
    host.switch_model(resolve_model(args, host.aliases))


def cmd_permissions(host: SlashHost, args: str) -> None:
    """Show the mode and rules; `allow|ask|deny RULE` adds a rule, `mode MODE` sets the mode."""
    verb, _, rest = args.partition(" ")
    if verb in RULE_KINDS and rest.strip():
        _add_session_rule(host, verb, rest.strip())
        return
    if verb == "mode" and rest.strip():
        host.set_mode(rest.strip())
        return
    if verb:
        host.say(f"Usage: /permissions {_PERMISSIONS_USAGE}", "error")
        return
    engine = host.engine
    host.say(f"Mode: {engine.mode} (Shift-Tab cycles; modes: {', '.join(MODES)})")
    table = Table(show_header=True, box=None, pad_edge=False)
    for column in ("kind", "rule", "from"):
        table.add_column(column)
    for kind in ("deny", "ask", "allow"):
        for rule in engine.rules(kind):
            table.add_row(kind, Text(rule.text), Text(rule.source))
    if table.row_count:
        host.console.print(table)
    else:
        host.say("No rules. Add one for this session with /permissions allow 'Bash(npm test:*)'.")


_PERMISSIONS_USAGE = "[allow|ask|deny RULE | mode MODE]"


_ADDED = {"allow": "Allowed", "ask": "Will ask", "deny": "Denied"}


def _add_session_rule(host: SlashHost, kind: str, text: str) -> None:
    assert kind in RULE_KINDS
    try:
        rule = host.engine.add_session_rule(kind, text.strip("'\""))
    except InvalidRuleError as exc:
        host.say(str(exc), "error")
        return
    host.say(f"{_ADDED[kind]} for this session: {rule.text}")


def cmd_plan(host: SlashHost, args: str) -> None:
    """Plan first: read-only until you approve the model's plan; text after it is sent."""
    host.set_mode("plan")
    if args.strip():
        host.submit(args.strip())


def cmd_clear(host: SlashHost, args: str) -> None:
    """Start a new conversation (a new session); files are not touched."""
    host.clear()


def cmd_compact(host: SlashHost, args: str) -> None:
    """Summarise the conversation into a new context; optional focus text for the summary."""
    host.compact(args or None)


def cmd_cost(host: SlashHost, args: str) -> None:
    """Show tokens (including cache reads and writes) and cost so far."""
    spend = host.spend
    usage = spend.usage
    window = model_window(host.agent.model)
    last = context_tokens(host.last_usage)
    host.say(
        f"Input {usage.input_tokens:,} · output {usage.output_tokens:,} · cache reads "
        f"{usage.cache_read_input_tokens:,} · cache writes {usage.cache_creation_input_tokens:,}"
        f" tokens\nCost {spend.cost_text} · context {last:,} of {window:,} tokens "
        f"({100 * last / window:.0f}%)"
    )


def cmd_context(host: SlashHost, args: str) -> None:
    """Show how full the context window is, and what the conversation holds."""
    window = model_window(host.agent.model)
    last = context_tokens(host.last_usage)
    history = host.history
    prompts = sum(1 for message in history if is_prompt(message))
    held = f"{len(history)} message{'s' * (len(history) != 1)} in the history ({prompts} from you)"
    if not last:
        host.say(f"Context: no request yet (window {window:,} tokens) · {held}")
        return
    host.say(
        f"Context: {last:,} of {window:,} tokens ({100 * last / window:.0f}%) at the last "
        f"request · {held}"
    )


def cmd_details(host: SlashHost, args: str) -> None:
    """Show the full output of the last tool call, or of the last N (also Ctrl-O)."""
    count = args.strip() or "1"
    if not count.isdigit() or not 1 <= int(count) <= MAX_DETAILS:
        host.say(f"Usage: /details [N] with N from 1 to {MAX_DETAILS}.", "error")
        return
    host.show_last_tool_details(int(count))


def cmd_diff(host: SlashHost, args: str) -> None:
    """Show what this session changed in the workspace."""
    host.show_diff()


def cmd_undo(host: SlashHost, args: str) -> None:
    """Restore the files the last turn changed (`/undo force` overwrites later edits)."""
    host.undo(force=args.strip() == "force")


def cmd_resume(host: SlashHost, args: str) -> None:
    """Pick an earlier session of this project to continue (or give its id)."""
    host.pick_session(args.strip() or None)


def cmd_exit(host: SlashHost, args: str) -> None:
    """Leave devagent (the session is saved; resume it with --resume)."""
    host.request_exit()


COMMANDS: dict[str, SlashCommand] = {
    c.name: c
    for c in (
        SlashCommand("help", cmd_help),
        SlashCommand("agents", cmd_agents),
        SlashCommand("agent", cmd_agent, "NAME"),
        SlashCommand("skills", cmd_skills),
        SlashCommand("model", cmd_model, "[M]"),
        SlashCommand("permissions", cmd_permissions, _PERMISSIONS_USAGE),
        SlashCommand("hooks", cmd_hooks),
        SlashCommand("mcp", cmd_mcp),
        SlashCommand("plan", cmd_plan, "[TASK]"),
        SlashCommand("clear", cmd_clear),
        SlashCommand("compact", cmd_compact, "[focus]"),
        SlashCommand("cost", cmd_cost),
        SlashCommand("context", cmd_context),
        SlashCommand("details", cmd_details, "[N]"),
        SlashCommand("diff", cmd_diff),
        SlashCommand("undo", cmd_undo, "[force]"),
        SlashCommand("resume", cmd_resume, "[ID]"),
        SlashCommand("exit", cmd_exit),
    )
}
ALIASES = {"quit": "exit", "q": "exit", "?": "help", "rewind": "undo"}


def find_builtin(name: str) -> SlashCommand | None:
    return COMMANDS.get(ALIASES.get(name, name))


def command_names(custom: Iterable[str]) -> list[str]:
    """Every name ``/`` completes: built-ins first, then custom commands."""
    return [*COMMANDS, *(n for n in custom if n not in COMMANDS)]
