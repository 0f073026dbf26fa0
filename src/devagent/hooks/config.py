"""Which hook commands are configured, read from Claude Code's ``hooks`` key of settings files.

Shape (Claude Code's)::

    {"hooks": {"PreToolUse": [{"matcher": "Edit|Write",
                               "hooks": [{"type": "command", "command": "...", "timeout": 60}]}]}}

Every source is read in the order given; a source the caller marks as not allowed (a repository
file in a folder the user has not trusted) is skipped and named in a warning. A shape devagent
cannot use is a ``UsageError`` naming the file and the entry, so a policy hook never silently
goes missing; an event devagent does not know, or a hook ``type`` other than ``command``, is
skipped with a warning, so settings shared with newer Claude Code versions still load.

Matchers (PreToolUse and PostToolUse: the tool name; SessionStart: the source; SessionEnd: the
reason; PreCompact: the trigger; Notification: the notification type) work as Claude Code's:
empty or ``*`` matches everything, a plain name (letters, digits, ``_`` and ``|``) matches those
names exactly, anything else is a regular expression searched in the name (``mcp__.*``,
``Notebook.*``). Other events ignore the matcher.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from devagent.errors import UsageError
from devagent.fsutil import JSONFileError, read_json_object

EventName = Literal[
    "PreToolUse",
    "PostToolUse",
    "UserPromptSubmit",
    "Stop",
    "SubagentStop",
    "SessionStart",
    "SessionEnd",
    "PreCompact",
    "Notification",
]
EVENTS: tuple[EventName, ...] = get_args(EventName)
DEFAULT_TIMEOUT_S = 60.0
MAX_TIMEOUT_S = 3600.0
_PLAIN_MATCHER = re.compile(r"[A-Za-z0-9_|]+")


@dataclass(frozen=True)
class HookSource:
    """One settings file to read hooks from; ``allowed`` False: skip it (untrusted folder)."""

    path: Path
    scope: Literal["user", "project"]
    allowed: bool = True


@dataclass(frozen=True)
class HookCommand:
    """One configured command: what runs, its timeout, and the file it came from."""

    event: EventName
    matcher: str
    command: str
    timeout_s: float
    source: Path

    def matches(self, target: str | None) -> bool:
        return matcher_matches(self.matcher, target)


@dataclass(frozen=True)
class HookConfig:
    """Every configured hook command, in source order, and what was skipped."""

    commands: tuple[HookCommand, ...] = ()
    warnings: tuple[str, ...] = ()
    skipped_sources: tuple[Path, ...] = ()

    def for_event(self, event: EventName, target: str | None = None) -> list[HookCommand]:
        """The commands to run for ``event`` (``target``: what the matcher sees), each command
        line once: the same command configured twice, or in two files, runs once."""
        seen: set[str] = set()
        found: list[HookCommand] = []
        for hook in self.commands:
            if hook.event != event or not hook.matches(target) or hook.command in seen:
                continue
            seen.add(hook.command)
            found.append(hook)
        return found


def matcher_matches(matcher: str, target: str | None) -> bool:
    if matcher in ("", "*") or target is None:
        return True
    if _PLAIN_MATCHER.fullmatch(matcher):
        return target in matcher.split("|")
    return re.search(matcher, target) is not None


def load_hook_config(sources: Sequence[HookSource]) -> HookConfig:
    """Read the hooks of every source (see the module docstring)."""
    commands: list[HookCommand] = []
    warnings: list[str] = []
    skipped: list[Path] = []
    for source in sources:
        data = _read(source.path)
        if data is None or "hooks" not in data:
            continue
        if not source.allowed:
            skipped.append(source.path)
            continue
        commands.extend(_hooks_of(source.path, data["hooks"], warnings))
    return HookConfig(tuple(commands), tuple(warnings), tuple(skipped))


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return read_json_object(path)
    except JSONFileError as exc:
        raise UsageError(f"{exc}. Fix the file (devagent has not changed it).") from exc


def _hooks_of(path: Path, hooks: Any, warnings: list[str]) -> list[HookCommand]:
    if not isinstance(hooks, dict):
        raise UsageError(f'{path}: "hooks" must be an object of event names. Fix the file.')
    found: list[HookCommand] = []
    for event, groups in hooks.items():
        if event not in EVENTS:
            warnings.append(
                f"{path}: hook event {event!r} is not one devagent runs "
                f"({', '.join(EVENTS)}); its hooks are ignored."
            )
            continue
        if not isinstance(groups, list):
            raise UsageError(f'{path}: "hooks.{event}" must be a list. Fix the file.')
        for i, group in enumerate(groups):
            found.extend(_group(path, event, i, group, warnings))
    return found


def _group(
    path: Path, event: EventName, index: int, group: Any, warnings: list[str]
) -> list[HookCommand]:
    where = f"{path}: hooks.{event}[{index}]"
    if not isinstance(group, dict):
        raise UsageError(f'{where} must be an object with "matcher" and "hooks". Fix the file.')
    matcher = group.get("matcher", "")
    if not isinstance(matcher, str):
        raise UsageError(f'{where}.matcher must be a string such as "Edit|Write". Fix the file.')
    _check_matcher(where, matcher)
    entries = group.get("hooks")
    if not isinstance(entries, list):
        raise UsageError(f'{where}.hooks must be a list of {{"type": "command", ...}} entries.')
    found: list[HookCommand] = []
    for j, entry in enumerate(entries):
        command = _command(f"{where}.hooks[{j}]", entry, warnings)
        if command is not None:
            found.append(HookCommand(event, matcher, command[0], command[1], path))
    return found


def _check_matcher(where: str, matcher: str) -> None:
    if matcher in ("", "*") or _PLAIN_MATCHER.fullmatch(matcher):
        return
    try:
        re.compile(matcher)
    except re.error as exc:
        raise UsageError(
            f"{where}.matcher {matcher!r} is not a valid regular expression ({exc}). Fix the file."
        ) from exc


def _command(where: str, entry: Any, warnings: list[str]) -> tuple[str, float] | None:
    if not isinstance(entry, Mapping):
        raise UsageError(f'{where} must be an object such as {{"type": "command", ...}}.')
    kind = entry.get("type", "command")
    if kind != "command":
        warnings.append(f"{where}: hook type {kind!r} is not supported; only command hooks run.")
        return None
    command = entry.get("command")
    if not isinstance(command, str) or not command.strip():
        raise UsageError(f'{where}: "command" must be a non-empty string. Fix the file.')
    timeout = entry.get("timeout", DEFAULT_TIMEOUT_S)
    valid = isinstance(timeout, int | float) and not isinstance(timeout, bool)
    if not valid or not 0 < timeout <= MAX_TIMEOUT_S:
        raise UsageError(
            f'{where}: "timeout" must be a number of seconds above 0 and at most '
            f"{MAX_TIMEOUT_S:.0f} (got {timeout!r}). Fix the file."
        )
    return command, float(timeout)
