"""Bash in the bubblewrap sandbox, through the real CLI, the real SDK and the fake Messages API.

The attacks run from a script in the workspace (``bash attack.sh``), so no reading of the
command line can see them: what stops them is the kernel. Each test that shows a block also
shows, where it can, that the same step works with ``--sandbox off``, so the check can fail.
The home folder is a temporary one holding a fake ``~/.ssh/id_rsa`` and ``~/.bashrc``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from clirun import run
from devagent.sandbox.bwrap import probe
from fakes.fake_api import FakeAPI, Reply, text_reply, tool_call, tool_reply

BASH_WORKS = probe(os.environ).works
needs_bwrap = pytest.mark.skipif(
    not BASH_WORKS, reason=f"bubblewrap cannot run here: {probe(os.environ).problem}"
)
SECRET = "PRIVATE-KEY-MATERIAL-4d1f"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.fixture
def user_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text(SECRET + "\n")
    (home / ".bashrc").write_text("# original\n")
    return home


@pytest.fixture
def env(devagent_env: dict[str, str], user_home: Path) -> dict[str, str]:
    return {**devagent_env, "HOME": str(user_home)}


@pytest.fixture
def outside() -> Iterator[Path]:
    """A path outside the workspace and outside /tmp (which the sandbox leaves writable)."""
    path = Path("/var/tmp") / f"devagent-sandbox-test-{uuid.uuid4().hex}"
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def bash(command: str, **extra: object) -> Reply:
    return tool_reply(tool_call("Bash", {"command": command, **extra}))


def oneshot(
    cmd: list[str], env: dict[str, str], cwd: Path, *flags: str
) -> subprocess.CompletedProcess[str]:
    return run(cmd, ["-p", "go", "--output-format", "json", *flags], env, cwd)


def result_text(fake_api: FakeAPI, index: int) -> str:
    [result] = fake_api.requests[index].tool_results()
    return json.dumps(result)


ATTACK = """\
echo hook > .git/hooks/pre-commit && echo "hooks: WRITTEN" || echo "hooks: blocked"
echo pwned >> "$HOME/.bashrc" && echo "bashrc: WRITTEN" || echo "bashrc: blocked"
cat "$HOME/.ssh/id_rsa" || echo "ssh: blocked"
echo x > "$OUTSIDE" && echo "outside: WRITTEN" || echo "outside: blocked"
echo ok > inside.txt && echo "inside: written"
"""


@needs_bwrap
def test_the_kernel_confines_a_command_the_rules_let_through(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    user_home: Path,
    outside: Path,
    fake_api: FakeAPI,
) -> None:
    (repo / "attack.sh").write_text(ATTACK)
    fake_api.enqueue(bash(f"OUTSIDE={outside} bash attack.sh"), text_reply("done"))
    done = oneshot(devagent_cmd, env, repo, "--permission-mode", "bypassPermissions")
    assert done.returncode == 0, done.stderr
    said = result_text(fake_api, 1)
    for blocked in ("hooks", "bashrc", "outside"):
        assert f"{blocked}: blocked" in said
    assert "Read-only file system" in said
    assert "ssh: blocked" in said and SECRET not in said
    assert "inside: written" in said and (repo / "inside.txt").read_text() == "ok\n"
    assert not (repo / ".git" / "hooks" / "pre-commit").exists()
    assert (user_home / ".bashrc").read_text() == "# original\n"
    assert not outside.exists()


def test_with_the_sandbox_off_the_same_script_gets_through(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    user_home: Path,
    outside: Path,
    fake_api: FakeAPI,
) -> None:
    (repo / "attack.sh").write_text(ATTACK)
    fake_api.enqueue(bash(f"OUTSIDE={outside} bash attack.sh"), text_reply("done"))
    flags = ("--permission-mode", "bypassPermissions", "--sandbox", "off")
    done = oneshot(devagent_cmd, env, repo, *flags)
    assert done.returncode == 0, done.stderr
    said = result_text(fake_api, 1)
    assert SECRET in said and "outside: WRITTEN" in said and "hooks: WRITTEN" in said
    assert outside.exists() and (user_home / ".bashrc").read_text().endswith("pwned\n")


class Listener:
    """A TCP server on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    try:
        yield server
    finally:
        server.close()


CONNECT = 'exec 3<>"/dev/tcp/127.0.0.1/$1" && echo "net: CONNECTED" || echo "net: refused"\n'


