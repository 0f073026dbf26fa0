"""Process groups, bounded capture, kill escalation and background jobs, with real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import devagent
from devagent.tools.process import (
    CommandResult,
    JobRegistry,
    OutputBuffer,
    RunningCommand,
    reap_orphans,
)
from devagent.tools.shell_env import scrubbed_env
from tools.process_markers import gone, kill_all, live, unique_sleep, wait_for

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")


@pytest.fixture
def markers() -> Iterator[list[str]]:
    """Markers a test started; anything still matching is killed so no test leaks processes."""
    started: list[str] = []
    yield started
    kill_all(started)


def run(
    command: str,
    cwd: Path,
    *,
    timeout_s: float | None = 10.0,
    cancel: threading.Event | None = None,
    term_grace_s: float = 2.0,
) -> CommandResult:
    running = RunningCommand.start(
        ["bash", "-c", command],
        cwd=cwd,
        env=scrubbed_env(os.environ),
        term_grace_s=term_grace_s,
    )
    return running.wait(timeout_s=timeout_s, cancel=cancel or threading.Event())


# --- OutputBuffer --------------------------------------------------------------------------


def test_buffer_under_the_limit_keeps_everything() -> None:
    buffer = OutputBuffer(limit=100)
    buffer.feed("abc\n")
    buffer.feed("def")
    assert buffer.render() == "abc\ndef"
    assert buffer.cut_chars == 0


def test_buffer_keeps_head_and_tail_whatever_the_chunking() -> None:
    text = "".join(f"line {i}\n" for i in range(5000))
    buffer = OutputBuffer(limit=1000)
    pos = 0
    for size in (1, 7, 300, 4096, 13) * 1000:
        buffer.feed(text[pos : pos + size])
        pos += size
    buffer.feed(text[pos:])
    cut = text[500:-500]
    assert buffer.cut_chars == len(cut)
    assert buffer.cut_lines == cut.count("\n")
    rendered = buffer.render()
    assert rendered.startswith(text[:500])
    assert rendered.endswith(text[-500:])
    assert f"{len(cut):,} characters ({cut.count(chr(10)):,} lines) cut" in rendered


def test_buffer_take_returns_only_new_output() -> None:
    buffer = OutputBuffer(limit=100)
    buffer.feed("one\n")
    assert buffer.take() == "one\n"
    assert buffer.take() == ""
    buffer.feed("two\n")
    assert buffer.take() == "two\n"


# --- RunningCommand ------------------------------------------------------------------------


def test_output_of_both_streams_in_order_and_exit_code(tmp_path: Path) -> None:
    result = run("echo out; echo err >&2; echo out2; exit 4", tmp_path)
    assert result.outcome == "exited"
    assert result.exit_code == 4
    assert result.output == "out\nerr\nout2\n"
    assert result.leftovers == 0


def test_invalid_utf8_is_replaced_not_fatal(tmp_path: Path) -> None:
    result = run(r"printf 'ok \377\376 end\n'", tmp_path)
    assert result.output == "ok \ufffd\ufffd end\n"


def test_stdin_is_dev_null(tmp_path: Path) -> None:
    start = time.monotonic()
    result = run("cat; read -r line; echo read=$?", tmp_path, timeout_s=20)
    assert time.monotonic() - start < 5
    assert result.output == "read=1\n"


def test_timeout_kills_the_whole_group(tmp_path: Path, markers: list[str]) -> None:
    marker = unique_sleep()
    markers.append(marker)
    start = time.monotonic()
    result = run(f"{marker} & {marker} ; echo never", tmp_path, timeout_s=0.3)
    assert time.monotonic() - start < 4
    assert result.outcome == "timed_out"
    assert "never" not in result.output
    assert gone(marker)


def test_child_ignoring_sigterm_gets_sigkill(tmp_path: Path, markers: list[str]) -> None:
    marker = unique_sleep()
    markers.append(marker)
    start = time.monotonic()
    result = run(f"trap '' TERM; {marker}", tmp_path, timeout_s=0.3, term_grace_s=0.3)
    assert time.monotonic() - start < 4
    assert result.outcome == "timed_out"
    assert gone(marker)


def test_grandchild_holding_the_pipe_does_not_hang(tmp_path: Path, markers: list[str]) -> None:
    marker = unique_sleep()
    markers.append(marker)
    start = time.monotonic()
    result = run(f"({marker} &); echo hi", tmp_path)
    assert time.monotonic() - start < 5
    assert result.outcome == "exited"
    assert result.exit_code == 0
    assert result.output == "hi\n"
    assert result.leftovers >= 1
    assert gone(marker)


def test_processes_left_in_the_group_are_stopped(tmp_path: Path, markers: list[str]) -> None:
    marker = unique_sleep()
    markers.append(marker)
    result = run(f"{marker} >/dev/null 2>&1 & echo started", tmp_path)
    assert result.output == "started\n"
    assert result.leftovers == 1
    assert gone(marker)


def test_setsid_escape_is_caught_by_the_environment_tag(tmp_path: Path, markers: list[str]) -> None:
    marker = unique_sleep()
    markers.append(marker)
    result = run(f"setsid {marker} >/dev/null 2>&1 & sleep 0.2", tmp_path)
    assert result.outcome == "exited"
    assert result.leftovers == 1
    assert gone(marker)


def test_setsid_with_cleared_environment_is_caught_as_a_stray(
    tmp_path: Path, markers: list[str]
) -> None:
    """No tag and no group left: devagent, a child subreaper, still finds it by parentage."""
    marker = unique_sleep()
    markers.append(marker)
    result = run(f"setsid env -i {marker} >/dev/null 2>&1 </dev/null & sleep 0.2", tmp_path)
    assert result.outcome == "exited"
    assert result.leftovers == 1
    assert gone(marker)


def test_cancel_sends_sigint_first_then_returns(tmp_path: Path, markers: list[str]) -> None:
    marker = unique_sleep()
    markers.append(marker)
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    start = time.monotonic()
    result = run(f"trap 'echo got INT; exit 9' INT; {marker} & wait", tmp_path, cancel=cancel)
    assert time.monotonic() - start < 3.5
    assert result.outcome == "interrupted"
    assert "got INT" in result.output
    assert gone(marker)


def test_cancel_escalates_when_sigint_and_sigterm_are_ignored(
    tmp_path: Path, markers: list[str]
) -> None:
    marker = unique_sleep()
    markers.append(marker)
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    start = time.monotonic()
    result = run(f"trap '' INT TERM; {marker}", tmp_path, cancel=cancel)
    assert time.monotonic() - start < 4
    assert result.outcome == "interrupted"
    assert gone(marker)


HELPER = """
import os, sys, time
from pathlib import Path
from devagent.tools.process import JobRegistry
registry = JobRegistry()
registry.start(["bash", "-c", os.environ["MARKER"]], command="x", cwd=Path.cwd(), env=os.environ)
print("ready", flush=True)
time.sleep(1000)
"""


def test_sigkill_of_devagent_leaves_children_until_reap_orphans(
    tmp_path: Path, markers: list[str]
) -> None:
    """Policy without a sandbox: SIGKILL gives devagent no chance to clean up, so its
    commands survive; the next devagent start calls ``reap_orphans``, which kills them."""
    marker = unique_sleep()
    markers.append(marker)
    script = tmp_path / "helper.py"
    script.write_text(HELPER, encoding="utf-8")
    src = str(Path(devagent.__file__).resolve().parents[1])
    env = {**os.environ, "MARKER": marker, "PYTHONPATH": src}
    helper = subprocess.Popen(
        [sys.executable, str(script)], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert helper.stdout is not None
        assert helper.stdout.readline() == "ready\n"
        wait_for(marker)
    finally:
        helper.kill()
        helper.wait(timeout=5)
    assert live(marker), "policy: children of a SIGKILLed devagent keep running"
    assert reap_orphans() >= 1
    assert gone(marker)


def test_reap_orphans_spares_commands_of_a_live_owner(tmp_path: Path, markers: list[str]) -> None:
    marker = unique_sleep()
    markers.append(marker)
    registry = JobRegistry()
    job = registry.start(["bash", "-c", marker], command=marker, cwd=tmp_path, env=os.environ)
    try:
        wait_for(marker)
        reap_orphans()
        assert live(marker)
        assert job.status == "running"
    finally:
        registry.kill_all()
    assert gone(marker)


# --- background jobs -----------------------------------------------------------------------


def test_job_output_is_read_incrementally_then_exit_code(tmp_path: Path) -> None:
    registry = JobRegistry()
    job = registry.start(
        ["bash", "-c", "echo one; sleep 0.5; echo two; exit 7"],
        command="demo",
        cwd=tmp_path,
        env=scrubbed_env(os.environ),
    )
    assert job.id == "bash_1"
    seen = ""
    end = time.monotonic() + 5
    while "one" not in seen and time.monotonic() < end:
        seen += job.read_new()
        time.sleep(0.05)
    assert seen == "one\n"
    assert job.join(5)
    assert job.status == "exited"
    assert job.exit_code == 7
    assert job.read_new() == "two\n"
    assert registry.ids() == ["bash_1"]


def test_kill_all_leaves_no_process(tmp_path: Path, markers: list[str]) -> None:
    first, second = unique_sleep(), unique_sleep()
    markers.extend([first, second])
    registry = JobRegistry()
    env = scrubbed_env(os.environ)
    jobs = [
        registry.start(["bash", "-c", first], command=first, cwd=tmp_path, env=env),
        registry.start(
            ["bash", "-c", f"trap '' INT TERM; {second}"], command=second, cwd=tmp_path, env=env
        ),
    ]
    wait_for(first)
    wait_for(second)
    start = time.monotonic()
    registry.kill_all()
    assert time.monotonic() - start < 5
    assert [job.status for job in jobs] == ["killed", "killed"]
    assert gone(first)
    assert gone(second)
