"""Prepares a run from options: workspace, settings, persona, model and session, then runs
one-shot prompts.

Everything a command needs before the loop starts lives here, so the CLI only parses flags and
maps errors to exit codes. The agent itself is built by ``devagent.assembly.build_agent`` and
driven through a ``devagent.conversation.Conversation``, as in the chat.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from devagent import session
from devagent.agent import Limits, RunResult, Spend
from devagent.approval import DenyingApprover, PermissionPolicy
from devagent.assembly import AgentOptions, ModelFactory
from devagent.config import (
    DEFAULT_MODEL,
    anthropic_credential,
    devagent_home,
    resolve_model,
    small_model,
)
from devagent.conversation import Conversation
from devagent.errors import DevagentError, UsageError
from devagent.events import Notice
from devagent.gitinfo import find_workspace, git_state
from devagent.hooks.config import HookSource, load_hook_config
from devagent.hooks.dispatch import Hooks
from devagent.llm.base import Model
from devagent.llm.cloud import check_extra, check_region, cloud_provider, make_cloud_model
from devagent.llm.ollama import OllamaServer, ollama_url, probe_ollama
from devagent.llm.providers import Providers, api_key, make_profile_model
from devagent.permissions import PermissionEngine
from devagent.personas import Catalog, Persona
from devagent.sandbox.config import load_sandbox_settings
from devagent.sandbox.gate import SandboxGate
from devagent.sandbox.launcher import Sandbox
from devagent.settings import (
    LoadedSettings,
    build_engine,
    repo_settings_paths,
    user_settings_path,
)
from devagent.skills import SkillCatalog, SkillSet, UnknownSkill
from devagent.subagents import persona_model
from devagent.tools.process import reap_orphans
from devagent.ui.oneshot import OneShotPrinter, OutputFormat

if TYPE_CHECKING:
    from devagent.mcp import McpServers

STDIN_LIMIT = 10 * 1024 * 1024


class Terminated(BaseException):
    """SIGTERM (or SIGHUP: the terminal went away) arrived; unwinds the run so transcripts are
    flushed and children killed. ``exit_code`` is 128 + the signal number (143, 129)."""

    def __init__(self, signum: int = 15) -> None:
        super().__init__(signum)
        self.exit_code = 128 + signum


@dataclass(frozen=True)
class RunOptions:
    """The options of a run, as the command line gives them: ``devagent -p``, ``devagent run``
    and the chat (no prompt, no one-shot flags) all build one and hand it on."""

    prompt: str = ""
    output_format: OutputFormat = "text"
    permission_mode: str | None = None
    allowed_tools: list[str] = field(default_factory=list)
    disallowed_tools: list[str] = field(default_factory=list)
    agent: str | None = None
    model: str | None = None
    max_turns: int | None = None
    max_budget_usd: float | None = None
    append_system_prompt: str | None = None
    continue_latest: bool = False
    resume: str | None = None
    sandbox: str | None = None  # --sandbox MODE
    mcp_config: list[str] = field(default_factory=list)
    strict_mcp_config: bool = False

    def one_shot_flags(self) -> list[str]:
        """The flags given that only a one-shot run takes."""
        given = [
            ("--output-format", self.output_format != "text"),
            ("--max-turns", self.max_turns is not None),
            ("--max-budget-usd", self.max_budget_usd is not None),
            ("--append-system-prompt", self.append_system_prompt is not None),
        ]
        return [name for name, used in given if used]


@dataclass
class Environment:
    """The process facts a run depends on; injected so tests need not patch globals."""

    env: Mapping[str, str]
    cwd: Path
    out: IO[str]
    err: IO[str]

    @staticmethod
    def current() -> Environment:
        return Environment(os.environ, Path.cwd(), sys.stdout, sys.stderr)


class MissingKeyError(UsageError):
    """No provider is chosen and ``ANTHROPIC_API_KEY`` is unset; ``server`` is the local
    Ollama server that answered the probe, if any (the chat offers its models)."""

    def __init__(self, env: Mapping[str, str], server: OllamaServer | None) -> None:
        super().__init__(no_key_message(env, server))
        self.server = server


def no_key_message(env: Mapping[str, str], server: OllamaServer | None) -> str:
    """What to do without a key: set it, or use Ollama (naming its models when it answered)."""
    start = "ANTHROPIC_API_KEY is not set: export ANTHROPIC_API_KEY=<your key>, or use"
    if server is None:
        return (
            f"{start} a local model with Ollama (nothing answers at {ollama_url(env)}: start "
            "it with ollama serve) and --model ollama:MODEL."
        )
    if not server.models:
        return (
            f"{start} the Ollama server at {server.url}, which has no models yet: ollama pull "
            "qwen3-coder, then --model ollama:qwen3-coder."
        )
    shown = ", ".join(server.models[:8]) + (", …" if len(server.models) > 8 else "")
    return (
        f"{start} the Ollama server at {server.url} with --model ollama:MODEL "
        f"(its models: {shown})."
    )


def require_api_key(env: Mapping[str, str]) -> str:
    found = anthropic_credential(env)
    if found is None:
        raise UsageError(
            "ANTHROPIC_API_KEY is not set: export ANTHROPIC_API_KEY=<your key> and run again."
        )
    return found[0]


def read_stdin_text(stream: IO[bytes] | None) -> str:
    """Piped stdin as text (at most 10 MB); '' when stdin is a terminal or absent."""
    if stream is None:
        return ""
    try:
        if os.isatty(stream.fileno()):
            return ""
    except (OSError, ValueError):
        return ""
    data = stream.read(STDIN_LIMIT + 1)
    if len(data) > STDIN_LIMIT:
        raise UsageError("stdin holds more than 10 MB; pass a smaller input or a file path.")
    return data.decode("utf-8", errors="replace")


def _resume_target(opts: RunOptions, sessions: session.SessionStore) -> tuple[str, Path | None]:
    """The session id to write, and the transcript to continue (None for a new session)."""
    if opts.resume:
        path = sessions.find(opts.resume)
        if path is None:
            raise UsageError(
                f"No session {opts.resume} for this project (looked in {sessions.folder})."
            )
    elif opts.continue_latest:
        path = sessions.latest()
        if path is None:
            raise UsageError("No earlier session in this project to continue.")
    else:
        return session.new_session_id(), None
    return path.stem, path


def model_factory(env: Mapping[str, str], providers: Providers | None = None) -> ModelFactory:
    """Makes the model of a name: ``PROFILE:MODEL`` through its provider profile, any other
    name on Anthropic (the API, or Bedrock/Vertex when ``DEVAGENT_PROVIDER`` says so).
    A name that cannot be served (unknown profile, missing key) raises ``UsageError``."""
    table = providers or Providers()
    base_url = env.get("ANTHROPIC_BASE_URL") or None

    def make_model(name: str) -> Model:
        target = table.target(name)
        if target is not None:
            return make_profile_model(target, env)
        cloud = cloud_provider(env)
        if cloud is not None:
            return make_cloud_model(cloud, name, env)
        from devagent.llm.anthropic_native import AnthropicNativeModel, custom_headers

        return AnthropicNativeModel(
            name, api_key=require_api_key(env), base_url=base_url, headers=custom_headers(env)
        )

    return make_model


def providers_for(workspace: Path, home: Path) -> Providers:
    """The provider profiles the settings of ``workspace`` give (built-in ones included)."""
    from devagent.settings import load_settings

    loaded = load_settings(workspace, home, mode=None, allowed=(), disallowed=())
    return Providers.from_settings(loaded.providers)


def check_model(name: str, providers: Providers, env: Mapping[str, str]) -> None:
    """Everything ``name`` needs before a request: a known profile and its key, or the
    Anthropic key (or the variables of Bedrock/Vertex and their extra). Raises ``UsageError``."""
    target = providers.target(name)
    if target is not None:
        api_key(target, env)
        return
    cloud = cloud_provider(env)
    if cloud is None:
        if anthropic_credential(env) is None:
            raise MissingKeyError(env, probe_ollama(env))
        return
    check_region(cloud, env)
    check_extra(cloud)


def check_budget(budget: float | None, model_name: str, providers: Providers) -> None:
    """``--max-budget-usd`` needs a price to hold the run to."""
    if budget is None or providers.price(model_name) is not None:
        return
    target = providers.target(model_name)
    where = f'"providers.{target.profile.name}.prices"' if target else '"providers"'
    raise UsageError(
        f"--max-budget-usd needs a price for {model_name}, and none is known: add one "
        f"under {where} in settings, or drop --max-budget-usd."
    )


def small_model_for(model_name: str, settings: LoadedSettings, providers: Providers) -> str:
    """The model of nested requests (WebFetch, WebSearch): the haiku alias, or, for a
    profile's model, that same model unless settings map the haiku alias elsewhere."""
    if providers.target(model_name) is not None and "haiku" not in settings.model_aliases:
        return model_name
    return small_model(settings.model_aliases)


