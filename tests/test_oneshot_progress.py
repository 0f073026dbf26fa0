"""One-shot progress on stderr comes out in the order of the calls, whatever order they end in."""

from __future__ import annotations

import io
import random
import subprocess
import threading
from pathlib import Path

from devagent.events import (
    AssistantMessageDone,
    PermissionDenied,
    ToolFinished,
    ToolResultsSent,
    ToolStarted,
)
from devagent.messages import AssistantReply, Usage
from devagent.ui.oneshot import CallOrder, OneShotPrinter
from fakes.fake_api import FakeAPI, text_reply, tool_call, tool_reply


def reply_with(*ids: str) -> AssistantMessageDone:
    blocks = [{"type": "tool_use", "id": i, "name": "Read", "input": {}} for i in ids]
    return AssistantMessageDone(AssistantReply(blocks, "tool_use", Usage(), "m"))


def printer() -> tuple[OneShotPrinter, io.StringIO]:
    err = io.StringIO()
    return OneShotPrinter("text", "s1", out=io.StringIO(), err=err), err


def test_calls_that_end_out_of_order_are_reported_in_call_order() -> None:
    shown, err = printer()
    shown(reply_with("a", "b", "c"))
    shown(ToolStarted("c", "Grep", {"pattern": "TODO"}))
    shown(ToolFinished("c", "Grep", "boom", True))
    shown(ToolStarted("b", "Glob", {"pattern": "*.py"}))
    assert err.getvalue() == ""  # "a" has not started: everything after it waits
    shown(ToolStarted("a", "Read", {"file_path": "a.py"}))
    assert err.getvalue() == "→ Read a.py\n"  # the first call shows as soon as it starts
    shown(ToolFinished("b", "Glob", "x.py", False))
    shown(ToolFinished("a", "Read", "     1\tx", False))
    assert err.getvalue() == "→ Read a.py\n→ Glob *.py\n→ Grep TODO\n  ✗ Grep: boom\n"


def test_a_denied_call_keeps_its_place_and_held_lines_come_out_with_the_results() -> None:
    shown, err = printer()
    shown(reply_with("a", "b", "c"))
    shown(PermissionDenied("b", "Write", {"file_path": "n.txt"}, "nobody can answer"))
    shown(ToolFinished("b", "Write", "Permission denied: nobody can answer.", True))
    shown(ToolStarted("c", "Read", {"file_path": "c.py"}))
    shown(ToolResultsSent([]))  # "a" never ran (interrupted): what is held comes out now
    assert err.getvalue() == (
        "  ⊘ Write denied: nobody can answer\n"
        "  ✗ Write: Permission denied: nobody can answer.\n"
        "→ Read c.py\n"
    )
    shown(ToolStarted("x", "Bash", {"command": "ls"}))  # a sub-agent's call: shown at once
    assert err.getvalue().endswith("→ Bash ls\n")


def test_an_error_without_text_is_still_reported() -> None:
    shown, err = printer()
    shown(ToolFinished("t", "Bash", "", True))
    assert err.getvalue() == "  ✗ Bash: \n"


def test_many_threads_in_any_order() -> None:
    lines: list[str] = []
    order = CallOrder(lines.append)
    ids = [f"t{n}" for n in range(30)]
    order.expect(ids)
    shuffled = ids[:]
    random.Random(7).shuffle(shuffled)

    def run(tool_use_id: str) -> None:
        order.add(tool_use_id, f"start {tool_use_id}")
        order.add(tool_use_id, f"end {tool_use_id}", finished=True)

    threads = [threading.Thread(target=run, args=(i,)) for i in shuffled]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert lines == [line for i in ids for line in (f"start {i}", f"end {i}")]


def test_text_mode_reports_parallel_read_only_calls_in_call_order(
    devagent_cmd: list[str], devagent_env: dict[str, str], tmp_path: Path, fake_api: FakeAPI
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "a.txt").write_text("alpha\n")
    (repo / "b.py").write_text("# TODO: beta\n")
    # The call with bad input fails while the calls are checked, and the Write is denied
    # then, before the read-only calls run (in parallel): without ordering their lines
    # would come first.
    fake_api.enqueue(
        tool_reply(
            tool_call("Read", {"file_path": "a.txt"}),
            tool_call("Grep", {"pattern": "TODO"}),
            tool_call("Read", {"limit": 3}),
            tool_call("Write", {"file_path": "new.txt", "content": "x\n"}),
            tool_call("Glob", {"pattern": "*.py"}),
        ),
        text_reply("Looked around."),
    )
    done = subprocess.run(
        [*devagent_cmd, "-p", "look around"],
        env=devagent_env,
        cwd=repo,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Looked around.\n"
    progress = [line for line in done.stderr.splitlines() if line.startswith(("→", "  "))]
    assert [line.split(":")[0] for line in progress] == [
        "→ Read a.txt",
        "→ Grep TODO",
        "  ✗ Read",
        "  ⊘ Write denied",
        "  ✗ Write",
        "→ Glob *.py",
    ], done.stderr
    assert not (repo / "new.txt").exists()
