"""The hooks of one run: every event's payload, and running its matching commands.

``Hooks.fire`` builds the JSON Claude Code sends (``session_id``, ``transcript_path``, ``cwd``,
``hook_event_name``, ``permission_mode`` and the event's own fields), runs the matching
commands (``devagent.hooks.runner``) with ``CLAUDE_PROJECT_DIR`` and ``DEVAGENT_PROJECT_DIR``
set to the workspace, and merges what they said (``devagent.hooks.outcome``). With no matching
command nothing is spawned and the outcome is empty.

One ``Hooks`` serves a conversation and its sub-agents; the conversation binds it to its
session (id and transcript) and permission mode. ``for_subagent`` gives the same hooks with
``SubagentStop`` in place of ``Stop``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from devagent.hooks.config import EventName, HookCommand, HookConfig
from devagent.hooks.outcome import HookOutcome, merge
from devagent.hooks.runner import run_commands

PROJECT_DIR_VARS = ("CLAUDE_PROJECT_DIR", "DEVAGENT_PROJECT_DIR")
SessionInfo = Callable[[], tuple[str, str]]


def _no_session() -> tuple[str, str]:
    return "", ""


def _default_mode() -> str:
    return "default"


@dataclass
class _Binding:
    session: SessionInfo = _no_session
    mode: Callable[[], str] = _default_mode


@dataclass
class Hooks:
    """The configured hooks, where they run, and the session they report (see the docstring)."""

    config: HookConfig = field(default_factory=HookConfig)
    project_dir: Path | None = None  # None: the current directory when a hook runs
    cwd: Path | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    stop_event: EventName = "Stop"
    _binding: _Binding = field(default_factory=_Binding)

    def bind(self, session: SessionInfo, mode: Callable[[], str] | None = None) -> None:
        """Report ``session()`` (id, transcript path) and ``mode()`` in every payload."""
        self._binding.session = session
        if mode is not None:
            self._binding.mode = mode

    def for_subagent(self) -> Hooks:
        """The same hooks and binding; a sub-agent's last answer fires ``SubagentStop``."""
        return replace(self, stop_event="SubagentStop")

    def commands(self) -> tuple[HookCommand, ...]:
        return self.config.commands

    def payload(self, event: EventName, fields: Mapping[str, Any]) -> dict[str, Any]:
        session_id, transcript = self._binding.session()
        return {
            "session_id": session_id,
            "transcript_path": transcript,
            "cwd": str(self.cwd or Path.cwd()),
            "hook_event_name": event,
            "permission_mode": self._binding.mode(),
            **fields,
        }

    def fire(
        self,
        event: EventName,
        fields: Mapping[str, Any],
        *,
        target: str | None = None,
        cancel: threading.Event | None = None,
    ) -> HookOutcome:
        """Run the commands of ``event`` whose matcher takes ``target``; their merged answer."""
        commands = self.config.for_event(event, target)
        if not commands:
            return HookOutcome(event)
        data = json.dumps(self.payload(event, fields), default=str).encode("utf-8")
        cwd = self.cwd or Path.cwd()
        project = str(self.project_dir or cwd)
        env = {**self.env, **dict.fromkeys(PROJECT_DIR_VARS, project)}
        runs = run_commands(commands, data, cwd=cwd, env=env, cancel=cancel)
        return merge(event, runs)
