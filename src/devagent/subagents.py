"""Running personas as sub-agents for the Task tool, and applying a persona to a run.

A sub-agent gets a fresh context and transcript, the persona's tools (minus Task, so it cannot
delegate further), the persona's model (or the parent's), and the parent's permission policy
and approver: a persona narrows what can be called, never what is allowed. Its usage, cost and
permission denials are added to the parent's. ``devagent.assembly`` builds it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from devagent.agent import Agent, Spend
from devagent.config import resolve_model
from devagent.errors import ModelError, SessionLockedError, UsageError
from devagent.events import (
    Event,
    EventSink,
    Notice,
    PermissionDenied,
    Retrying,
    ToolFinished,
    ToolStarted,
)
from devagent.personas import Catalog, Persona, effective_tools
from devagent.session import Transcript
from devagent.tools.base import ToolError
from devagent.tools.bash import shutdown_all
from devagent.tools.registry import ToolRegistry
from devagent.tools.task import AgentChoice, SubagentOutcome, TaskTool

_PROGRESS = (ToolStarted, ToolFinished, PermissionDenied, Retrying, Notice)


def persona_registry(persona: Persona, registry: ToolRegistry) -> ToolRegistry:
    """The registry narrowed to what the persona declares (unknown names are just omitted).

    Decided name by name, so tools a source offers later (an MCP server that is still
    starting) are narrowed the same way when they appear."""

    def keep(name: str) -> bool:
        offered, _unavailable = effective_tools(persona, [name])
        return offered is None or name in offered

    return registry.keeping(keep)


def persona_model(persona: Persona, fallback: str, aliases: Mapping[str, str] | None = None) -> str:
    return fallback if persona.model == "inherit" else resolve_model(persona.model, aliases)


Spawn = Callable[[Persona, Transcript, EventSink], Agent]
"""Builds a sub-agent: ``spawn(persona, transcript, emit)`` (``devagent.assembly`` gives one)."""


@dataclass
class SubagentRunner:
    """Builds and runs one sub-agent per Task call; plugged into ``TaskTool``.

    ``folder`` says where transcripts go when a call starts (beside the parent's current
    transcript, which follows a chat's /clear and /resume); ``spend`` is the parent's, which the
    sub-agent's usage, cost and denials are added to; ``emit`` gets the sub-agent's progress.
    """

    catalog: Catalog
    spawn: Spawn
    folder: Callable[[], Path]
    spend: Spend
    emit: EventSink
    _count: int = 0

    def __call__(self, kind: str, description: str, prompt: str) -> SubagentOutcome:
        persona = self._find(kind)
        transcript = self._transcript(persona, description)
        child = self.spawn(persona, transcript, self._forward)
        try:
            run = child.run(prompt)
        except ModelError as exc:
            return SubagentOutcome(f"The {persona.name} sub-agent failed: {exc}", "no usage", True)
        finally:
            shutdown_all(child.ctx)
            transcript.close()
            self.spend.absorb(child.spend)
        usage = child.usage
        line = (
            f"{persona.name}: {run.num_turns} turns, {usage.input_tokens} in / "
            f"{usage.output_tokens} out tokens, {child.spend.cost_text}"
        )
        return SubagentOutcome(run.result, line, run.is_error)

    def _transcript(self, persona: Persona, description: str) -> Transcript:
        """The next numbered transcript in the parent session's folder; a number already
        used (by an earlier run of that session, or another process right now) is skipped."""
        folder = self.folder()
        while True:
            self._count += 1
            path = folder / f"{self._count:03d}-{persona.slug}.jsonl"
            if path.exists():
                continue
            try:
                return Transcript(path, {"agent": persona.name, "description": description})
            except SessionLockedError:
                continue  # another devagent writes sub-agents into this folder right now

    def _find(self, kind: str) -> Persona:
        try:
            return self.catalog.find(kind)
        except UsageError as exc:
            raise ToolError(f"{exc} Use one of the agent types listed in the Task tool.") from exc

    def _forward(self, event: Event) -> None:
        if isinstance(event, _PROGRESS):
            self.emit(event)


def task_tool(catalog: Catalog, runner: SubagentRunner) -> TaskTool:
    choices = [AgentChoice(p.name, p.description) for p in catalog.personas]
    return TaskTool(choices, runner)