@needs_bwrap
@pytest.mark.parametrize(("mode", "expected", "accepted"), [("", "refused", 0), ("off", "CONN", 1)])
def test_a_listening_loopback_port_cannot_be_reached_from_the_sandbox(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    fake_api: FakeAPI,
    listener: Listener,
    mode: str,
    expected: str,
    accepted: int,
) -> None:
    (repo / "net.sh").write_text(CONNECT)
    fake_api.enqueue(bash(f"bash net.sh {listener.port}"), text_reply("done"))
    flags = ["--permission-mode", "bypassPermissions", *(["--sandbox", mode] if mode else [])]
    done = oneshot(devagent_cmd, env, repo, *flags)
    assert done.returncode == 0, done.stderr
    assert f"net: {expected}" in result_text(fake_api, 1)
    assert listener.accepted == accepted


def live_sleeps(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if entry.name.isdigit() and marker.encode() in argv:
            found.append(int(entry.name))
    return found


@needs_bwrap
def test_timeouts_background_jobs_and_cd_keep_working_inside(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(
        bash("mkdir -p sub && cd sub"),
        bash("pwd"),
        bash("sleep 31.25", timeout=1000),
        bash("echo started; sleep 32.75", run_in_background=True),
        bash("sleep 0.5"),
        tool_reply(tool_call("BashOutput", {"bash_id": "bash_1"})),
        tool_reply(tool_call("KillShell", {"shell_id": "bash_1"})),
        text_reply("done"),
    )
    done = oneshot(devagent_cmd, env, repo, "--permission-mode", "bypassPermissions")
    assert done.returncode == 0, done.stderr
    assert str(repo / "sub") in result_text(fake_api, 2)
    assert "timed out after 1 s" in result_text(fake_api, 3)
    assert "Started background job bash_1" in result_text(fake_api, 4)
    output = result_text(fake_api, 6)
    assert "status: running" in output and "started" in output
    assert "Killed bash_1" in result_text(fake_api, 7)
    assert live_sleeps("31.25") == [] and live_sleeps("32.75") == []


def write_settings(home: Path, sandbox: dict[str, object]) -> None:
    (home / "settings.json").write_text(json.dumps({"sandbox": sandbox}))


@needs_bwrap
def test_auto_allow_runs_sandboxed_commands_but_not_ones_that_must_leave(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    fake_api: FakeAPI,
    devagent_home: Path,
) -> None:
    write_settings(devagent_home, {"autoAllowBash": True})
    fake_api.enqueue(
        bash("touch made-in-sandbox"),
        bash("curl -s http://127.0.0.1:9/"),
        bash("rm -rf made-in-sandbox"),
        text_reply("done"),
    )
    done = oneshot(devagent_cmd, env, repo, "--disallowed-tools", "Bash(rm:*)")
    assert done.returncode == 0, done.stderr
    assert (repo / "made-in-sandbox").exists()
    denials = json.loads(done.stdout)["permission_denials"]
    assert [d["tool_input"]["command"] for d in denials] == [
        "curl -s http://127.0.0.1:9/",
        "rm -rf made-in-sandbox",
    ]
    assert "Bash(rm:*)" in denials[1]["reason"]


def test_without_auto_allow_the_default_mode_still_asks(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(bash("touch made-in-sandbox"), text_reply("done"))
    done = oneshot(devagent_cmd, env, repo)
    assert not (repo / "made-in-sandbox").exists()
    assert len(json.loads(done.stdout)["permission_denials"]) == 1


@pytest.fixture
def broken_bwrap(tmp_path: Path) -> Path:
    """A bwrap that fails like one without user namespaces."""
    path = tmp_path / "bwrap"
    path.write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
    path.chmod(0o755)
    return path


def test_a_failing_bwrap_warns_once_and_runs_unsandboxed_when_not_required(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    fake_api: FakeAPI,
    broken_bwrap: Path,
) -> None:
    fake_api.enqueue(bash("echo first"), bash("echo second"), text_reply("done"))
    env = {**env, "DEVAGENT_BWRAP": str(broken_bwrap)}
    done = oneshot(devagent_cmd, env, repo, "--permission-mode", "bypassPermissions")
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("sandbox cannot run here") == 1
    assert "setting up uid map: Permission denied" in done.stderr
    assert "WITHOUT the sandbox" in done.stderr
    assert "first" in result_text(fake_api, 1) and "second" in result_text(fake_api, 2)


def test_a_failing_bwrap_refuses_bash_when_the_sandbox_is_required(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    fake_api: FakeAPI,
    broken_bwrap: Path,
    devagent_home: Path,
) -> None:
    write_settings(devagent_home, {"required": True})
    fake_api.enqueue(bash("touch ran"), text_reply("done"))
    env = {**env, "DEVAGENT_BWRAP": str(broken_bwrap)}
    done = oneshot(devagent_cmd, env, repo, "--permission-mode", "bypassPermissions")
    assert not (repo / "ran").exists()
    assert "sandbox.required is true" in done.stderr
    [denial] = json.loads(done.stdout)["permission_denials"]
    assert "sandbox cannot run here" in denial["reason"]
    assert "sandbox.required" in result_text(fake_api, 1)


def test_a_bad_sandbox_mode_is_a_usage_error(
    devagent_cmd: list[str], env: dict[str, str], repo: Path
) -> None:
    done = oneshot(devagent_cmd, env, repo, "--sandbox", "loose")
    assert done.returncode == 2
    assert "--sandbox: sandbox mode 'loose' is not one of workspace-write, read-only, off" in (
        done.stderr
    )


READ_ONLY = """\
echo x > in-workspace.txt && echo "ws: WRITTEN" || echo "ws: blocked"
echo y > "$SCRATCH" && cat "$SCRATCH" && echo "tmp: private"
"""


@needs_bwrap
def test_read_only_mode_writes_nothing_but_a_private_tmp(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    (repo / "ro.sh").write_text(READ_ONLY)
    scratch = Path("/tmp") / f"devagent-ro-{uuid.uuid4().hex}"
    fake_api.enqueue(bash(f"SCRATCH={scratch} bash ro.sh"), text_reply("done"))
    flags = ("--permission-mode", "bypassPermissions", "--sandbox", "read-only")
    done = oneshot(devagent_cmd, env, repo, *flags)
    assert done.returncode == 0, done.stderr
    said = result_text(fake_api, 1)
    assert "ws: blocked" in said and "tmp: private" in said
    assert not (repo / "in-workspace.txt").exists() and not scratch.exists()


@needs_bwrap
def test_network_true_lets_the_sandbox_reach_the_port(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    fake_api: FakeAPI,
    listener: Listener,
    devagent_home: Path,
) -> None:
    write_settings(devagent_home, {"network": True})
    (repo / "net.sh").write_text(CONNECT)
    fake_api.enqueue(bash(f"bash net.sh {listener.port}"), text_reply("done"))
    done = oneshot(devagent_cmd, env, repo, "--permission-mode", "bypassPermissions")
    assert done.returncode == 0, done.stderr
    assert "net: CONNECTED" in result_text(fake_api, 1) and listener.accepted == 1


def explain(cmd: list[str], env: dict[str, str], cwd: Path, *args: str) -> str:
    done = run(cmd, ["permissions", "explain", *args], env, cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout


@needs_bwrap
def test_explain_says_where_a_command_runs(
    devagent_cmd: list[str], env: dict[str, str], repo: Path
) -> None:
    inside = explain(devagent_cmd, env, repo, "Bash(pytest -q)")
    assert "runs:     in the workspace-write sandbox (no network)" in inside
    leaving = explain(
        devagent_cmd, env, repo, "Bash(curl -s https://example.com)", "--format", "json"
    )
    assert json.loads(leaving)["sandbox"] == (
        "WITHOUT the sandbox if approved: it needs the network (curl), which the sandbox blocks"
    )
    off = explain(devagent_cmd, env, repo, "Bash(ls)", "--sandbox", "off")
    assert "runs:     WITHOUT the sandbox (mode off, from --sandbox)" in off


def test_explain_names_a_sandbox_that_cannot_run(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, broken_bwrap: Path
) -> None:
    env = {**env, "DEVAGENT_BWRAP": str(broken_bwrap)}
    said = explain(devagent_cmd, env, repo, "Bash(ls)")
    assert "runs:     WITHOUT the sandbox: it cannot run here" in said
    assert "warning:  the workspace-write sandbox cannot run here" in said


TAMPER = """\
for script in "$DEVAGENT_HOME"/run/devagent-bash-*/*.sh; do
  echo 'echo evil' >> "$script" && echo "rc: TAMPERED" || echo "rc: blocked"
done
"""


@needs_bwrap
@pytest.mark.parametrize(
    ("mode", "expected"), [("workspace-write", "blocked"), ("off", "TAMPERED")]
)
def test_a_sandboxed_command_cannot_change_the_bash_env_scripts(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    fake_api: FakeAPI,
    mode: str,
    expected: str,
) -> None:
    (repo / "tamper.sh").write_text(TAMPER)
    fake_api.enqueue(bash("bash tamper.sh"), text_reply("done"))
    flags = ("--permission-mode", "bypassPermissions", "--sandbox", mode)
    done = oneshot(devagent_cmd, env, repo, *flags)
    assert done.returncode == 0, done.stderr
    said = result_text(fake_api, 1)
    assert f"rc: {expected}" in said and said.count("rc: ") == 1


def wait_until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@needs_bwrap
@pytest.mark.parametrize(("mode", "survives"), [("workspace-write", False), ("off", True)])
def test_sigkill_to_devagent_takes_the_sandboxed_command_with_it(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    fake_api: FakeAPI,
    mode: str,
    survives: bool,
) -> None:
    tag = f"{os.getpid() % 1000}.{uuid.uuid4().int % 10**6}"
    escaped, waited = f"41{tag}", f"42{tag}"
    # Without devagent's tags, so no other devagent starting meanwhile reaps them as orphans.
    untagged = "env -u DEVAGENT_OWNER -u DEVAGENT_CMD"
    fake_api.enqueue(bash(f"setsid {untagged} sleep {escaped} & {untagged} sleep {waited}"))
    flags = ["-p", "wait", "--permission-mode", "bypassPermissions", "--sandbox", mode]
    proc = subprocess.Popen(
        [*devagent_cmd, *flags],
        env=env,
        cwd=repo,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: bool(live_sleeps(escaped) and live_sleeps(waited)), 20, "no start")
        proc.kill()
        proc.wait(timeout=10)
        if survives:
            time.sleep(0.5)
            assert live_sleeps(escaped) and live_sleeps(waited)
        else:
            wait_until(lambda: not live_sleeps(escaped) + live_sleeps(waited), 5, "survived")
    finally:
        proc.kill()
        for pid in live_sleeps(escaped) + live_sleeps(waited):
            os.kill(pid, signal.SIGKILL)


UNIX_CONNECT = """\
import os, socket
try:
    socket.socket(socket.AF_UNIX).connect(os.environ["SOCK"])
    print("unix: CONNECTED")
except OSError as exc:
    print(f"unix: blocked ({exc})")
print("pair:", len(socket.socketpair()))
"""


@pytest.fixture
def unix_listener() -> Iterator[tuple[Path, socket.socket]]:
    """A listening Unix socket under /tmp, like a tmux server's or the D-Bus session bus."""
    folder = Path(tempfile.mkdtemp(prefix="dvg-", dir="/tmp"))
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "s"))
    server.listen(4)
    try:
        yield folder / "s", server
    finally:
        server.close()
        shutil.rmtree(folder)


@needs_bwrap
@pytest.mark.parametrize(("mode", "expected"), [("workspace-write", "blocked"), ("off", "CONN")])
def test_host_services_on_unix_sockets_are_out_of_reach(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    fake_api: FakeAPI,
    unix_listener: tuple[Path, socket.socket],
    mode: str,
    expected: str,
) -> None:
    path, _ = unix_listener
    (repo / "unix.py").write_text(UNIX_CONNECT)
    fake_api.enqueue(bash(f"SOCK={path} python3 unix.py"), text_reply("done"))
    flags = ("--permission-mode", "bypassPermissions", "--sandbox", mode)
    done = oneshot(devagent_cmd, env, repo, *flags)
    assert done.returncode == 0, done.stderr
    said = result_text(fake_api, 1)
    assert f"unix: {expected}" in said and "pair: 2" in said
    if expected == "blocked":
        assert "Operation not permitted" in said


RUNNER = """\
---
name: runner
description: Runs commands.
tools: Bash
---
You run commands.
"""


@needs_bwrap
def test_a_sub_agents_commands_run_in_the_same_sandbox(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    (repo / ".claude" / "agents").mkdir(parents=True)
    (repo / ".claude" / "agents" / "runner.md").write_text(RUNNER)
    (repo / "hook.sh").write_text(
        'echo x > .git/hooks/post-checkout && echo "hook: WRITTEN" || echo "hook: blocked"\n'
    )
    task = {"description": "run it", "prompt": "Run hook.sh", "subagent_type": "runner"}
    fake_api.enqueue(
        tool_reply(tool_call("Task", task)),
        bash("bash hook.sh"),
        text_reply("ran it"),
        text_reply("done"),
    )
    done = oneshot(devagent_cmd, env, repo, "--permission-mode", "bypassPermissions")
    assert done.returncode == 0, done.stderr
    _, _, child_after_bash, _ = fake_api.requests
    [result] = child_after_bash.tool_results()
    assert "hook: blocked" in json.dumps(result)
    assert not (repo / ".git" / "hooks" / "post-checkout").exists()
