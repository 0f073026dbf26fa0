"""devagent as a child subreaper: processes that leave the command's group and environment
(``setsid env -i``, daemons) are still stopped, when the command ends and when devagent exits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import devagent
from devagent.tools.base import ToolContext, ToolResult
from devagent.tools.bash import Bash, BashOutput, KillShell, shutdown_all
from devagent.tools.process import (
    JobRegistry,
    RunningCommand,
    ensure_subreaper,
    reap_strays,
    release_child,
    spawn_owned,
)
from devagent.tools.shell_env import scrubbed_env
from fakes.fake_api import FakeAPI, tool_call, tool_reply
from tools.process_markers import gone, kill_all, live, unique_sleep, wait_for

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")

QUIET = ">/dev/null 2>&1 </dev/null"
SRC = str(Path(devagent.__file__).resolve().parents[1])

# The classic daemon: fork, setsid, fork again, clear the environment, exec.
DAEMON = """
import os, sys
if os.fork():
    os._exit(0)
os.setsid()
if os.fork():
    os._exit(0)
os.execvp("env", ["env", "-i", "sleep", sys.argv[1]])
"""


@pytest.fixture(autouse=True)
def subreaper() -> None:
    if not ensure_subreaper():
        pytest.skip("prctl(PR_SET_CHILD_SUBREAPER) is not available here")


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


def new_markers(markers: list[str], count: int) -> list[str]:
    made = [unique_sleep() for _ in range(count)]
    markers.extend(made)
    return made


def bash(ctx: ToolContext, command: str, **extra: Any) -> ToolResult:
    return Bash().prepare({"command": command, **extra}, ctx).execute()


def run(command: str, cwd: Path) -> tuple[int | None, int]:
    running = RunningCommand.start(["bash", "-c", command], cwd=cwd, env=scrubbed_env(os.environ))
    result = running.wait(timeout_s=30, cancel=threading.Event())
    return result.exit_code, result.leftovers


def stat(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_bytes()
    return raw[raw.rfind(b")") + 2 :].decode().split()


def zombie_strays() -> list[int]:
    """Zombies re-parented to this process from outside its session (what we must reap)."""
    me, my_sid = os.getpid(), os.getsid(0)
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                fields = stat(int(name))
            except OSError:
                continue
            if fields[0] == "Z" and int(fields[1]) == me and int(fields[3]) != my_sid:
                found.append(int(name))
    return found


def until(check: Any, what: str, within_s: float = 10.0) -> None:
    end = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < end, what
        time.sleep(0.05)


# --- when a command ends -------------------------------------------------------------------


def test_bash_tool_stops_a_setsid_env_i_escape(ctx: ToolContext, markers: list[str]) -> None:
    [marker] = new_markers(markers, 1)
    result = bash(ctx, f"setsid env -i {marker} {QUIET} &")
    assert "process(es) the command left running were stopped" in result.content
    assert gone(marker, within_s=5)


@pytest.mark.parametrize("style", ["shell", "python"])
def test_bash_tool_stops_a_double_fork_daemon(
    ctx: ToolContext, markers: list[str], tmp_path: Path, style: str
) -> None:
    [marker] = new_markers(markers, 1)
    if style == "shell":
        command = f"(setsid env -i sh -c '{marker} & exit 0' {QUIET} &)"
    else:
        script = tmp_path / "daemonize.py"
        script.write_text(DAEMON, encoding="utf-8")
        command = f"{sys.executable} {script} {marker.split()[1]} {QUIET}"
    command += f"; until pgrep -f '^{marker}$' >/dev/null; do sleep 0.05; done; echo up"
    result = bash(ctx, command, timeout=30_000)
    assert result.content.startswith("up\n\n[1 process(es) the command left running")
    assert gone(marker, within_s=5)


def test_children_of_a_stray_that_ignores_sigterm_are_killed(
    tmp_path: Path, markers: list[str]
) -> None:
    first, second = new_markers(markers, 2)
    command = (
        f"""setsid env -i sh -c "trap '' TERM; {first} & {second} & wait" {QUIET} &"""
        f" until pgrep -f '^{second}$' >/dev/null; do sleep 0.05; done"
    )
    exit_code, leftovers = run(command, tmp_path)
    assert exit_code == 0
    assert leftovers == 3  # sh and its two sleeps
    assert gone(first, within_s=5)
    assert gone(second, within_s=5)


def test_a_background_job_survives_a_later_commands_sweep(
    ctx: ToolContext, markers: list[str]
) -> None:
    escaped, grouped, main, later = new_markers(markers, 4)
    job = f"(setsid env -i {escaped} {QUIET} &); ({grouped} {QUIET} &); {main}"
    bash(ctx, job, run_in_background=True)
    for marker in (escaped, grouped, main):
        wait_for(marker, within_s=10)
    result = bash(ctx, f"setsid env -i {later} {QUIET} &")
    assert "[1 process(es) the command left running were stopped" in result.content
    assert gone(later, within_s=5)
    assert live(escaped) and live(grouped) and live(main)
    status = BashOutput().run({"bash_id": "bash_1"}, ctx).content
    assert status.startswith("status: running")
    KillShell().run({"shell_id": "bash_1"}, ctx)
    for marker in (escaped, grouped, main):
        assert gone(marker, within_s=5)


# --- reaping without stealing exit statuses ------------------------------------------------


def test_dead_strays_are_reaped_but_popen_children_keep_their_status() -> None:
    same_session = subprocess.Popen(["sh", "-c", "exit 3"])
    claimed = spawn_owned(lambda: subprocess.Popen(["sh", "-c", "exit 4"], start_new_session=True))
    # The outer sh exits at once; the setsid'd one is re-parented to us and dies a moment later.
    outer = subprocess.run(
        ["sh", "-c", f"setsid sh -c 'sleep 0.2' {QUIET} & echo $!"],
        capture_output=True,
        text=True,
        check=True,
    )
    stray = int(outer.stdout)
    for pid in (same_session.pid, claimed.pid, stray):
        until(lambda pid=pid: stat(pid)[0] == "Z", f"{pid} never became a zombie")
    assert int(stat(stray)[1]) == os.getpid()
    assert reap_strays() >= 1
    assert not Path(f"/proc/{stray}").exists()
    assert same_session.wait(timeout=5) == 3
    assert claimed.wait(timeout=5) == 4
    release_child(claimed)
    assert zombie_strays() == []


def test_exit_codes_stay_right_while_strays_are_reaped(tmp_path: Path) -> None:
    codes: list[int] = []

    def other_children() -> None:
        for i in range(30):
            if i % 2:
                codes.append(subprocess.run(["sh", "-c", "exit 7"], check=False).returncode)
            else:
                proc = spawn_owned(
                    lambda: subprocess.Popen(["sh", "-c", "exit 7"], start_new_session=True)
                )
                codes.append(proc.wait())
                release_child(proc)

    thread = threading.Thread(target=other_children)
    thread.start()
    try:
        for i in range(12):
            stray = f"(setsid sh -c 'exit 0' {QUIET} &); (sleep 0.01 {QUIET} &)"
            assert run(f"{stray}; exit {i % 5 + 1}", tmp_path)[0] == i % 5 + 1
    finally:
        thread.join(timeout=60)
    assert codes == [7] * 30
    until(lambda: reap_strays() == 0 and not zombie_strays(), "zombies were left unreaped")


def test_a_running_job_reaps_strays_that_die_on_their_own(
    tmp_path: Path, markers: list[str]
) -> None:
    [main] = new_markers(markers, 1)
    registry = JobRegistry()
    job = registry.start(
        ["bash", "-c", f"(setsid sh -c 'sleep 0.3' {QUIET} & echo $!); {main}"],
        command="churn",
        cwd=tmp_path,
        env=scrubbed_env(os.environ),
    )
    try:
        output = ""
        end = time.monotonic() + 10
        while "\n" not in output and time.monotonic() < end:
            output += job.read_new()
            time.sleep(0.05)
        stray = int(output)
        # It dies after 0.3 s; no command ends meanwhile, so only the job's own loop reaps it.
        until(lambda: not Path(f"/proc/{stray}").exists(), "the dead stray was never reaped")
        assert job.status == "running" and live(main)
    finally:
        registry.kill_all()
    assert gone(main)


# --- when devagent exits -------------------------------------------------------------------

LIBRARY_HELPER = """
import os, sys
from pathlib import Path
from devagent.cli import _on_sigterm
from devagent.runtime import Terminated
from devagent.tools.process import JobRegistry
import signal

