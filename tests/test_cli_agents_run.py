"""--agent and Task delegation end to end: what the fake API receives is what the persona says."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from clirun import run
from fakes.fake_api import FakeAPI, Usage, text_reply, tool_call, tool_reply
from fakes.lock_holder import lock_held_elsewhere

SCOUT = """\
---
name: scout
description: Finds where things are defined. Use it for broad code searches.
tools: Read, Grep, WebFetch
model: haiku
---
You are the scout persona. SCOUT-BODY-MARKER
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".claude" / "agents").mkdir(parents=True)
    (root / ".claude" / "agents" / "scout.md").write_text(SCOUT)
    (root / "app.py").write_text("print('hi')\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_agent_sets_role_tools_and_model(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(text_reply("found it"))
    args = ["-p", "find main", "--agent", "scout", "--output-format", "stream-json"]
    done = run(devagent_cmd, args, devagent_env, repo)
    assert done.returncode == 0, done.stderr
    request = fake_api.requests[0]
    system = request.system_text()
    assert system.startswith("You are the scout persona. SCOUT-BODY-MARKER")
    assert "<env>" in system and str(repo) in system
    assert request.tool_names() == ["Read", "Grep", "WebFetch"]
    assert request.model == "claude-haiku-5-5"
    init = json.loads(done.stdout.splitlines()[0])
    assert init["agent"] == "scout" and init["tools"] == ["Read", "Grep", "WebFetch"]


def test_model_flag_beats_the_persona_model(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(text_reply("ok"))
    run(devagent_cmd, ["-p", "q", "--agent", "scout", "--model", "opus"], devagent_env, repo)
    assert fake_api.requests[0].model == "claude-opus-5-5"


def test_bundled_persona_by_name(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(text_reply("reviewed"))
    done = run(devagent_cmd, ["-p", "review", "--agent", "code-reviewer"], devagent_env, repo)
    assert done.returncode == 0, done.stderr
    assert fake_api.requests[0].tool_names() == ["Read", "Grep", "Glob", "LS"]


def test_unknown_agent_exits_2_listing_close_names(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path
) -> None:
    done = run(devagent_cmd, ["-p", "q", "--agent", "code-reviewr"], devagent_env, repo)
    assert done.returncode == 2
    assert "code-reviewr" in done.stderr and "code-reviewer" in done.stderr


def test_task_delegates_to_a_sub_agent_and_returns_only_its_text(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    delegate = tool_call(
        "Task",
        {"description": "find main", "prompt": "Where is main defined?", "subagent_type": "scout"},
    )
    fake_api.enqueue(
        tool_reply(delegate, usage=Usage(input_tokens=100, output_tokens=10)),
        tool_reply(tool_call("Grep", {"pattern": "print"}), usage=Usage(200, 20)),
        text_reply("main is in app.py:1", usage=Usage(300, 30)),
        text_reply("The scout says app.py:1.", usage=Usage(400, 40)),
    )
    args = ["-p", "where is main?", "--output-format", "json"]
    done = run(devagent_cmd, args, devagent_env, repo)
    assert done.returncode == 0, done.stderr
    parent, child, child2, parent2 = fake_api.requests
    assert "Task" in parent.tool_names()
    task_spec = next(t for t in parent.tools if t["name"] == "Task")
    assert "- scout: Finds where things are defined." in task_spec["description"]
    assert child.system_text().startswith("You are the scout persona.")
    assert child.tool_names() == ["Read", "Grep", "WebFetch"]  # no Task: sub-agents cannot nest
    assert child.last_user_text() == "Where is main defined?" and len(child.messages) == 1
    assert child.model == "claude-haiku-5-5" and child2.model == "claude-haiku-5-5"
    [result] = parent2.tool_results()
    text = json.dumps(result)
    assert "main is in app.py:1" in text and "scout: 2 turns" in text
    assert "print" not in text  # the child's own tool traffic stays in the child
    summary = json.loads(done.stdout)
    assert summary["usage"]["input_tokens"] == 1000
    assert summary["usage"]["output_tokens"] == 100
    sub = list(Path(devagent_env["DEVAGENT_HOME"]).glob("sessions/*/*.subagents/*-scout.jsonl"))
    assert len(sub) == 1 and "Where is main defined?" in sub[0].read_text()


def test_task_with_an_unknown_type_is_an_error_result(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    bad = tool_call("Task", {"description": "x", "prompt": "y", "subagent_type": "scuot"})
    fake_api.enqueue(tool_reply(bad), text_reply("sorry"))
    done = run(devagent_cmd, ["-p", "q"], devagent_env, repo)
    assert done.returncode == 0
    [result] = fake_api.requests[1].tool_results()
    assert result["is_error"] is True and "scout" in json.dumps(result)


def test_a_sub_agent_transcript_open_in_another_process_is_skipped(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(text_reply("hello"))
    first = run(devagent_cmd, ["-p", "hi", "--output-format", "json"], devagent_env, repo)
    session_id = json.loads(first.stdout)["session_id"]
    [path] = Path(devagent_env["DEVAGENT_HOME"]).glob(f"sessions/*/{session_id}.jsonl")
    taken = path.with_suffix(".subagents") / "001-scout.jsonl"
    taken.parent.mkdir()
    delegate = tool_call(
        "Task",
        {"description": "find main", "prompt": "Where is main defined?", "subagent_type": "scout"},
    )
    fake_api.enqueue(tool_reply(delegate), text_reply("in app.py"), text_reply("app.py"))
    with lock_held_elsewhere(taken):
        args = ["-p", "where is main?", "--resume", session_id]
        done = run(devagent_cmd, args, devagent_env, repo)
    assert done.returncode == 0, done.stderr
    assert taken.read_bytes() == b""
    assert "Where is main defined?" in (taken.parent / "002-scout.jsonl").read_text()


def test_a_resumed_session_numbers_new_sub_agents_after_its_earlier_ones(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    delegate = tool_call(
        "Task",
        {"description": "find main", "prompt": "Where is main defined?", "subagent_type": "scout"},
    )
    fake_api.enqueue(tool_reply(delegate), text_reply("in app.py"), text_reply("app.py"))
    first = run(devagent_cmd, ["-p", "where?", "--output-format", "json"], devagent_env, repo)
    session_id = json.loads(first.stdout)["session_id"]
    [path] = Path(devagent_env["DEVAGENT_HOME"]).glob(f"sessions/*/{session_id}.jsonl")
    earlier = path.with_suffix(".subagents") / "001-scout.jsonl"
    before = earlier.read_bytes()
    again = tool_call(
        "Task",
        {"description": "find tests", "prompt": "Where are the tests?", "subagent_type": "scout"},
    )
    fake_api.enqueue(tool_reply(again), text_reply("in tests/"), text_reply("tests/"))
    done = run(devagent_cmd, ["-p", "tests?", "--resume", session_id], devagent_env, repo)
    assert done.returncode == 0, done.stderr
    assert earlier.read_bytes() == before
    assert "Where are the tests?" in (earlier.parent / "002-scout.jsonl").read_text()