def result_payload(
    run: RunResult, session_id: str, spend: Spend | None = None, stop_reason: str | None = None
) -> dict[str, Any]:
    """The json result object (CONTRACTS §4), with Claude Code's further keys (``runinfo``)."""
    from devagent.runinfo import result_extras

    usage: dict[str, Any] = dict(run.usage.as_dict())
    if run.usage.web_search_requests:
        usage["server_tool_use"] = {"web_search_requests": run.usage.web_search_requests}
    return {
        "type": "result",
        "subtype": run.subtype,
        "is_error": run.is_error,
        "result": run.result,
        "num_turns": run.num_turns,
        "session_id": session_id,
        "duration_ms": run.duration_ms,
        # null, never a made-up 0, when some of the usage had no known price
        "total_cost_usd": None if run.unpriced else round(run.cost_usd, 6),
        "usage": usage,
        "permission_denials": run.permission_denials,
        **result_extras(spend, stop_reason),
    }


def exit_code_for(run: RunResult) -> int:
    if run.subtype in ("error_max_turns", "error_max_budget"):
        return 3
    return 1 if run.is_error else 0


@dataclass
class Setup:
    """The pieces of a run that do not depend on the model transport."""

    workspace: Path
    home: Path
    policy: PermissionEngine
    settings: LoadedSettings
    persona: Persona | None
    catalog: Catalog
    skills: SkillCatalog
    model_name: str
    providers: Providers
    sessions: session.SessionStore  # the project's sessions; new transcripts get its header
    session_id: str
    resume_path: Path | None  # the transcript to continue; it is read once its lock is held
    sandbox: Sandbox
    hooks: Hooks = field(default_factory=Hooks)

    def warnings(self) -> list[str]:
        """What the user is told before the run starts: ignored settings and hooks, a missing
        sandbox."""
        found = [*self.settings.warnings, *self.sandbox.settings.warnings]
        found.extend(self.hooks.config.warnings)
        missing = self.sandbox.warning()
        return [*found, missing] if missing else found

    def policy_for_tools(self, skills: SkillSet | None = None) -> PermissionPolicy:
        """The policy tool calls are judged by: the engine, with what the active ``skills``
        grant, and the sandbox's say on Bash."""
        engine = skills.policy(self.policy) if skills is not None else self.policy
        return SandboxGate(engine, self.sandbox)


