"""The Bash, BashOutput and KillShell tools, end to end with real shells."""

from __future__ import annotations

import math
import os
import resource
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from devagent.tools.base import ToolContext, ToolError, ToolInterrupted, ToolResult
from devagent.tools.bash import (
    DEFAULT_TIMEOUT_MS,
    JOBS_KEY,
    MAX_TIMEOUT_MS,
    TEMP_KEY,
    Bash,
    BashOutput,
    KillShell,
    RunTempDir,
    clamp_timeout_ms,
    shutdown_all,
)
from devagent.tools.process import JobRegistry
from devagent.tools.shell_env import scrubbed_env
from tools.process_markers import gone, kill_all, live, unique_sleep

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")


@pytest.fixture
def markers() -> Iterator[list[str]]:
    started: list[str] = []
    yield started
    kill_all(started)


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[ToolContext]:
    workspace = Path(os.path.realpath(tmp_path / "ws"))
    workspace.mkdir()
    context = ToolContext(workspace=workspace, cwd=workspace)
    yield context
    shutdown_all(context)


def bash(ctx: ToolContext, command: str, **extra: Any) -> ToolResult:
    return Bash().prepare({"command": command, **extra}, ctx).execute()


def temp_files(ctx: ToolContext) -> list[str]:
    tmp = ctx.state_for(TEMP_KEY, RunTempDir).current
    return sorted(os.listdir(tmp)) if tmp is not None and tmp.exists() else []


# --- the seam ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, DEFAULT_TIMEOUT_MS),
        (0, DEFAULT_TIMEOUT_MS),
        (-5, DEFAULT_TIMEOUT_MS),
        (math.nan, DEFAULT_TIMEOUT_MS),
        (True, DEFAULT_TIMEOUT_MS),
        ("60000", DEFAULT_TIMEOUT_MS),
        (1500, 1500),
        (1500.7, 1500),
        (10**9, MAX_TIMEOUT_MS),
        (math.inf, MAX_TIMEOUT_MS),
    ],
)
def test_timeout_is_clamped(given: object, expected: int) -> None:
    assert clamp_timeout_ms(given) == expected


def test_schemas_follow_claude_code() -> None:
    for tool in (Bash, BashOutput, KillShell):
        jsonschema.Draft7Validator.check_schema(tool.input_schema)
    assert Bash.name == "Bash" and not Bash.read_only
    assert set(Bash.input_schema["properties"]) == {
        "command",
        "timeout",
        "description",
        "run_in_background",
    }
    assert Bash.input_schema["required"] == ["command"]
    assert BashOutput.input_schema["required"] == ["bash_id"]
    assert "filter" in BashOutput.input_schema["properties"] and BashOutput.read_only
    assert KillShell.input_schema["required"] == ["shell_id"] and not KillShell.read_only
    for phrase in ("run_in_background", "600000", "Read", "Grep", "cd", "30000"):
        assert phrase in Bash.description


def test_prepare_changes_nothing_and_names_the_command(ctx: ToolContext) -> None:
    call = Bash().prepare({"command": "touch made"}, ctx)
    assert call.command == "touch made"
    assert call.paths == () and call.changes == ()
    assert not (ctx.workspace / "made").exists()
    call.execute()
    assert (ctx.workspace / "made").exists()


@pytest.mark.parametrize("command", ["", "   \n", "echo \x00"])
def test_unusable_command_is_a_tool_error(ctx: ToolContext, command: str) -> None:
    with pytest.raises(ToolError, match="command"):
        Bash().prepare({"command": command}, ctx)


# --- results -------------------------------------------------------------------------------


def test_success_output(ctx: ToolContext) -> None:
    result = bash(ctx, "echo hello; echo oops >&2")
    assert result == ToolResult("hello\noops", is_error=False)


def test_nonzero_exit_is_reported_but_not_an_error(ctx: ToolContext) -> None:
    result = bash(ctx, "echo partial; exit 3")
    assert not result.is_error
    assert result.content == "partial\n\n[exit code 3]"


def test_death_by_signal_is_reported(ctx: ToolContext) -> None:
    result = bash(ctx, "kill -9 $$")
    assert result.content == "(no output)\n\n[killed by SIGKILL (exit code 137)]"


def test_syntax_errors_show_the_command_as_written(ctx: ToolContext) -> None:
    result = bash(ctx, "if then")
    assert "line 1: `if then'" in result.content
    assert "trap" not in result.content


def test_timeout_kills_everything_and_says_so(ctx: ToolContext, markers: list[str]) -> None:
    marker = unique_sleep()
    markers.append(marker)
    start = time.monotonic()
    result = bash(ctx, f"echo started; {marker}", timeout=1000)
    assert time.monotonic() - start < 4
    assert result.is_error
    assert result.content.startswith("started\n\n[timed out after 1 s")
    assert "exit code 124" in result.content
    assert gone(marker)
    assert temp_files(ctx) == []


