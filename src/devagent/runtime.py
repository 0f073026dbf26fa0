"""Assembles a run from options: workspace, settings, model, tools, prompt, transcript, agent.

Everything a command needs to start the loop lives here, so the CLI only parses flags and
maps errors to exit codes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from devagent import session
from devagent.agent import Agent, Limits, RunResult
from devagent.approval import DenyingApprover, PermissionPolicy
from devagent.config import DEFAULT_MODEL, devagent_home, resolve_model
from devagent.errors import DevagentError, UsageError
from devagent.events import Notice
from devagent.gitinfo import find_workspace, git_state
from devagent.messages import Message, tool_result_block
from devagent.personas import Catalog, Persona
from devagent.prompt import PromptParts, build_system_prompt
from devagent.settings import LoadedSettings, build_engine
from devagent.subagents import SubagentRunner, persona_model, persona_registry, task_tool
from devagent.tools.base import ToolContext
from devagent.tools.bash import shutdown_all
from devagent.tools.catalog import default_registry
from devagent.tools.process import reap_orphans
from devagent.ui.oneshot import OneShotPrinter, OutputFormat

STDIN_LIMIT = 10 * 1024 * 1024


class Terminated(BaseException):
    """SIGTERM (or SIGHUP: the terminal went away) arrived; unwinds the run so transcripts are
    flushed and children killed. ``exit_code`` is 128 + the signal number (143, 129)."""

    def __init__(self, signum: int = 15) -> None:
        super().__init__(signum)
        self.exit_code = 128 + signum


@dataclass
class RunOptions:
    prompt: str
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


def require_api_key(env: Mapping[str, str]) -> str:
    key = env.get("ANTHROPIC_API_KEY", "").strip()
    if not key:
        raise UsageError(
            "ANTHROPIC_API_KEY is not set: export ANTHROPIC_API_KEY=<your key> and run again."
        )
    return key


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


def repair_history(messages: list[Message]) -> list[Message]:
    """Close every tool_use left without a result (a crash mid-turn) with an error result."""
    messages = [dict(m) for m in messages]  # results may be appended; leave the caller's intact
    repaired: list[Message] = []
    for i, message in enumerate(messages):
        repaired.append(message)
        content = message.get("content")
        if message.get("role") != "assistant" or not isinstance(content, list):
            continue
        ids = [b["id"] for b in content if isinstance(b, dict) and b.get("type") == "tool_use"]
        following = messages[i + 1] if i + 1 < len(messages) else None
        answered = _result_ids(following)
        missing = [tid for tid in ids if tid not in answered]
        if not missing:
            continue
        closing = [
            tool_result_block(t, "No result: the session ended first.", True) for t in missing
        ]
        if following is not None and following.get("role") == "user" and answered:
            following["content"] = [*following["content"], *closing]
        else:
            repaired.append({"role": "user", "content": closing})
    return repaired


def _result_ids(message: Message | None) -> set[str]:
    if message is None or message.get("role") != "user":
        return set()
    content = message.get("content")
    if not isinstance(content, list):
        return set()
    return {b["tool_use_id"] for b in content if isinstance(b, dict) and "tool_use_id" in b}


def _resume_target(opts: RunOptions, home: Path, workspace: Path) -> tuple[str, Path | None]:
    """The session id to write, and the transcript to continue (None for a new session)."""
    folder = session.sessions_dir(home, workspace)
    if opts.resume:
        path = folder / f"{opts.resume}.jsonl"
        if not path.is_file() or path.parent != folder:  # an id, not a path elsewhere
            raise UsageError(f"No session {opts.resume} for this project (looked in {folder}).")
    elif opts.continue_latest:
        found = sorted(folder.glob("*.jsonl"), key=lambda p: p.stat().st_mtime)
        if not found:
            raise UsageError("No earlier session in this project to continue.")
        path = found[-1]
    else:
        return session.new_session_id(), None
    return path.stem, path


def result_payload(run: RunResult, session_id: str) -> dict[str, Any]:
    return {
        "type": "result",
        "subtype": run.subtype,
        "is_error": run.is_error,
        "result": run.result,
        "num_turns": run.num_turns,
        "session_id": session_id,
        "duration_ms": run.duration_ms,
        "total_cost_usd": round(run.cost_usd, 6),
        "usage": run.usage.as_dict(),
        "permission_denials": run.permission_denials,
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
    policy: PermissionPolicy
    settings: LoadedSettings
    persona: Persona | None
    catalog: Catalog
    model_name: str
    session_id: str
    resume_path: Path | None  # the transcript to continue; it is read once its lock is held


def prepare_run(opts: RunOptions, proc: Environment) -> Setup:
    """Everything that can fail with a usage error, resolved before any request is sent."""
    from devagent.personas import discover

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
    session_id, resume_path = _resume_target(opts, home, workspace)
    return Setup(
        workspace, home, policy, loaded, persona, catalog, model_name, session_id, resume_path
    )


def run_oneshot(opts: RunOptions, proc: Environment) -> int:
    """Run one prompt to completion; returns the process exit code."""
    from devagent.llm.anthropic import AnthropicModel  # the SDK loads only for real runs

    api_key = require_api_key(proc.env)
    setup = prepare_run(opts, proc)
    reap_orphans()
    base_url = proc.env.get("ANTHROPIC_BASE_URL") or None

    def make_model(name: str) -> AnthropicModel:
        return AnthropicModel(name, api_key=api_key, base_url=base_url)

    printer = OneShotPrinter(opts.output_format, setup.session_id, proc.out, proc.err)
    folder = session.sessions_dir(setup.home, setup.workspace)
    transcript, history = _open_session(setup, folder)
    git = git_state(setup.workspace)
    ctx = ToolContext(workspace=setup.workspace, cwd=setup.workspace)
    runner = SubagentRunner(
        setup.catalog,
        default_registry(),
        make_model,
        setup.policy,
        DenyingApprover(),
        setup.model_name,
        setup.workspace,
        proc.cwd,
        git,
        setup.home,
        folder / f"{setup.session_id}.subagents",
        printer,
    )
    registry = default_registry(task_tool(setup.catalog, runner))
    if setup.persona is not None:
        registry = persona_registry(setup.persona, registry)
    parts = PromptParts(
        setup.workspace,
        proc.cwd,
        git,
        role=setup.persona.body if setup.persona else None,
        append=opts.append_system_prompt,
        home=setup.home,
    )
    agent = Agent(
        model=make_model(setup.model_name),
        tools=registry,
        ctx=ctx,
        policy=setup.policy,
        approver=DenyingApprover(),
        system=build_system_prompt(parts),
        emit=printer,
        limits=Limits(opts.max_turns, opts.max_budget_usd),
        transcript=transcript,
        history=history,
    )
    runner.parent = agent
    for warning in setup.settings.warnings:
        printer(Notice(warning, "warn"))
    printer.init(setup.model_name, setup.persona.name if setup.persona else None, registry.names())
    try:
        return _drive(agent, opts.prompt, printer, setup.session_id)
    finally:
        ctx.cancel.set()
        shutdown_all(ctx)
        transcript.close()
        if transcript.warning:
            printer(Notice(transcript.warning, "warn"))


def _open_session(setup: Setup, folder: Path) -> tuple[session.Transcript, list[Message]]:
    """Open (and lock) the run's transcript, then read the history it continues (a session
    another devagent process has open stops the run with ``SessionLockedError``, exit 2)."""
    path = folder / f"{setup.session_id}.jsonl"  # a resumed session's own file
    header = {
        "session_id": setup.session_id,
        "workspace": os.fspath(setup.workspace),
        "model": setup.model_name,
        "agent": setup.persona.name if setup.persona else None,
    }
    if setup.resume_path is None:
        return session.Transcript(path, header), []
    transcript, loaded = session.continue_session(path, header)
    return transcript, repair_history(loaded.messages)


def _drive(agent: Agent, prompt: str, printer: OneShotPrinter, session_id: str) -> int:
    try:
        run = agent.run(prompt)
    except DevagentError as exc:
        payload = {
            **result_payload(
                RunResult(
                    "error_during_execution",
                    str(exc),
                    0,
                    agent.usage,
                    agent.cost_usd,
                    agent.denials,
                ),
                session_id,
            ),
        }
        printer.result(payload)
        return exc.exit_code
    printer.result(result_payload(run, session_id))
    return exit_code_for(run)
