"""The command line: parse flags, build a run, map errors to exit codes (CONTRACTS §1, §5).

Only commands that work are registered. Heavy modules (the SDK, gitpython, rich) load inside
the commands that need them, so ``--help`` stays fast.
"""

from __future__ import annotations

import signal
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from devagent import __version__
from devagent.commands.options import (
    AgentOpt,
    AllowOpt,
    ContinueOpt,
    DenyOpt,
    McpConfigOpt,
    ModelOpt,
    ModeOpt,
    ResumeOpt,
    SandboxOpt,
    StrictMcpOpt,
)

if TYPE_CHECKING:
    from devagent.runtime import RunOptions

EXIT_INTERRUPTED = 130


def _mount_subcommands(root: typer.Typer) -> None:
    from devagent.commands.agents import app as agents_app
    from devagent.commands.chat import chat_command
    from devagent.commands.mcp import app as mcp_app
    from devagent.commands.permissions import app as permissions_app
    from devagent.commands.review import review as review_command
    from devagent.commands.skills import app as skills_app

    root.add_typer(agents_app, name="agents", help="List, show and lint agent personas.")
    root.command("chat")(chat_command)
    root.add_typer(mcp_app, name="mcp", help="List, show, add and remove MCP servers.")
    root.add_typer(
        permissions_app, name="permissions", help="Explain how a tool call would be decided."
    )
    root.command("review")(review_command)
    root.add_typer(skills_app, name="skills", help="List, show and lint Agent Skills.")


app = typer.Typer(
    name="devagent",
    help="A terminal coding assistant: `devagent` chats, `devagent -p PROMPT` answers once.",
    add_completion=False,
    no_args_is_help=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

OutputFormatOpt = Annotated[
    str,
    typer.Option(
        "--output-format",
        help="text (answer on stdout), json (one result object), stream-json (one event per line).",
        metavar="text|json|stream-json",
    ),
]
TurnsOpt = Annotated[
    int | None, typer.Option("--max-turns", help="Stop after N model turns (exit 3).", min=1)
]
BudgetOpt = Annotated[
    float | None,
    typer.Option("--max-budget-usd", help="Stop once the run has cost X dollars (exit 3).", min=0),
]
AppendOpt = Annotated[
    str | None,
    typer.Option(
        "--append-system-prompt", help="Text appended to the system prompt.", metavar="TEXT"
    ),
]

FORMATS = ("text", "json", "stream-json")
_mount_subcommands(app)


def _fail(message: str, code: int = 2) -> NoReturn:
    sys.stderr.write(f"devagent: {message}\n")
    raise typer.Exit(code)


def _on_sigterm(signum: int, _frame: object) -> None:
    from devagent.runtime import Terminated

    raise Terminated(signum)


def _oneshot(opts: RunOptions) -> NoReturn:
    if opts.output_format not in FORMATS:
        _fail(f"--output-format must be one of {', '.join(FORMATS)}, not {opts.output_format!r}.")
    if opts.continue_latest and opts.resume:
        _fail("--continue and --resume cannot be used together.")
    from devagent.agent import RunInterrupted
    from devagent.errors import DevagentError
    from devagent.runtime import Environment, Terminated, read_stdin_text, run_oneshot

    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGHUP, _on_sigterm)
    try:
        text = _full_prompt(opts.prompt, read_stdin_text(getattr(sys.stdin, "buffer", None)))
        code = run_oneshot(replace(opts, prompt=text), Environment.current())
    except DevagentError as exc:
        _fail(str(exc), exc.exit_code)
    except (KeyboardInterrupt, RunInterrupted):  # Ctrl-C, also while a tool ran
        _fail("interrupted", EXIT_INTERRUPTED)
    except Terminated as exc:
        _fail("terminated", exc.exit_code)
    raise typer.Exit(code)


def _full_prompt(prompt: str, piped: str) -> str:
    if prompt == "-":
        if not piped.strip():
            _fail("-p - reads the prompt from stdin, but stdin was empty.")
        return piped
    if not prompt.strip() and not piped.strip():
        _fail("the prompt is empty.")
    return f"{prompt}\n\n{piped}" if piped else prompt


def _chat(opts: RunOptions) -> NoReturn:
    """Plain `devagent`: the interactive chat (one-shot flags need -p)."""
    one_shot_only = opts.one_shot_flags()
    if one_shot_only:
        _fail(f"{', '.join(one_shot_only)} only apply to one-shot runs: add -p PROMPT.")
    from devagent.commands.chat import start_chat

    raise typer.Exit(start_chat(opts))