def test_grandchild_holding_stdout_returns_in_bounded_time(
    ctx: ToolContext, markers: list[str]
) -> None:
    marker = unique_sleep()
    markers.append(marker)
    start = time.monotonic()
    result = bash(ctx, f"({marker} &); echo hi")
    assert time.monotonic() - start < 5
    assert result.content.startswith("hi\n\n[1 process(es) the command left running were stopped")
    assert not result.is_error
    assert gone(marker)


def test_sigterm_trapping_child_is_killed(ctx: ToolContext, markers: list[str]) -> None:
    marker = unique_sleep()
    markers.append(marker)
    start = time.monotonic()
    result = bash(ctx, f"trap '' TERM; {marker}", timeout=500)
    assert time.monotonic() - start < 6
    assert "timed out after 0.5 s" in result.content
    assert gone(marker)


@pytest.mark.parametrize(
    ("command", "expected"),
    [("cat; echo done", "done"), ('python3 -c "input()"', "EOFError")],
)
def test_stdin_readers_get_eof_at_once(ctx: ToolContext, command: str, expected: str) -> None:
    start = time.monotonic()
    result = bash(ctx, command, timeout=30_000)
    assert time.monotonic() - start < 5
    assert expected in result.content


def test_huge_output_is_capped_with_head_tail_and_bounded_memory(ctx: ToolContext) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = bash(ctx, "yes | head -c 200000000")
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 100 * 1024
    assert len(result.content) < 31_000
    assert result.content.startswith("y\ny\ny\n")
    assert result.content.endswith("\ny\ny")
    assert "[... 199,970,000 characters (99,985,000 lines) cut from the middle" in result.content
    assert not result.is_error