def load_hooks(workspace: Path, home: Path, proc: Environment, *, trusted: bool) -> Hooks:
    """The hooks of every settings source; the repository's only in a trusted folder."""
    sources = [
        HookSource(user_settings_path(home), "user"),
        HookSource(Path(proc.env.get("HOME") or Path.home()) / ".claude" / "settings.json", "user"),
        *(HookSource(p, "project", allowed=trusted) for p in repo_settings_paths(workspace)),
    ]
    config = load_hook_config(sources)
    return Hooks(config, project_dir=workspace, cwd=proc.cwd, env=dict(proc.env))


def prepare_run(opts: RunOptions, proc: Environment) -> Setup:
    """Everything that can fail with a usage error, resolved before any request is sent."""
    from devagent.personas import discover
    from devagent.skills import discover as discover_skills

    workspace = find_workspace(proc.cwd)
    home = devagent_home(proc.env)
    policy, loaded = build_engine(
        workspace,
        home,
        mode=opts.permission_mode,
        allowed=opts.allowed_tools,
        disallowed=opts.disallowed_tools,
    )
    aliases = dict(loaded.model_aliases)
    catalog = discover(proc.cwd, workspace, home, aliases=aliases)
    persona = catalog.find(opts.agent) if opts.agent else None
    wanted = opts.model or proc.env.get("DEVAGENT_MODEL") or loaded.model or DEFAULT_MODEL
    model_name = resolve_model(wanted, aliases)
    if persona is not None and not opts.model:
        model_name = persona_model(persona, model_name, aliases)
    providers = Providers.from_settings(loaded.providers)
    providers.target(model_name)  # an unknown profile stops the run here
    header = {
        "workspace": os.fspath(workspace),
        "model": model_name,
        "agent": persona.name if persona else None,
    }
    sessions = session.SessionStore(session.sessions_dir(home, workspace), header)
    session_id, resume_path = _resume_target(opts, sessions)
    sandbox = _sandbox(opts, proc, workspace, home, trusted=loaded.trusted)
    hooks = load_hooks(workspace, home, proc, trusted=loaded.trusted)
    return Setup(
        workspace,
        home,
        policy,
        loaded,
        persona,
        catalog,
        discover_skills(proc.cwd, workspace, home),
        model_name,
        providers,
        sessions,
        session_id,
        resume_path,
        sandbox,
        hooks,
    )


