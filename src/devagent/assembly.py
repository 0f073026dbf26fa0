"""Building an agent: the one place that turns options into a ready ``Agent``.

One-shot runs, the chat (and every model or persona switch in it), reviews and sub-agents all
call ``build_agent``, so a new collaborator (a tool source, a hook runner) is wired in here once.
What varies between them is data in ``AgentOptions``:

- the tools: the built-in set unless ``tools`` names others, narrowed to what the persona
  declares, plus ``extra_tools`` whatever the persona says (review's ReportFinding); a persona
  whose tool list could not be read gets none, and a warning ``Notice`` says so each time;
- delegation: with a ``catalog`` the agent gets the Task tool, whose sub-agents are built by
  ``build_agent`` too, from the same options (persona's role and tools, no Task, 50 turns);
- skills: with ``skills`` the agent gets the Skill tool listing them (its sub-agents too, sharing
  which skills are active); what active skills grant is the policy's part
  (``SkillSet.policy``);
- plan mode: with ``modes`` (the permission engine) the agent gets ExitPlanMode, and its
  system prompt says how plan mode works (sub-agents get neither);
- the web: with the built-in tools come WebFetch and WebSearch, whose nested requests go to
  ``small_model`` and are charged to the conversation's spend;
- MCP: ``tool_sources`` (the run's MCP servers) are read before each request, so tools of a
  server that started late, or whose list changed, are offered then;
- the system prompt: the base prompt or the persona's role, the environment, memory files and
  ``append_system_prompt``;
- what the agent shares with its conversation: the tool context, transcript, history, spend
  and the hook that may compact the history before a request;
- hooks (``devagent.hooks``): the loop fires PreToolUse, PostToolUse and Stop (SubagentStop in
  a sub-agent), and an approver that can ask fires Notification before each question.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from devagent.agent import Agent, Limits, Spend, timed
from devagent.approval import Approver, DenyingApprover, ModeSwitch, PermissionPolicy
from devagent.config import small_model
from devagent.events import EventSink, Notice, discard
from devagent.gitinfo import GitState
from devagent.hooks.dispatch import Hooks
from devagent.hooks.notify import NotifyingApprover
from devagent.llm.base import Model
from devagent.messages import AssistantReply, Message, ModelRequest
from devagent.personas import Catalog, Persona
from devagent.prompt import PromptParts, build_system_prompt
from devagent.session import Transcript
from devagent.skills import SkillSet
from devagent.subagents import SubagentRunner, persona_model, persona_registry, task_tool
from devagent.tools.base import Tool, ToolContext
from devagent.tools.catalog import default_registry
from devagent.tools.launch import Launcher
from devagent.tools.plan import ExitPlanModeTool
from devagent.tools.registry import ToolRegistry, ToolSource
from devagent.tools.web import WebAccess, WebFetchTool, WebSearchTool, rule_names_host

ModelFactory = Callable[[str], Model]
SUBAGENT_LIMITS = Limits(max_turns=50)


@dataclass(frozen=True)
class AgentOptions:
    """Everything an agent is built from; the first seven have no default."""

    workspace: Path
    cwd: Path
    home: Path
    model_name: str
    make_model: ModelFactory
    policy: PermissionPolicy
    approver: Approver
    emit: EventSink = discard
    persona: Persona | None = None
    git: GitState | None = None
    append_system_prompt: str | None = None
    limits: Limits = field(default_factory=Limits)
    # None: every built-in tool. The persona narrows these; ``extra_tools`` are always added.
    tools: Sequence[Tool] | None = None
    extra_tools: Sequence[Tool] = ()
    # Tools whose list changes during the run (MCP servers'): asked before each request,
    # narrowed by the persona like the built-in ones; sub-agents get the same sources.
    tool_sources: Sequence[ToolSource] = ()
    # The personas Task may run; None: no Task tool. Sub-agent transcripts go to the folder
    # ``subagent_folder`` names when a call starts (it follows the chat's current session).
    catalog: Catalog | None = None
    subagent_folder: Callable[[], Path] | None = None
    # The skills the agent may load, and which are active in the turn; None: no Skill tool.
    skills: SkillSet | None = None
    # Where the permission mode is kept; None: no ExitPlanMode tool (sub-agents, reviews).
    modes: ModeSwitch | None = None
    # The model of WebFetch's and WebSearch's nested requests (``config.small_model``).
    small_model: str = field(default_factory=small_model)
    # What the agent shares with its conversation; None: its own, fresh.
    ctx: ToolContext | None = None
    transcript: Transcript | None = None
    history: list[Message] | None = None
    spend: Spend | None = None
    before_request: Callable[[list[Message]], list[Message]] | None = None
    # How Bash commands run (the sandbox); sub-agents get the same. None: as they are.
    launcher: Launcher | None = None
    # The configured hooks (none by default); sub-agents get the same, firing SubagentStop.
    hooks: Hooks = field(default_factory=Hooks)


def build_agent(options: AgentOptions) -> Agent:
    """The agent ``options`` describe (see the module docstring)."""
    spend = options.spend if options.spend is not None else Spend()
    persona = options.persona
    if persona is not None and persona.tools_problem:
        options.emit(
            Notice(f"agent {persona.name} ({persona.path}): {persona.tools_problem}", "warning")
        )
    parts = PromptParts(
        options.workspace,
        options.cwd,
        options.git,
        role=persona.body if persona else None,
        append=options.append_system_prompt,
        home=options.home,
        plan_mode=options.modes is not None,
    )
    approver = options.approver
    if options.hooks.commands() and not isinstance(approver, DenyingApprover | NotifyingApprover):
        options = replace(
            options, approver=NotifyingApprover(approver, options.hooks, options.emit)
        )
    return Agent(
        model=options.make_model(options.model_name),
        tools=_registry(options, spend),
        ctx=options.ctx
        or ToolContext(
            workspace=options.workspace, cwd=options.workspace, launcher=options.launcher
        ),
        policy=options.policy,
        approver=options.approver,
        system=build_system_prompt(parts),
        emit=options.emit,
        limits=options.limits,
        transcript=options.transcript,
        history=options.history if options.history is not None else [],
        spend=spend,
        before_request=options.before_request,
        hooks=options.hooks,
    )


def _registry(options: AgentOptions, spend: Spend) -> ToolRegistry:
    if options.tools is not None:
        base = ToolRegistry(options.tools)
    else:
        base = default_registry(*_web_tools(options, spend))
    if options.catalog is not None:
        base.add(task_tool(options.catalog, _runner(options, options.catalog, spend)))
    skill_tool = options.skills.tool() if options.skills is not None else None
    if skill_tool is not None:
        base.add(skill_tool)
    if options.modes is not None:
        base.add(ExitPlanModeTool(options.modes, options.approver))
    for source in options.tool_sources:
        base.add_source(source)
    registry = persona_registry(options.persona, base) if options.persona else base
    for tool in options.extra_tools:
        registry.add(tool)
    return registry


def _web_tools(options: AgentOptions, spend: Spend) -> list[Tool]:
    """WebFetch and WebSearch; the small model is made on their first nested request."""
    made: list[Model] = []

    def ask(request: ModelRequest) -> AssistantReply:
        if not made:
            made.append(options.make_model(options.small_model))
        reply, api_ms = timed(lambda: made[0].stream(request, discard))
        spend.charge_reply(reply, made[0], api_ms)
        return reply

    access = WebAccess(ask, rule_names_host(options.policy))
    return [WebFetchTool(access), WebSearchTool(access)]


def _runner(options: AgentOptions, catalog: Catalog, spend: Spend) -> SubagentRunner:
    if options.subagent_folder is None:
        raise ValueError("an agent offering Task needs a subagent_folder for the transcripts")

    def spawn(persona: Persona, transcript: Transcript, emit: EventSink) -> Agent:
        # The parent's workspace, policy and approver; the persona's role, tools and model.
        child = AgentOptions(
            workspace=options.workspace,
            cwd=options.cwd,
            home=options.home,
            model_name=persona_model(persona, options.model_name),
            make_model=options.make_model,
            policy=options.policy,
            approver=options.approver,
            emit=emit,
            persona=persona,
            git=options.git,
            limits=SUBAGENT_LIMITS,
            tools=options.tools,
            skills=options.skills,
            tool_sources=options.tool_sources,
            transcript=transcript,
            small_model=options.small_model,
            launcher=options.launcher,
            hooks=options.hooks.for_subagent(),
        )
        return build_agent(child)

    return SubagentRunner(
        catalog=catalog,
        spawn=spawn,
        folder=options.subagent_folder,
        spend=spend,
        emit=options.emit,
    )
