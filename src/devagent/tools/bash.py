"""The Bash, BashOutput and KillShell tools, and the shell state one run keeps between calls.

Result conventions (what the model sees):
- A non-zero exit is not a tool error: the output is followed by ``[exit code N]`` and
  ``is_error`` is False, because failing tests or a grep without matches are normal answers.
- A timeout is a tool error: ``[timed out after N s ... (exit code 124)]``.
- An interrupt raises ``ToolInterrupted`` carrying the output captured so far.

State kept per run (in ``ToolContext.state``): the background jobs (``bash_jobs``) and a private
temp dir (``bash_tmp``) where each call leaves its final ``pwd -P`` so a ``cd`` carries over.
Call ``shutdown_all`` when the run ends.
"""

from __future__ import annotations

import atexit
import math
import os
import re
import secrets
import shlex
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from devagent.toolkinds import ToolKind
from devagent.tools.base import (
    Args,
    PreparedCall,
    Tool,
    ToolContext,
    ToolError,
    ToolInterrupted,
    ToolResult,
)
from devagent.tools.paths import is_within
from devagent.tools.process import BackgroundJob, CommandResult, JobRegistry, RunningCommand
from devagent.tools.shell_env import scrubbed_env

DEFAULT_TIMEOUT_MS = 120_000
MAX_TIMEOUT_MS = 600_000
TIMEOUT_EXIT_CODE = 124
JOBS_KEY = "bash_jobs"
TEMP_KEY = "bash_tmp"


EnvSource = Callable[[], dict[str, str]]