def _sandbox(
    opts: RunOptions, proc: Environment, workspace: Path, home: Path, *, trusted: bool
) -> Sandbox:
    settings = load_sandbox_settings(
        workspace, home, flag=opts.sandbox, env=proc.env, trusted=trusted
    )
    user_home = Path(proc.env.get("HOME") or Path.home())
    return Sandbox.for_run(
        settings, workspace=workspace, home=user_home, state_dir=home, env=proc.env
    )


def run_oneshot(opts: RunOptions, proc: Environment) -> int:
    """Run one prompt to completion; returns the process exit code."""
    setup = prepare_run(opts, proc)
    check_model(setup.model_name, setup.providers, proc.env)
    check_budget(opts.max_budget_usd, setup.model_name, setup.providers)
    reap_orphans()
    printer = OneShotPrinter(opts.output_format, setup.session_id, proc.out, proc.err)
    servers = load_mcp(opts, proc, setup, interactive=False)
    try:
        return _run_with_servers(opts, proc, setup, printer, servers)
    finally:
        servers.close()


def load_mcp(opts: RunOptions, proc: Environment, setup: Setup, *, interactive: bool) -> McpServers:
    """The run's MCP servers, read from their files (nothing started, the SDK not imported)."""
    from devagent.mcp import McpServers, flag_paths

    return McpServers.load(
        setup.workspace,
        setup.home,
        proc.env,
        flag_paths(opts.mcp_config, proc.cwd),
        strict=opts.strict_mcp_config,
        interactive=interactive,
    )


