"""`devagent chat` (also plain `devagent`): the interactive session in this terminal.

Mounted by the main app with ``root.command("chat")(chat_command)``; ``cli.main`` calls
``start_chat`` when no command and no ``-p`` is given. Builds what one-shot runs build
(``runtime.prepare_run``: settings, permission engine, persona, model, session; the agent's
``AgentOptions``) plus the terminal pieces: console, renderer, approver, prompt, checkpoints.
An untrusted folder holding repository settings is asked about before those settings may
widen anything.

Exit codes: 0 after /exit, Ctrl-D or Ctrl-C twice; 2 for usage errors (bad flag, unknown
agent or session, missing key, no terminal); 130 for Ctrl-C before the chat starts; 143 on
SIGTERM; 129 on SIGHUP (the terminal closed), which ends the chat the same way.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from devagent.commands.options import (
    AgentOpt,
    ContinueOpt,
    McpConfigOpt,
    ModelOpt,
    ModeOpt,
    ResumeOpt,
    SandboxOpt,
    StrictMcpOpt,
)

if TYPE_CHECKING:
    from rich.console import Console

    from devagent.checkpoints import CheckpointStore
    from devagent.mcp import McpServers
    from devagent.permissions import PermissionEngine
    from devagent.runtime import Environment, RunOptions, Setup
    from devagent.ui.prompt_input import PromptInput
    from devagent.ui.repl import Repl

EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
WARM_UP_DELAY = 0.2  # seconds; the prompt draws within ~0.1 s of the chat starting


def chat_command(
    agent: AgentOpt = None,
    model: ModelOpt = None,
    permission_mode: ModeOpt = None,
    continue_: ContinueOpt = False,
    resume: ResumeOpt = None,
    sandbox: SandboxOpt = None,
    mcp_config: McpConfigOpt = None,
    strict_mcp_config: StrictMcpOpt = False,
) -> None:
    """Chat with devagent in this terminal (what plain `devagent` does)."""
    from devagent.runtime import RunOptions

    opts = RunOptions(
        permission_mode=permission_mode,
        agent=agent,
        model=model,
        continue_latest=continue_,
        resume=resume,
        sandbox=sandbox,
        mcp_config=mcp_config or [],
        strict_mcp_config=strict_mcp_config,
    )
    raise typer.Exit(start_chat(opts))


class ChatTerminated(SystemExit):
    """SIGTERM during the chat. A ``SystemExit`` because the prompt's event loop passes
    those on, where it would report any other exception raised in a callback and go on."""


def start_chat(opts: RunOptions) -> int:
    """Run the chat; returns the exit code. Usage errors are printed, not raised."""
    import signal

    from devagent.errors import DevagentError
    from devagent.runtime import Environment

    def on_sigterm(signum: int, _frame: object) -> None:
        raise ChatTerminated(128 + signum)

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    previous_hup = signal.signal(signal.SIGHUP, on_sigterm)
    try:
        return _run(opts, Environment.current())
    except DevagentError as exc:
        sys.stderr.write(f"devagent: {exc}\n")
        return exc.exit_code
    except ChatTerminated as exc:
        sys.stderr.write("devagent: terminated\n")
        return exc.code if isinstance(exc.code, int) else EXIT_TERMINATED
    except KeyboardInterrupt:  # Ctrl-C before the chat started (e.g. at the trust question)
        sys.stderr.write("devagent: interrupted\n")
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGHUP, previous_hup)


def _run(opts: RunOptions, proc: Environment) -> int:
    from devagent.errors import UsageError

    if opts.continue_latest and opts.resume:
        raise UsageError("--continue and --resume cannot be used together.")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "devagent chat needs a terminal; in scripts and pipes use devagent -p PROMPT."
        )
    from devagent.ui.console import make_console
    from devagent.ui.prompt_input import PromptInput

    console = make_console()
    line_input = PromptInput(_home(proc) / "history")
    _ask_trust(proc, console, line_input)
    return _chat(opts, proc, console, line_input)


def _home(proc: Environment) -> Path:
    from devagent.config import devagent_home

    return devagent_home(proc.env)


def _ask_trust(proc: Environment, console: Console, line_input: PromptInput) -> None:
    """First open of an untrusted folder with repository settings: ask before they apply."""
    from rich.text import Text

    from devagent.gitinfo import find_workspace
    from devagent.settings import repo_settings_paths
    from devagent.trust import is_trusted, trust

    workspace, home = find_workspace(proc.cwd), _home(proc)
    found = [p for p in repo_settings_paths(workspace) if p.is_file()]
    found += _granting_skills(proc, workspace, home)
    if not found or is_trusted(workspace, home):
        return
    names = ", ".join(os.path.relpath(p, workspace) for p in found)
    console.print(
        Text(
            f"{workspace} has repository settings or skills that allow tools ({names}).\n"
            "Until you trust this folder they may only narrow permissions: their allow rules, "
            "skills' allowed-tools, permissive modes and model settings are ignored. Trust it "
            "only if you trust everyone who can change these files."
        )
    )
    answer = line_input.ask("Trust this folder? [y/N] ").strip().lower()
    if answer in ("y", "yes"):
        trust(workspace, home)
        console.print(Text("Trusted."))


def _granting_skills(proc: Environment, workspace: Path, home: Path) -> list[Path]:
    """The project's SKILL.md files whose allowed-tools apply only in a trusted folder."""
    from devagent.skills import discover

    found = discover(proc.cwd, workspace, home)
    return [s.path for s in found if s.scope == "project" and s.allowed_tools]