def clamp_timeout_ms(value: object) -> int:
    """The model's ``timeout``: absent, invalid or non-positive → default; capped at the max."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return DEFAULT_TIMEOUT_MS
    if math.isnan(value) or value <= 0:
        return DEFAULT_TIMEOUT_MS
    return int(min(value, MAX_TIMEOUT_MS))


def _cwd_rc(cwd_file: Path, user_bash_env: str | None) -> str:
    """A BASH_ENV script that records the final directory on exit.

    BASH_ENV keeps the command text exactly as the model wrote it (error messages and line
    numbers match it), and unsetting it keeps nested bash scripts from recording theirs.
    """
    lines = [
        f"trap 'pwd -P >{shlex.quote(os.fspath(cwd_file))} 2>/dev/null' EXIT",
        "unset BASH_ENV",
    ]
    if user_bash_env:
        lines.append(f". {shlex.quote(user_bash_env)}")
    return "\n".join(lines) + "\n"


def _default_env() -> dict[str, str]:
    return scrubbed_env(os.environ)


class RunTempDir:
    """A private temp dir for one run's shell bookkeeping, made on first use in ``root``
    (the system temp dir when None)."""

    def __init__(self, root: Path | None = None) -> None:
        self._root = root
        self._path: Path | None = None
        self._lock = threading.Lock()

    def path(self) -> Path:
        with self._lock:
            if self._path is None or not self._path.is_dir():
                if self._root is not None:
                    self._root.mkdir(mode=0o700, parents=True, exist_ok=True)
                self._path = Path(tempfile.mkdtemp(prefix="devagent-bash-", dir=self._root))
                atexit.register(self.remove)
            return self._path

    @property
    def current(self) -> Path | None:
        """The dir if it was made (and not yet removed)."""
        return self._path

    def remove(self) -> None:
        with self._lock:
            if self._path is not None:
                shutil.rmtree(self._path, ignore_errors=True)
                self._path = None


def shutdown_all(ctx: ToolContext) -> None:
    """Kill every background job of the run and remove its temp dir. Safe to call twice."""
    jobs = ctx.state.get(JOBS_KEY)
    if isinstance(jobs, JobRegistry):
        jobs.kill_all()
    tmp = ctx.state.get(TEMP_KEY)
    if isinstance(tmp, RunTempDir):
        tmp.remove()


def _workspace(ctx: ToolContext) -> Path:
    return Path(os.path.realpath(ctx.workspace))


def _start_dir(ctx: ToolContext) -> tuple[Path, list[str]]:
    """Where the next command runs; resets ``ctx.cwd`` if it is gone or outside the workspace."""
    workspace = _workspace(ctx)
    real = os.path.realpath(ctx.cwd)
    if os.path.isdir(real) and is_within(workspace, real):
        return Path(real), []
    previous, ctx.cwd = ctx.cwd, workspace
    return workspace, [
        f"[The working directory {previous} no longer exists or is outside the workspace; "
        f"the command ran in the workspace root {workspace}.]"
    ]


def _follow_cd(ctx: ToolContext, cwd_file: Path) -> list[str]:
    """Adopt the directory the shell ended in, if it is inside the workspace."""
    try:
        ended = cwd_file.read_text(encoding="utf-8", errors="replace").removesuffix("\n")
    except OSError:
        return []
    real = os.path.realpath(ended) if ended else ""
    if not real or not os.path.isdir(real):
        return []
    workspace = _workspace(ctx)
    if is_within(workspace, real):
        ctx.cwd = Path(real)
        return []
    ctx.cwd = workspace
    return [
        f"[The shell ended in {real}, which is outside the workspace; the working directory "
        f"was reset to the workspace root {workspace}.]"
    ]


def _exit_note(code: int | None) -> str | None:
    if code is None or code == 0:
        return None
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"[killed by {name} (exit code {128 - code})]"
    return f"[exit code {code}]"


def _format(result: CommandResult, timeout_ms: int, notes: list[str]) -> ToolResult:
    output = result.output.rstrip("\n")
    parts = [output if output else "(no output)"]
    timed_out = result.outcome == "timed_out"
    if timed_out:
        parts.append(
            f"[timed out after {timeout_ms / 1000:g} s: the command and every process it "
            f"started were killed (exit code {TIMEOUT_EXIT_CODE}). If it needs longer, raise "
            f"timeout (max {MAX_TIMEOUT_MS} ms) or use run_in_background.]"
        )
    else:
        note = _exit_note(result.exit_code)
        if note:
            parts.append(note)
    if result.leftovers:
        parts.append(
            f"[{result.leftovers} process(es) the command left running were stopped when it "
            "finished. Start servers and watchers with run_in_background instead.]"
        )
    parts.extend(notes)
    return ToolResult("\n\n".join(parts), is_error=timed_out)


def _scratch(ctx: ToolContext) -> Path:
    """The run's bookkeeping dir, where its launcher wants it (out of the sandbox's reach)."""
    root = ctx.launcher.scratch_root() if ctx.launcher is not None else None
    return ctx.state_for(TEMP_KEY, lambda: RunTempDir(root)).path()


def _launch(
    ctx: ToolContext,
    command: str,
    cwd: Path,
    bookkeeping: tuple[Path, Path | None],
    notes: list[str],
) -> list[str]:
    """The argv that runs ``command``: through the run's launcher (the sandbox) if it has one.

    ``bookkeeping`` is the run's temp dir and the file in it where this command records its
    final directory (None for a background job). A launcher's note (e.g. "ran without the
    sandbox, because ...") is added to ``notes``; a refusal becomes the tool error.
    """
    argv = ["bash", "-c", command]
    if ctx.launcher is None:
        return argv
    scratch, record = bookkeeping
    launch = ctx.launcher.launch(argv, command=command, cwd=cwd, scratch=scratch, record=record)
    if launch.refusal is not None:
        raise ToolError(launch.refusal)
    if launch.note:
        notes.append(launch.note)
    return list(launch.argv)


def _spawn_error(exc: OSError) -> ToolError:
    return ToolError(f"Could not start bash: {exc}. Check that bash is installed and on PATH.")


BASH_DESCRIPTION = f"""\
Runs a shell command with bash and returns its output (stdout and stderr together, in order).

