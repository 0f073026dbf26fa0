"""``/hooks``: the configured hooks, each with its event, matcher, timeout and source file."""

from __future__ import annotations

import os
from typing import Protocol

from rich.console import Console
from rich.table import Table
from rich.text import Text

from devagent.hooks.dispatch import Hooks
from devagent.ui.console import say

MAX_COMMAND = 200


class HooksHost(Protocol):
    """What ``/hooks`` needs of the chat (``ui.slash.SlashHost`` has it)."""

    @property
    def console(self) -> Console: ...
    @property
    def hooks(self) -> Hooks: ...


def cmd_hooks(host: HooksHost, args: str) -> None:
    """List the configured hooks and the settings file each comes from."""
    show_hooks(host.console, host.hooks)


def show_hooks(console: Console, hooks: Hooks) -> None:
    """Print the hooks that will run, grouped by the file they come from, then the files whose
    hooks will not run (an untrusted folder) and what was skipped."""
    commands = hooks.commands()
    if not commands:
        say(console, 'No hooks configured. Add them under "hooks" in a settings file.')
    sources = list(dict.fromkeys(hook.source for hook in commands))
    for source in sources:
        console.print(Text(f"{_shown(source)}:", style="bold"), soft_wrap=True)
        table = Table(show_header=True, box=None, pad_edge=False, padding=(0, 2, 0, 2))
        for column in ("event", "matcher", "timeout", "command"):
            table.add_column(column, overflow="fold" if column == "command" else "ellipsis")
        for hook in (h for h in commands if h.source == source):
            row = (hook.event, hook.matcher or "*", f"{hook.timeout_s:g}s")
            table.add_row(*row, Text(_clip(hook.command)))
        console.print(table)
    for path in hooks.config.skipped_sources:
        say(console, f"Not run until you trust this folder: {_shown(path)}", "warn")
    for warning in hooks.config.warnings:
        say(console, warning, "warn")


def _clip(command: str) -> str:
    line = " ".join(command.split())
    return line if len(line) <= MAX_COMMAND else line[: MAX_COMMAND - 3] + "..."


def _shown(path: os.PathLike[str]) -> str:
    home = os.path.expanduser("~")
    text = os.fspath(path)
    return (
        "~" + text[len(home) :] if home not in ("", "/") and text.startswith(home + "/") else text
    )