def _chat(opts: RunOptions, proc: Environment, console: Console, line_input: PromptInput) -> int:
    from devagent.permissions import PermissionEngine
    from devagent.runtime import prepare_run
    from devagent.tools.process import reap_orphans

    setup = prepare_run(opts, proc)
    assert isinstance(setup.policy, PermissionEngine), "prepare_run builds the engine"
    _choose_model(setup, proc, console, line_input)
    reap_orphans()
    servers = _mcp_servers(opts, proc, setup, console, line_input)
    repl = _build_repl(setup, setup.policy, proc, console, line_input, servers)
    for warning in setup.warnings():
        repl.say(f"warning: {warning}", "warn")
    if setup.resume_path is not None:
        repl.resume(setup.resume_path)  # fires SessionStart with source "resume"
    else:
        repl.conversation.begin("startup")
    _warm_up(repl)
    try:
        return repl.run()
    finally:
        servers.close()  # every server's process group is gone before the chat returns


def _mcp_servers(
    opts: RunOptions, proc: Environment, setup: Setup, console: Console, line_input: PromptInput
) -> McpServers:
    """The chat's MCP servers; each project server not answered for yet is asked about once,
    with exactly what it would run (nothing starts here: the prompt comes first)."""
    from rich.text import Text

    from devagent.runtime import load_mcp

    servers = load_mcp(opts, proc, setup, interactive=True)
    for warning in servers.warnings():
        console.print(Text(f"warning: {warning}", style="yellow"))
    for spec in servers.to_ask():
        what = "runs" if spec.transport == "stdio" else f"connects over {spec.transport} to"
        console.print(
            Text(
                f"{spec.source} names the MCP server {spec.name}, which {what}:\n"
                f"  {spec.target()}\n"
                "It starts only if you approve it; the answer is kept until its definition "
                "changes."
            ),
            soft_wrap=True,  # the command line exactly as it is, never broken by the console
        )
        answer = line_input.ask(f"Start MCP server {spec.name}? [y/N] ").strip().lower()
        servers.answer(spec, answer in ("y", "yes"))
    return servers


def _choose_model(
    setup: Setup, proc: Environment, console: Console, line_input: PromptInput
) -> None:
    """Check that the model can be used; without any key or provider, offer the models of a
    local Ollama server when one answers (``MissingKeyError`` otherwise)."""
    from rich.text import Text

    from devagent.runtime import MissingKeyError, check_model

    try:
        check_model(setup.model_name, setup.providers, proc.env)
        return
    except MissingKeyError as exc:
        server = exc.server
        if server is None or not server.models:
            raise
    console.print(
        Text(
            f"ANTHROPIC_API_KEY is not set, but an Ollama server answers at {server.url}. "
            "Its models:"
        )
    )
    for number, name in enumerate(server.models, 1):
        console.print(Text(f"  {number}. {name}"))
    answer = line_input.ask(f"Use one? [1-{len(server.models)}, or n to quit] ").strip()
    if not answer.isdigit() or not 1 <= int(answer) <= len(server.models):
        raise MissingKeyError(proc.env, server)
    setup.model_name = f"ollama:{server.models[int(answer) - 1]}"
    setup.sessions.header["model"] = setup.model_name
    console.print(Text(f"Using {setup.model_name}; /model switches later."))