- Each call runs `bash -c <command>` in the current working directory, which starts at the \
workspace root. A `cd` carries over to later Bash calls, but only inside the workspace: if the \
command ends outside it, the directory is reset to the workspace root. Environment changes \
(`export`, `source`, aliases) do NOT carry over; put them in the same command.
- Quote paths that contain spaces with double quotes, e.g. `cd "my dir"`.
- stdin is empty (/dev/null), so a command that waits for input gets end-of-file at once. Use \
non-interactive flags (`git commit -m ...`, `npm init -y`). No pager or editor opens.
- Prefer the dedicated tools: Read instead of cat/head/tail, Grep instead of grep/rg, Glob \
instead of find or ls to locate files, Edit/Write instead of sed or echo redirection. Use Bash \
to run builds, tests, git, package managers and programs.
- timeout is in milliseconds: default {DEFAULT_TIMEOUT_MS} (2 minutes), maximum \
{MAX_TIMEOUT_MS} (10 minutes); larger values are reduced to the maximum. On timeout the command \
and everything it started are killed and the result says "timed out".
- Output is capped at about 30000 characters: the beginning and the end are kept and the middle \
is cut with a note. For long output, redirect it to a file and use Grep or Read on it, or pipe \
through `head`/`tail`.
- A non-zero exit status is reported after the output as "[exit code N]".
- When the command finishes, any process it left running is stopped. For servers, watchers and \
other long-running commands set run_in_background to true (do not append `&`), then read the \
output with BashOutput and stop it with KillShell.
- Chain dependent commands with `&&`; use `;` only when later commands should run even if \
earlier ones fail.
- API keys, tokens and similar secrets are removed from the command's environment.
- Commands may run in a sandbox: the network is then unreachable and only the workspace and \
/tmp are writable (.git/hooks, .git/config, .devagent and .claude stay read-only). If a \
command fails with "Read-only file system" or a network error for that reason, say so to the \
user instead of working around it."""


class Bash(Tool):
    """Runs a shell command in its own process group (see module docstring for results)."""

    name: ClassVar[str] = "Bash"
    description: ClassVar[str] = BASH_DESCRIPTION
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "command": {"type": "string", "description": "The command to execute."},
            "timeout": {
                "type": "number",
                "description": f"Optional timeout in milliseconds (max {MAX_TIMEOUT_MS}).",
            },
            "description": {
                "type": "string",
                "description": "What this command does, in 5-10 words, shown to the user.",
            },
            "run_in_background": {
                "type": "boolean",
                "description": "Run the command in the background; read its output later "
                "with BashOutput and stop it with KillShell.",
            },
        },
        "required": ["command"],
        "additionalProperties": False,
    }
    kind: ClassVar[ToolKind] = "execute"

    def __init__(self, env: EnvSource = _default_env) -> None:
        self._env = env

    def prepare(self, args: Args, ctx: ToolContext) -> PreparedCall:
        command = args.get("command")
        if not isinstance(command, str) or not command.strip():
            raise ToolError("command is empty: give the shell command to run.")
        if "\x00" in command:
            raise ToolError("command contains a NUL byte, which bash cannot run; remove it.")
        timeout_ms = clamp_timeout_ms(args.get("timeout"))
        if args.get("run_in_background") is True:
            return PreparedCall(execute=lambda: self._background(command, ctx), command=command)
        return PreparedCall(
            execute=lambda: self._foreground(command, timeout_ms, ctx), command=command
        )

    def _foreground(self, command: str, timeout_ms: int, ctx: ToolContext) -> ToolResult:
        if ctx.cancel.is_set():
            raise ToolInterrupted("")
        cwd, notes = _start_dir(ctx)
        scratch = _scratch(ctx)
        stem = scratch / f"cwd-{secrets.token_hex(8)}"
        cwd_file, rc_file = stem.with_suffix(".txt"), stem.with_suffix(".sh")
        env = self._env()
        try:
            rc_file.write_text(_cwd_rc(cwd_file, env.get("BASH_ENV")), encoding="utf-8")
            cwd_file.touch()
            env["BASH_ENV"] = os.fspath(rc_file)
            argv = _launch(ctx, command, cwd, (scratch, cwd_file), notes)
            try:
                running = RunningCommand.start(argv, cwd=cwd, env=env)
            except OSError as exc:
                raise _spawn_error(exc) from exc
            result = running.wait(timeout_s=timeout_ms / 1000, cancel=ctx.cancel)
            notes += _follow_cd(ctx, cwd_file)
        finally:
            cwd_file.unlink(missing_ok=True)
            rc_file.unlink(missing_ok=True)
        if result.outcome == "interrupted":
            raise ToolInterrupted(result.output)
        return _format(result, timeout_ms, notes)

    def _background(self, command: str, ctx: ToolContext) -> ToolResult:
        if ctx.cancel.is_set():
            raise ToolInterrupted("")
        cwd, notes = _start_dir(ctx)
        scratch = _scratch(ctx)
        argv = _launch(ctx, command, cwd, (scratch, None), notes)
        registry = ctx.state_for(JOBS_KEY, JobRegistry)
        try:
            job = registry.start(argv, command=command, cwd=cwd, env=self._env())
        except OSError as exc:
            raise _spawn_error(exc) from exc
        lines = [
            f"Started background job {job.id} in {cwd}.",
            f'Read its output with BashOutput (bash_id "{job.id}"); stop it with KillShell '
            f'(shell_id "{job.id}"). It is stopped when this session ends.',
            *notes,
        ]
        return ToolResult("\n".join(lines))


def _job(ctx: ToolContext, job_id: object, field: str) -> BackgroundJob:
    registry = ctx.state_for(JOBS_KEY, JobRegistry)
    job = registry.get(job_id) if isinstance(job_id, str) else None
    if job is None:
        known = ", ".join(registry.ids()) or "none (start one with Bash run_in_background)"
        raise ToolError(f"No background shell with {field} {job_id!r}. Known ids: {known}.")
    return job


def _status(job: BackgroundJob) -> str:
    status = job.status
    if status == "running":
        return "status: running"
    if status == "killed":
        return "status: killed"
    code = job.exit_code
    return "status: exited" + ("" if code is None else f" (exit code {code})")


def _compile_filter(raw: object) -> re.Pattern[str] | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return re.compile(raw)
    except re.error as exc:
        raise ToolError(
            f"filter {raw!r} is not a valid regular expression ({exc}). Fix it or omit filter."
        ) from exc


class BashOutput(Tool):
    """New output and status of a background job."""

    name: ClassVar[str] = "BashOutput"
    description: ClassVar[str] = (
        "Returns the output a background shell (started with Bash run_in_background) produced "
        "since the last BashOutput call for it, and its status: running, exited (with exit "
        "code) or killed. Returns at once; it does not wait for more output. Unread output is "
        "capped at about 30000 characters (beginning and end kept). filter is an optional "
        "regular expression: only matching lines are returned, and the other lines of this "
        "read are discarded."
    )
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "bash_id": {"type": "string", "description": "The id of the background shell."},
            "filter": {
                "type": "string",
                "description": "Optional regular expression; only matching lines are shown.",
            },
        },
        "required": ["bash_id"],
        "additionalProperties": False,
    }
    kind: ClassVar[ToolKind] = "execute"
    # Reading a background shell's output changes nothing, so it runs without asking.
    read_only: ClassVar[bool] = True

    def run(self, args: Args, ctx: ToolContext) -> ToolResult:
        job = _job(ctx, args.get("bash_id"), "bash_id")
        pattern = _compile_filter(args.get("filter"))
        status = _status(job)  # before reading, so "exited" implies the output is complete
        text = job.read_new()
        if pattern is not None:
            text = "\n".join(line for line in text.splitlines() if pattern.search(line))
        return ToolResult(f"{status}\n\n{text if text else '(no new output)'}")


class KillShell(Tool):
    """Stops a background job and everything it started."""

    name: ClassVar[str] = "KillShell"
    description: ClassVar[str] = (
        "Stops a background shell started with Bash run_in_background, together with every "
        "process it started (SIGINT, then SIGTERM, then SIGKILL). Use the id Bash returned."
    )
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "shell_id": {"type": "string", "description": "The id of the background shell."},
        },
        "required": ["shell_id"],
        "additionalProperties": False,
    }
    kind: ClassVar[ToolKind] = "execute"

    def run(self, args: Args, ctx: ToolContext) -> ToolResult:
        job = _job(ctx, args.get("shell_id"), "shell_id")
        if job.status != "running":
            return ToolResult(f"{job.id} is not running ({_status(job)}); nothing to kill.")
        if not job.kill():
            raise ToolError(f"{job.id} did not stop within 5 s; try KillShell again.")
        return ToolResult(f"Killed {job.id} ({job.command}) and every process it started.")
