"""Running personas as sub-agents for the Task tool, and applying a persona to a run.

A sub-agent gets a fresh context and transcript, the persona's tools (minus Task, so it cannot
delegate further), the persona's model (or the parent's), and the parent's permission policy
and approver: a persona narrows what can be called, never what is allowed. Its usage, cost and
permission denials are added to the parent's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from devagent.agent import Agent, Limits
from devagent.approval import Approver, PermissionPolicy
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
from devagent.gitinfo import GitState
from devagent.llm.base import Model
from devagent.personas import Catalog, Persona, effective_tools
from devagent.prompt import PromptParts, build_system_prompt
from devagent.session import Transcript
from devagent.tools.base import ToolContext, ToolError
from devagent.tools.bash import shutdown_all
from devagent.tools.registry import ToolRegistry
from devagent.tools.task import AgentChoice, SubagentOutcome, TaskTool

ModelFactory = Callable[[str], Model]
_PROGRESS = (ToolStarted, ToolFinished, PermissionDenied, Retrying, Notice)


def persona_registry(persona: Persona, registry: ToolRegistry) -> ToolRegistry:
    """The registry narrowed to what the persona declares (unknown names are just omitted)."""
    offered, _unavailable = effective_tools(persona, registry.names())
    return registry.narrowed(offered)


def persona_model(persona: Persona, fallback: str, aliases: dict[str, str] | None = None) -> str:
    return fallback if persona.model == "inherit" else resolve_model(persona.model, aliases)


@dataclass
class SubagentRunner:
    """Builds and runs one sub-agent per Task call; plugged into ``TaskTool``."""

    catalog: Catalog
    tools: ToolRegistry
    make_model: ModelFactory
    policy: PermissionPolicy
    approver: Approver
    parent_model: str
    workspace: Path
    cwd: Path
    git: GitState | None
    home: Path
    transcripts: Path
    emit: EventSink
    parent: Agent | None = None
    limits: Limits = field(default_factory=lambda: Limits(max_turns=50))
    _count: int = 0

    def __call__(self, kind: str, description: str, prompt: str) -> SubagentOutcome:
        persona = self._find(kind)
        ctx = ToolContext(workspace=self.workspace, cwd=self.workspace)
        transcript = self._transcript(persona, description)
        child = self._child(persona, ctx, transcript)
        try:
            run = child.run(prompt)
        except ModelError as exc:
            return SubagentOutcome(f"The {persona.name} sub-agent failed: {exc}", "no usage", True)
        finally:
            shutdown_all(ctx)
            transcript.close()
            self._roll_up(child)
        usage = child.usage
        line = (
            f"{persona.name}: {run.num_turns} turns, {usage.input_tokens} in / "
            f"{usage.output_tokens} out tokens, ${child.cost_usd:.4f}"
        )
        return SubagentOutcome(run.result, line, run.is_error)

    def _transcript(self, persona: Persona, description: str) -> Transcript:
        """The next numbered transcript in the parent session's folder; a number already
        used (by an earlier run of that session, or another process right now) is skipped."""
        folder = self._folder()
        while True:
            self._count += 1
            path = folder / f"{self._count:03d}-{persona.slug}.jsonl"
            if path.exists():
                continue
            try:
                return Transcript(path, {"agent": persona.name, "description": description})
            except SessionLockedError:
                continue  # another devagent writes sub-agents into this folder right now

    def _folder(self) -> Path:
        """``<session>.subagents`` beside the parent's transcript, which follows the chat's
        current session (after /clear or /resume); ``transcripts`` without one."""
        parent = self.parent.transcript if self.parent is not None else None
        path = getattr(parent, "path", None)
        return path.with_suffix(".subagents") if isinstance(path, Path) else self.transcripts

    def _find(self, kind: str) -> Persona:
        try:
            return self.catalog.find(kind)
        except UsageError as exc:
            raise ToolError(f"{exc} Use one of the agent types listed in the Task tool.") from exc

    def _child(self, persona: Persona, ctx: ToolContext, transcript: Transcript) -> Agent:
        base = ToolRegistry(t for t in self.tools if t.name != TaskTool.name)
        parts = PromptParts(self.workspace, self.cwd, self.git, role=persona.body, home=self.home)
        return Agent(
            model=self.make_model(persona_model(persona, self.parent_model)),
            tools=persona_registry(persona, base),
            ctx=ctx,
            policy=self.policy,
            approver=self.approver,
            system=build_system_prompt(parts),
            emit=self._forward,
            limits=self.limits,
            transcript=transcript,
        )

    def _forward(self, event: Event) -> None:
        if isinstance(event, _PROGRESS):
            self.emit(event)

    def _roll_up(self, child: Agent) -> None:
        if self.parent is None:
            return
        self.parent.usage.add(child.usage)
        self.parent.cost_usd += child.cost_usd
        self.parent.denials.extend(child.denials)


def task_tool(catalog: Catalog, runner: SubagentRunner) -> TaskTool:
    choices = [AgentChoice(p.name, p.description) for p in catalog.personas]
    return TaskTool(choices, runner)