def _warm_up(repl: Repl) -> None:
    """While the user types the first message, load what its turn would otherwise wait for
    after Enter: the model's client (httpcore and the TLS context; the SDK for Bedrock and
    Vertex) and the live display the turn is drawn in. A daemon thread, so exiting never waits
    for it; it yields to the prompt first, whose drawing it would otherwise slow down."""
    import threading

    from devagent.llm.base import Warmable

    model = repl.agent.model

    def work() -> None:
        time.sleep(WARM_UP_DELAY)
        if isinstance(model, Warmable):
            model.warm()
        import rich.live  # noqa: F401
        from rich.spinner import Spinner

        Spinner("dots", text=":zap:")  # loads the markup and emoji tables the spinner's text needs

    threading.Thread(target=work, name="devagent-warm-up", daemon=True).start()


def _checkpoints(workspace: Path, home: Path) -> CheckpointStore | None:
    """The workspace's checkpoint store; none for a home or root folder, where snapshotting
    every file would stall the first turn."""
    from devagent.checkpoints import CheckpointStore

    if workspace in (Path.home().resolve(), Path(workspace.anchor)):
        return None
    return CheckpointStore(workspace, home)


def _build_repl(
    setup: Setup,
    engine: PermissionEngine,
    proc: Environment,
    console: Console,
    line_input: PromptInput,
    servers: McpServers,
) -> Repl:
    from devagent.assembly import AgentOptions
    from devagent.gitinfo import git_state
    from devagent.runtime import model_factory, small_model_for
    from devagent.skills import SkillSet
    from devagent.tools.base import ToolContext
    from devagent.ui.approver import TerminalApprover
    from devagent.ui.chat_view import ChatView
    from devagent.ui.custom_commands import custom_command_dirs, load_custom_commands
    from devagent.ui.repl import ChatDeps, Repl

    view = ChatView(console, workspace=setup.workspace)
    approver = TerminalApprover(
        console,
        line_input.ask,
        # "Always" rules go to the personal, uncommitted settings file of the project.
        setup.workspace / ".devagent" / "settings.local.json",
        engine.allow_for_session,
        workspace=setup.workspace,
        before_prompt=view.pause,
        ask_key=line_input.choose,
    )
    # One tool context for the whole chat, across /agent and /model switches.
    skills = SkillSet(setup.skills, setup.settings.trusted)
    options = AgentOptions(
        workspace=setup.workspace,
        cwd=proc.cwd,
        home=setup.home,
        model_name=setup.model_name,
        make_model=model_factory(proc.env, setup.providers),
        policy=setup.policy_for_tools(skills),
        approver=approver,
        persona=setup.persona,
        git=git_state(setup.workspace),
        catalog=setup.catalog,
        skills=skills,
        ctx=ToolContext(workspace=setup.workspace, cwd=setup.workspace, launcher=setup.sandbox),
        modes=engine,
        small_model=small_model_for(setup.model_name, setup.settings, setup.providers),
        launcher=setup.sandbox,
        hooks=setup.hooks,
        tool_sources=(servers.tools,) if servers.configured else (),
    )
    deps = ChatDeps(
        console=console,
        view=view,
        options=options,
        engine=engine,
        catalog=setup.catalog,
        sessions=setup.sessions,
        checkpoints=_checkpoints(setup.workspace, setup.home),
        custom_commands=load_custom_commands(custom_command_dirs(setup.workspace, setup.home)),
        aliases=dict(setup.settings.model_aliases),
        session_id=setup.session_id,
        skills=skills,
        mcp=servers,
    )
    repl = Repl(deps, line_input)
    view.toolbar = repl.toolbar  # stays under the spinner while a turn runs
    return repl
