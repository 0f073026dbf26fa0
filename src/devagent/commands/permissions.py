"""`devagent permissions explain`: show what the permission engine decides for one call, and why.

Mounted by the main app as ``app.add_typer(permissions_app, name="permissions")``. The call is
given as ``'Bash(git push origin main)'`` / ``'Edit(src/app.py)'`` or as ``--tool NAME --input
JSON``. Exit codes: 0 when a decision was explained (whatever it is), 2 for bad input or broken
settings.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from devagent.approval import Decision, PermissionRequest
from devagent.config import devagent_home
from devagent.errors import UsageError

if TYPE_CHECKING:  # the engine, the bash grammar and the tools load only when a command runs
    from devagent.permissions import PermissionEngine
    from devagent.sandbox.gate import SandboxGate
    from devagent.settings import LoadedSettings
    from devagent.tools.base import Tool

app = typer.Typer(
    name="permissions",
    help="Explain permission decisions.",
    no_args_is_help=True,
    add_completion=False,
)

OutputFormat = Literal["text", "json"]
_PATCH_PREFIXES = ("*** Add File:", "*** Delete File:", "*** Update File:", "*** Move to:")


def _tool(name: str) -> type[Tool] | None:
    from devagent.tools.catalog import tool_type

    return tool_type(name)


def _spec_key(tool: type[Tool] | None) -> str | None:
    """Which input ``Tool(specifier)`` fills: Bash's command, or the first required input of a
    tool that reads or edits files (its path, pattern or patch); None for any other tool."""
    if tool is None or (tool.kind not in ("read", "edit") and tool.name != "Bash"):
        return None
    required = tool.input_schema.get("required", [])
    return str(required[0]) if required else None


def _call_from_text(call: str) -> tuple[str, dict[str, Any]]:
    from devagent.permissions import InvalidRuleError, Rule

    try:
        parsed = Rule.parse(call, "argument")
    except InvalidRuleError as exc:
        raise UsageError(f"CALL: {exc}") from exc
    if parsed.specifier is None:
        return parsed.tool, {}
    key = _spec_key(_tool(parsed.tool))
    if key is None:
        raise UsageError(
            f"CALL: cannot tell which input {parsed.tool}(...) fills; "
            f"use --tool {parsed.tool} --input '{{...}}' instead."
        )
    return parsed.tool, {key: parsed.specifier}


def _call_from_options(tool: str, input_json: str | None) -> tuple[str, dict[str, Any]]:
    try:
        data = json.loads(input_json) if input_json else {}
    except json.JSONDecodeError as exc:
        raise UsageError(f"--input: not valid JSON ({exc.msg} at column {exc.colno}).") from exc
    if not isinstance(data, dict):
        raise UsageError('--input: give a JSON object, e.g. {"command": "git status"}.')
    return tool, data


def _read_call(
    call: str | None, tool: str | None, input_json: str | None
) -> tuple[str, dict[str, Any]]:
    if call is not None and tool is not None:
        raise UsageError("Give either CALL or --tool/--input, not both.")
    if call is not None:
        return _call_from_text(call)
    if tool is not None:
        return _call_from_options(tool, input_json)
    raise UsageError("Give a call such as 'Bash(git status)', or --tool NAME --input JSON.")


def _patch_paths(patch: str) -> list[str]:
    found = []
    for line in patch.splitlines():
        stripped = line.strip()
        for prefix in _PATCH_PREFIXES:
            if stripped.startswith(prefix):
                found.append(stripped[len(prefix) :].strip())
    return found


def _request(tool: str, tool_input: dict[str, Any], workspace: Path) -> PermissionRequest:
    if tool == "Bash":
        command = tool_input.get("command")
        if not isinstance(command, str):
            raise UsageError('Bash needs a string "command" in its input.')
        return PermissionRequest(tool, tool_input, command=command)
    raw_paths = [
        v for k in ("file_path", "path", "notebook_path") if isinstance(v := tool_input.get(k), str)
    ]
    if tool == "ApplyPatch" and isinstance(tool_input.get("input"), str):
        raw_paths.extend(_patch_paths(tool_input["input"]))
    known = _tool(tool)
    # A tool devagent does not have is judged as the safe default: it may change things.
    kind = known.kind if known is not None else "other"
    if kind == "edit" and not raw_paths:
        raise UsageError(f'{tool} needs a "file_path" in its input.')
    paths = tuple(Path(os.path.realpath(os.path.join(workspace, p))) for p in raw_paths)
    read_only = known is not None and known.read_only
    return PermissionRequest(tool, tool_input, paths=paths, read_only=read_only, kind=kind)


def _gate(
    engine: PermissionEngine, workspace: Path, flag: str | None, *, trusted: bool
) -> tuple[SandboxGate, list[str]]:
    """The engine with the sandbox's say on Bash, and what the sandbox settings warn about."""
    from devagent.sandbox.config import load_sandbox_settings
    from devagent.sandbox.gate import SandboxGate
    from devagent.sandbox.launcher import Sandbox

    home = devagent_home()
    settings = load_sandbox_settings(workspace, home, flag=flag, env=os.environ, trusted=trusted)
    sandbox = Sandbox.for_run(
        settings, workspace=workspace, home=Path.home(), state_dir=home, env=os.environ
    )
    missing = sandbox.warning()
    return SandboxGate(engine, sandbox), [*settings.warnings, *([missing] if missing else [])]