def _run_with_servers(
    opts: RunOptions,
    proc: Environment,
    setup: Setup,
    printer: OneShotPrinter,
    servers: McpServers,
) -> int:
    for warning in servers.warnings():
        printer(Notice(warning, "warn"))
    servers.start(background=False)
    skills = SkillSet(setup.skills, setup.settings.trusted)
    prompt = skill_prompt(opts.prompt, skills)
    options = AgentOptions(
        workspace=setup.workspace,
        cwd=proc.cwd,
        home=setup.home,
        model_name=setup.model_name,
        make_model=model_factory(proc.env, setup.providers),
        policy=setup.policy_for_tools(skills),
        approver=DenyingApprover(),
        emit=printer,
        modes=setup.policy,
        persona=setup.persona,
        git=git_state(setup.workspace),
        append_system_prompt=opts.append_system_prompt,
        limits=Limits(opts.max_turns, opts.max_budget_usd),
        catalog=setup.catalog,
        skills=skills,
        small_model=small_model_for(setup.model_name, setup.settings, setup.providers),
        launcher=setup.sandbox,
        hooks=setup.hooks,
        tool_sources=(servers.tools,) if servers.configured else (),
    )
    conversation = _open_conversation(options, setup)
    for warning in setup.warnings():
        printer(Notice(warning, "warn"))
    persona = setup.persona.name if setup.persona else None
    tools = conversation.agent.tools.names()
    for row in servers.rows():
        if row.state == "failed" and servers.verdicts.get(row.name) == "approved":
            printer(Notice(row.detail, "warn"))
    printer.init(setup.model_name, persona, tools, _init_details(setup, proc, servers))
    try:
        conversation.begin("startup" if setup.resume_path is None else "resume")
        return _drive(conversation, prompt, printer, setup.session_id)
    finally:
        conversation.agent.ctx.cancel.set()
        conversation.close()
        if conversation.transcript.warning:
            printer(Notice(conversation.transcript.warning, "warn"))


def _init_details(setup: Setup, proc: Environment, servers: McpServers) -> dict[str, Any]:
    from devagent.runinfo import init_extras

    return init_extras(
        cwd=proc.cwd,
        permission_mode=setup.policy.mode,
        mcp_servers=servers.init_statuses(),
        agents=setup.catalog,
        skills=setup.skills,
        env=proc.env,
        sandbox={"mode": setup.sandbox.settings.mode, "active": setup.sandbox.active},
    )


def skill_prompt(prompt: str, skills: SkillSet) -> str:
    """``/NAME ARGS`` runs the skill NAME (it is active for the run); any other prompt, or a
    ``/word`` that names no skill (``/etc/hosts is ...``), is sent as it is."""
    if not prompt.startswith("/") or prompt.startswith("//"):
        return prompt
    words = prompt[1:].split(maxsplit=1)  # piped stdin may follow the name on a new line
    name, args = (words[0], words[1] if len(words) > 1 else "") if words else ("", "")
    if not name or "/" in name or skills.catalog.get(name) is None:
        return prompt
    try:
        return skills.load(name, args.strip(), by_user=True)
    except UnknownSkill as exc:
        raise UsageError(str(exc)) from exc


def _open_conversation(options: AgentOptions, setup: Setup) -> Conversation:
    """A new session, or the one to continue: opened (and locked) before its history is read,
    so a session another devagent process has open stops the run (``SessionLockedError``)."""
    if setup.resume_path is None:
        return Conversation.start(options, setup.sessions, setup.session_id, lazy=False)
    return Conversation.resume_at(options, setup.sessions, setup.resume_path)


def _drive(
    conversation: Conversation, prompt: str, printer: OneShotPrinter, session_id: str
) -> int:
    try:
        run = conversation.run(prompt)
    except DevagentError as exc:
        spend = conversation.spend
        failed = RunResult(
            "error_during_execution",
            str(exc),
            0,
            spend.usage,
            spend.cost_usd,
            spend.denials,
            unpriced=spend.unpriced,
        )
        printer.result(result_payload(failed, session_id, spend, printer.stop_reason))
        return exc.exit_code
    printer.result(result_payload(run, session_id, conversation.spend, printer.stop_reason))
    return exit_code_for(run)