def test_environment_is_scrubbed(ctx: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANTHROPIC_API_KEY", "GH_TOKEN", "FOO_SECRET", "GIT_DIR", "SSH_AUTH_SOCK"):
        monkeypatch.setenv(name, "leak-me")
    monkeypatch.setenv("PLAIN_SETTING", "kept")
    result = bash(ctx, "env")
    assert "leak-me" not in result.content
    lines = result.content.splitlines()
    for expected in ("GIT_TERMINAL_PROMPT=0", "PAGER=cat", "GIT_PAGER=cat", "PLAIN_SETTING=kept"):
        assert expected in lines
    assert "DEVAGENT=1" in lines


def test_scrubbed_env_rules() -> None:
    base = {
        "PATH": "/bin",
        "ANTHROPIC_BASE_URL": "x",
        "OPENAI_API_KEY": "x",
        "my_api_key": "x",
        "AWS_PROFILE": "x",
        "GITHUB_TOKEN": "x",
        "DB_PASSWORD": "x",
        "GIT_CONFIG_COUNT": "x",
        "TOKENIZERS_PARALLELISM": "x",
        "NPM_TOKEN": "x",
    }
    env = scrubbed_env(base, keep={"NPM_TOKEN"})
    assert {k for k in base if k in env} == {"PATH", "TOKENIZERS_PARALLELISM", "NPM_TOKEN"}
    assert env["GIT_TERMINAL_PROMPT"] == "0" and env["PAGER"] == "cat"


# --- working directory ---------------------------------------------------------------------


def test_cd_persists_but_exports_do_not(ctx: ToolContext) -> None:
    (ctx.workspace / "sub dir").mkdir()
    assert bash(ctx, 'cd "sub dir" && export X=1').content == "(no output)"
    assert ctx.cwd == ctx.workspace / "sub dir"
    assert bash(ctx, 'pwd; echo "X=${X:-unset}"').content == f"{ctx.workspace}/sub dir\nX=unset"
    assert temp_files(ctx) == []


def test_cd_outside_the_workspace_resets_to_the_root(ctx: ToolContext) -> None:
    (ctx.workspace / "sub").mkdir()
    bash(ctx, "cd sub")
    result = bash(ctx, "cd /")
    assert "outside the workspace" in result.content
    assert ctx.cwd == ctx.workspace
    assert bash(ctx, "pwd").content == str(ctx.workspace)


def test_cd_through_a_symlink_leading_outside_resets(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (ctx.workspace / "link").symlink_to(tmp_path / "elsewhere")
    result = bash(ctx, "cd link")
    assert "outside the workspace" in result.content
    assert ctx.cwd == ctx.workspace


def test_vanished_cwd_falls_back_to_the_root(ctx: ToolContext) -> None:
    (ctx.workspace / "tmpdir").mkdir()
    bash(ctx, "cd tmpdir")
    (ctx.workspace / "tmpdir").rmdir()
    result = bash(ctx, "pwd")
    assert result.content.startswith(f"{ctx.workspace}\n\n[The working directory")
    assert ctx.cwd == ctx.workspace


# --- interrupts ----------------------------------------------------------------------------


def test_cancel_interrupts_within_seconds(ctx: ToolContext, markers: list[str]) -> None:
    marker = unique_sleep()
    markers.append(marker)
    threading.Timer(0.5, ctx.cancel.set).start()
    start = time.monotonic()
    with pytest.raises(ToolInterrupted) as caught:
        bash(ctx, f"echo before; {marker}")
    assert time.monotonic() - start < 3
    assert caught.value.partial_output == "before\n"
    assert gone(marker)
    assert temp_files(ctx) == []


def test_cancel_already_set_runs_nothing(ctx: ToolContext) -> None:
    ctx.cancel.set()
    with pytest.raises(ToolInterrupted):
        bash(ctx, "touch made")
    assert not (ctx.workspace / "made").exists()


# --- background jobs -----------------------------------------------------------------------


def poll_until_done(ctx: ToolContext, job_id: str) -> tuple[str, str]:
    """Collect BashOutput reads until the job is no longer running; return (status, output)."""
    output = ""
    end = time.monotonic() + 10
    while time.monotonic() < end:
        status, _, text = BashOutput().run({"bash_id": job_id}, ctx).content.partition("\n\n")
        if text != "(no new output)":
            output += text
        if status != "status: running":
            return status, output
        time.sleep(0.05)
    raise AssertionError(f"{job_id} still running")


def test_background_job_reports_output_then_exit_code(ctx: ToolContext) -> None:
    (ctx.workspace / "sub").mkdir()
    bash(ctx, "cd sub")
    started = bash(ctx, "pwd; sleep 0.3; echo done; exit 7", run_in_background=True)
    assert started.content.startswith(f"Started background job bash_1 in {ctx.workspace}/sub.")
    status, output = poll_until_done(ctx, "bash_1")
    assert status == "status: exited (exit code 7)"
    assert output == f"{ctx.workspace}/sub\ndone\n"
    assert BashOutput().run({"bash_id": "bash_1"}, ctx).content.endswith("(no new output)")


def test_bash_output_filter(ctx: ToolContext) -> None:
    bash(ctx, "printf 'ok 1\\nFAIL 2\\nok 3\\n'", run_in_background=True)
    registry = ctx.state_for(JOBS_KEY, JobRegistry)
    job = registry.get("bash_1")
    assert job is not None and job.join(5)
    result = BashOutput().run({"bash_id": "bash_1", "filter": "^ok"}, ctx)
    assert result.content == "status: exited (exit code 0)\n\nok 1\nok 3"


def test_bash_output_errors_for_the_model(ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match="No background shell with bash_id 'bash_9'"):
        BashOutput().run({"bash_id": "bash_9"}, ctx)
    bash(ctx, "true", run_in_background=True)
    with pytest.raises(ToolError, match="not a valid regular expression"):
        BashOutput().run({"bash_id": "bash_1", "filter": "("}, ctx)


def test_kill_shell_stops_the_job_and_its_children(ctx: ToolContext, markers: list[str]) -> None:
    marker = unique_sleep()
    markers.append(marker)
    bash(ctx, f"{marker} & wait", run_in_background=True)
    end = time.monotonic() + 5
    while not live(marker) and time.monotonic() < end:
        time.sleep(0.05)
    assert live(marker)
    result = KillShell().run({"shell_id": "bash_1"}, ctx)
    assert result.content.startswith("Killed bash_1")
    assert gone(marker)
    assert BashOutput().run({"bash_id": "bash_1"}, ctx).content.startswith("status: killed")
    again = KillShell().run({"shell_id": "bash_1"}, ctx)
    assert not again.is_error and "not running" in again.content
    with pytest.raises(ToolError, match="Known ids: bash_1"):
        KillShell().run({"shell_id": "nope"}, ctx)


def test_shutdown_all_leaves_no_process_and_no_temp_dir(
    ctx: ToolContext, markers: list[str]
) -> None:
    first, second = unique_sleep(), unique_sleep()
    markers.extend([first, second])
    bash(ctx, first, run_in_background=True)
    bash(ctx, f"trap '' INT TERM; {second}", run_in_background=True)
    bash(ctx, "echo foreground")
    tmp = ctx.state_for(TEMP_KEY, RunTempDir).current
    assert tmp is not None and tmp.is_dir()
    shutdown_all(ctx)
    assert gone(first) and gone(second)
    assert not tmp.exists()
    shutdown_all(ctx)