def _bash_details(command: str) -> dict[str, Any]:
    from devagent.bashparse import analyze

    analysis = analyze(command)
    return {
        "subcommands": [
            {
                "argv": list(sub.argv),
                "written": list(sub.written),
                "wrappers": list(sub.wrappers),
                "dangerous": sub.dangerous,
                "opaque": sub.opaque,
                "blockers": list(sub.blockers),
            }
            for sub in analysis.subcommands
        ],
        "problems": list(analysis.problems),
        "opaque": list(analysis.opaque),
    }


def _report(
    tool: str,
    tool_input: dict[str, Any],
    decision: Decision,
    engine: PermissionEngine,
    loaded: LoadedSettings,
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "tool": tool,
        "input": tool_input,
        "decision": decision.behavior,
        "rule": decision.rule,
        "source": decision.source,
        "reason": decision.reason,
        "mode": engine.mode,
        "mode_source": loaded.mode_source,
        "workspace": engine.workspace,
        "trusted": loaded.trusted,
        "sources": list(loaded.sources),
        "warnings": list(loaded.warnings),
    }
    if tool == "Bash":
        report["sandbox"] = decision.sandbox
        report.update(_bash_details(str(tool_input["command"])))
    return report


def _text_lines(report: dict[str, Any]) -> list[str]:
    from devagent.bashparse import display_argv

    lines = [
        f"decision: {report['decision']}",
        f"rule:     {report['rule'] or '(none)'}",
        f"source:   {report['source'] or '(none)'}",
        f"reason:   {report['reason']}",
        f"mode:     {report['mode']} (from {report['mode_source']})",
    ]
    if report.get("sandbox"):
        lines.append(f"runs:     {report['sandbox']}")
    if "subcommands" in report:
        lines.append("sub-commands:")
        for sub in report["subcommands"]:
            line = f"  {display_argv(sub['argv'])}"
            if sub["wrappers"]:
                line += f"    (unwrapped from {display_argv(sub['written'])})"
            lines.append(line)
        lines.extend(f"problem:  {p}" for p in report["problems"])
        lines.extend(f"opaque:   {p} (cannot be read before it runs)" for p in report["opaque"])
    lines.extend(f"warning:  {w}" for w in report["warnings"])
    return lines


@app.command()
def explain(
    call: Annotated[
        str | None,
        typer.Argument(help="The call, e.g. 'Bash(git push origin main)' or 'Edit(src/app.py)'."),
    ] = None,
    tool: Annotated[str | None, typer.Option("--tool", help="Tool name, with --input.")] = None,
    input_json: Annotated[
        str | None, typer.Option("--input", help='Tool input as JSON, e.g. {"command": "ls"}.')
    ] = None,
    permission_mode: Annotated[
        str | None, typer.Option("--permission-mode", help="Mode to explain under.")
    ] = None,
    allowed_tools: Annotated[
        list[str] | None, typer.Option("--allowed-tools", help="Extra allow rule (repeatable).")
    ] = None,
    disallowed_tools: Annotated[
        list[str] | None, typer.Option("--disallowed-tools", help="Extra deny rule (repeatable).")
    ] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = "text",
    sandbox: Annotated[
        str | None,
        typer.Option(
            "--sandbox",
            help="Sandbox mode to explain under.",
            metavar="workspace-write|read-only|off",
        ),
    ] = None,
) -> None:
    """Show the decision for one tool call, the rule that made it and where that rule lives."""
    from devagent.gitinfo import find_workspace
    from devagent.settings import build_engine

    try:
        name, tool_input = _read_call(call, tool, input_json)
        workspace = find_workspace(Path.cwd())
        engine, loaded = build_engine(
            workspace,
            devagent_home(),
            mode=permission_mode,
            allowed=allowed_tools or [],
            disallowed=disallowed_tools or [],
        )
        gate, notes = _gate(engine, workspace, sandbox, trusted=loaded.trusted)
        decision = gate.decide(_request(name, tool_input, Path(engine.workspace)))
    except UsageError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    report = _report(name, tool_input, decision, engine, loaded)
    report["warnings"].extend(notes)
    if output_format == "json":
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        typer.echo("\n".join(_text_lines(report)))