signal.signal(signal.SIGTERM, _on_sigterm)  # as the CLI does: SIGTERM unwinds, atexit runs
try:
    registry = JobRegistry()
    registry.start(["bash", "-c", os.environ["JOB"]], command="job", cwd=Path.cwd(), env=os.environ)
    print("ready", flush=True)
    sys.stdin.readline()
except Terminated:
    sys.exit(143)
"""


def escaping_job(markers: list[str], folder: Path) -> tuple[str, list[str]]:
    """A job with a stray, an escapee still below the job's shell, a daemon and a plain child."""
    stray, below, daemon, main = new_markers(markers, 4)
    script = folder / "daemonize.py"
    script.write_text(DAEMON, encoding="utf-8")
    job = (
        f"(setsid env -i {stray} {QUIET} &); setsid env -i {below} {QUIET} & "
        f"{sys.executable} {script} {daemon.split()[1]} {QUIET}; {main}"
    )
    return job, [stray, below, daemon, main]


@pytest.mark.parametrize("ending", ["normal exit", "SIGTERM"])
def test_nothing_outlives_devagent(tmp_path: Path, markers: list[str], ending: str) -> None:
    job, started = escaping_job(markers, tmp_path)
    script = tmp_path / "helper.py"
    script.write_text(LIBRARY_HELPER, encoding="utf-8")
    env = {**os.environ, "JOB": job, "PYTHONPATH": SRC}
    helper = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert helper.stdin is not None and helper.stdout is not None
    try:
        assert helper.stdout.readline() == "ready\n"
        for marker in started:
            wait_for(marker, within_s=10)
        if ending == "SIGTERM":
            helper.send_signal(signal.SIGTERM)
        else:
            helper.stdin.close()
        assert helper.wait(timeout=30) == (143 if ending == "SIGTERM" else 0)
    finally:
        helper.kill()
        helper.wait(timeout=5)
        helper.stdout.close()
    for marker in started:
        assert gone(marker, within_s=5), f"{marker} outlived devagent ({ending})"


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_to_the_real_cli_leaves_no_escaped_process(
    devagent_cmd: list[str],
    devagent_env: dict[str, str],
    fake_api: FakeAPI,
    tmp_path: Path,
    markers: list[str],
    sig: signal.Signals,
    code: int,
) -> None:
    """SIGTERM, or SIGHUP when the terminal closes: every descendant goes with devagent."""
    workspace = tmp_path / "ws"
    workspace.mkdir()  # the daemon script inside it: paths outside are protected
    job, started = escaping_job(markers, workspace)
    [foreground] = new_markers(markers, 1)
    fake_api.enqueue(
        tool_reply(tool_call("Bash", {"command": job, "run_in_background": True})),
        tool_reply(tool_call("Bash", {"command": f"setsid env -i {foreground} {QUIET}"})),
    )
    proc = subprocess.Popen(
        [*devagent_cmd, "-p", "go", "--permission-mode", "bypassPermissions"],
        env=devagent_env,
        cwd=workspace,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for marker in [*started, foreground]:
            wait_for(marker, within_s=30)
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == code
    finally:
        proc.kill()
        proc.communicate()
    for marker in [*started, foreground]:
        assert gone(marker, within_s=5), f"{marker} outlived devagent"


def test_the_subreaper_is_enabled_by_the_first_command_not_by_import(tmp_path: Path) -> None:
    probe = """
import ctypes, os, threading
from pathlib import Path
from devagent.tools.process import RunningCommand

def subreaper() -> int:
    flag = ctypes.c_int(-1)
    ctypes.CDLL(None).prctl(37, ctypes.byref(flag), 0, 0, 0)  # PR_GET_CHILD_SUBREAPER
    return flag.value

before = subreaper()
RunningCommand.start(["true"], cwd=Path.cwd(), env=os.environ).wait(
    timeout_s=10, cancel=threading.Event()
)
print(before, subreaper())
"""
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": SRC},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.split() == ["0", "1"]