def _run_options(
    *,
    prompt: str,
    output_format: str,
    permission_mode: str | None,
    allowed_tools: list[str] | None,
    disallowed_tools: list[str] | None,
    agent: str | None,
    model: str | None,
    max_turns: int | None,
    max_budget_usd: float | None,
    append_system_prompt: str | None,
    continue_latest: bool,
    resume: str | None,
    sandbox: str | None = None,
    mcp_config: list[str] | None = None,
    strict_mcp_config: bool = False,
) -> RunOptions:
    """The options ``main`` and ``run`` parsed, in the one object every run takes."""
    from devagent.runtime import RunOptions

    return RunOptions(
        prompt=prompt,
        output_format=output_format,  # type: ignore[arg-type]  # checked before a one-shot run
        permission_mode=permission_mode,
        allowed_tools=allowed_tools or [],
        disallowed_tools=disallowed_tools or [],
        agent=agent,
        model=model,
        max_turns=max_turns,
        max_budget_usd=max_budget_usd,
        append_system_prompt=append_system_prompt,
        continue_latest=continue_latest,
        resume=resume,
        sandbox=sandbox,
        mcp_config=mcp_config or [],
        strict_mcp_config=strict_mcp_config,
    )


def _version(value: bool) -> None:
    if value:
        typer.echo(f"devagent {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    prompt: Annotated[
        str | None,
        typer.Option(
            "-p",
            "--print",
            help="Answer PROMPT and exit ('-' reads it from stdin).",
            metavar="PROMPT",
        ),
    ] = None,
    output_format: OutputFormatOpt = "text",
    permission_mode: ModeOpt = None,
    allowed_tools: AllowOpt = None,
    disallowed_tools: DenyOpt = None,
    agent: AgentOpt = None,
    model: ModelOpt = None,
    max_turns: TurnsOpt = None,
    max_budget_usd: BudgetOpt = None,
    append_system_prompt: AppendOpt = None,
    continue_: ContinueOpt = False,
    resume: ResumeOpt = None,
    sandbox: SandboxOpt = None,
    mcp_config: McpConfigOpt = None,
    strict_mcp_config: StrictMcpOpt = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", help="Print the version and exit.", is_eager=True, callback=_version
        ),
    ] = False,
) -> None:
    """A terminal coding assistant: `devagent` chats, `devagent -p PROMPT` answers once."""
    if ctx.invoked_subcommand is not None:
        if prompt is not None:
            _fail("-p cannot be combined with a subcommand.")
        return
    opts = _run_options(
        prompt=prompt or "",
        output_format=output_format,
        permission_mode=permission_mode,
        allowed_tools=allowed_tools,
        disallowed_tools=disallowed_tools,
        agent=agent,
        model=model,
        max_turns=max_turns,
        max_budget_usd=max_budget_usd,
        append_system_prompt=append_system_prompt,
        continue_latest=continue_,
        resume=resume,
        sandbox=sandbox,
        mcp_config=mcp_config,
        strict_mcp_config=strict_mcp_config,
    )
    if prompt is None:
        _chat(opts)
    _oneshot(opts)


@app.command("run")
def run_command(
    prompt: Annotated[str, typer.Argument(help="The prompt ('-' reads it from stdin).")],
    output_format: OutputFormatOpt = "text",
    permission_mode: ModeOpt = None,
    allowed_tools: AllowOpt = None,
    disallowed_tools: DenyOpt = None,
    agent: AgentOpt = None,
    model: ModelOpt = None,
    max_turns: TurnsOpt = None,
    max_budget_usd: BudgetOpt = None,
    append_system_prompt: AppendOpt = None,
    continue_: ContinueOpt = False,
    resume: ResumeOpt = None,
    sandbox: SandboxOpt = None,
    mcp_config: McpConfigOpt = None,
    strict_mcp_config: StrictMcpOpt = False,
) -> None:
    """Answer one prompt and exit (the same as `devagent -p PROMPT`)."""
    opts = _run_options(
        prompt=prompt,
        output_format=output_format,
        permission_mode=permission_mode,
        allowed_tools=allowed_tools,
        disallowed_tools=disallowed_tools,
        agent=agent,
        model=model,
        max_turns=max_turns,
        max_budget_usd=max_budget_usd,
        append_system_prompt=append_system_prompt,
        continue_latest=continue_,
        resume=resume,
        sandbox=sandbox,
        mcp_config=mcp_config,
        strict_mcp_config=strict_mcp_config,
    )
    _oneshot(opts)


def run() -> None:
    """Run the app; click's usage errors exit 2, as CONTRACTS §5 requires."""
    from devagent.commands.coercion import install

    install()
    app(prog_name="devagent")
