"""Plan mode and ExitPlanMode: the model explores read-only, presents a plan, and the answer
decides the mode (or, in one-shot, ends the run with the plan as its result).

The conversation tests build the agent as the chat does (``build_agent``, the permission engine
as the mode holder) around the real SDK adapter and the fake Messages API; the CLI tests run
the real `devagent` process.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from devagent.agent import RunInterrupted
from devagent.approval import (
    ApprovalAnswer,
    ApprovalRequest,
    Approver,
    DenyingApprover,
    PlanAnswer,
    PlanApproval,
)
from devagent.assembly import AgentOptions
from devagent.conversation import NO_REPLY, Conversation
from devagent.llm.anthropic import AnthropicModel, RetryPolicy
from devagent.permissions import PermissionEngine
from devagent.personas import Catalog, Persona
from devagent.prompt import PLAN_MODE_NOTE
from devagent.session import SessionStore, load, sessions_dir
from devagent.tools.plan import ENDED
from fakes.fake_api import FakeAPI, RecordedRequest, text_reply, tool_call, tool_reply

PLAN = "## Bump the version\n\n1. Change `VERSION = 1` to `VERSION = 2` in app.py\n2. Run the tests"
ORIGINAL = b"VERSION = 1\nNAME = 'demo'\n"
BUMPED = b"VERSION = 2\nNAME = 'demo'\n"
EDIT = {"file_path": "app.py", "old_string": "VERSION = 1", "new_string": "VERSION = 2"}


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "app.py").write_bytes(ORIGINAL)
    return root


@dataclass
class PlanApprover:
    """Answers plans from ``plans`` and other calls from ``calls``, recording every question."""

    plans: list[PlanAnswer] = field(default_factory=list)
    calls: list[bool] = field(default_factory=list)
    asked: list[ApprovalRequest] = field(default_factory=list)
    shown: list[PlanApproval] = field(default_factory=list)

    def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        self.asked.append(request)
        return ApprovalAnswer(self.calls.pop(0))

    def review_plan(self, request: PlanApproval) -> PlanAnswer:
        self.shown.append(request)
        return self.plans.pop(0)


def open_conversation(
    ws: Path,
    home: Path,
    fake: FakeAPI,
    approver: Approver,
    mode: str = "plan",
    catalog: Catalog | None = None,
) -> tuple[Conversation, PermissionEngine]:
    engine = PermissionEngine(ws, mode=mode)  # type: ignore[arg-type]
    options = AgentOptions(
        workspace=ws,
        cwd=ws,
        home=home,
        model_name="claude-sonnet-5-5",
        make_model=lambda name: AnthropicModel(
            name, api_key="test-key", base_url=fake.base_url, policy=RetryPolicy(max_retries=0)
        ),
        policy=engine,
        approver=approver,
        modes=engine,
        catalog=catalog,
    )
    sessions = SessionStore(sessions_dir(home, ws), {"workspace": str(ws)})
    return Conversation.start(options, sessions, "plan-session"), engine


def result_of(request: RecordedRequest, index: int = 0) -> dict[str, Any]:
    return request.tool_results()[index]


def result_text(result: dict[str, Any]) -> str:
    content = result["content"]
    return content if isinstance(content, str) else content[0]["text"]


def first_texts(request: RecordedRequest) -> list[str]:
    content = request.messages[0]["content"]
    return [content] if isinstance(content, str) else [b["text"] for b in content]


# --- the conversation ---------------------------------------------------------------------------


def test_accept_edits_leaves_plan_mode_and_the_next_edit_runs_without_asking(
    ws: Path, devagent_home: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(
        tool_reply(tool_call("Read", {"file_path": "app.py"})),
        tool_reply(tool_call("Edit", EDIT)),
        tool_reply(tool_call("ExitPlanMode", {"plan": PLAN})),
        tool_reply(tool_call("Edit", EDIT)),
        text_reply("Bumped."),
    )
    approver = PlanApprover(plans=[PlanAnswer("accept_edits")])
    conversation, engine = open_conversation(ws, devagent_home, fake_api, approver)
    run = conversation.run("bump the version")
    conversation.close()
    assert (run.subtype, run.result) == ("success", "Bumped.")
    assert approver.shown == [PlanApproval(PLAN)] and approver.asked == []
    assert engine.mode == "acceptEdits"
    assert [d["tool_name"] for d in run.permission_denials] == ["Edit"]
    assert "plan mode" in result_text(result_of(fake_api.requests[2]))
    approved = result_of(fake_api.requests[3])
    assert not approved.get("is_error") and "mode: acceptEdits" in result_text(approved)
    assert ws.joinpath("app.py").read_bytes() == BUMPED
    first = fake_api.requests[0]
    assert "ExitPlanMode" in first.tool_names() and "Plan mode:" in first.system_text()
    assert first_texts(first) == [PLAN_MODE_NOTE, "bump the version"]


def test_ask_for_each_edit_switches_to_default_mode_where_the_next_edit_asks(
    ws: Path, devagent_home: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(
        tool_reply(tool_call("Read", {"file_path": "app.py"})),
        tool_reply(tool_call("ExitPlanMode", {"plan": PLAN})),
        tool_reply(tool_call("Edit", EDIT)),
        text_reply("Bumped."),
    )
    approver = PlanApprover(plans=[PlanAnswer("ask_each")], calls=[True])
    conversation, engine = open_conversation(ws, devagent_home, fake_api, approver)
    conversation.run("bump the version")
    conversation.close()
    assert engine.mode == "default"
    assert [r.tool_name for r in approver.asked] == ["Edit"]
    assert "mode: default" in result_text(result_of(fake_api.requests[2]))
    assert ws.joinpath("app.py").read_bytes() == BUMPED


def test_keep_planning_sends_the_feedback_back_and_plan_mode_stays(
    ws: Path, devagent_home: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(
        tool_reply(tool_call("ExitPlanMode", {"plan": PLAN})),
        text_reply("I will also update the changelog."),
        text_reply("Here is more."),
    )
    answer = PlanAnswer("keep_planning", "also update CHANGELOG.md")
    approver = PlanApprover(plans=[answer])
    conversation, engine = open_conversation(ws, devagent_home, fake_api, approver)
    conversation.run("bump the version")
    conversation.run(conversation.compose("what else?"))
    conversation.close()
    rejected = result_of(fake_api.requests[1])
    assert rejected["is_error"] is True
    assert "plan mode stays on" in rejected["content"]
    assert rejected["content"].endswith("\nThe user said: also update CHANGELOG.md")
    assert engine.mode == "plan"
    assert fake_api.requests[2].last_message["content"][0]["text"] == PLAN_MODE_NOTE
    assert ws.joinpath("app.py").read_bytes() == ORIGINAL


def test_outside_plan_mode_the_call_is_an_error_and_nobody_is_asked(
    ws: Path, devagent_home: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(tool_reply(tool_call("ExitPlanMode", {"plan": PLAN})), text_reply("OK."))
    approver = PlanApprover()
    conversation, engine = open_conversation(ws, devagent_home, fake_api, approver, "default")
    run = conversation.run("plan it")
    conversation.close()
    result = result_of(fake_api.requests[1])
    assert result["is_error"] is True
    assert "Not in plan mode (the permission mode is default)" in result["content"]
    assert approver.shown == [] and run.permission_denials == [] and engine.mode == "default"
    assert first_texts(fake_api.requests[0]) == ["plan it"]  # no plan-mode note


def test_an_empty_plan_is_refused_without_asking(
    ws: Path, devagent_home: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(tool_reply(tool_call("ExitPlanMode", {"plan": " \n "})), text_reply("OK."))
    approver = PlanApprover()
    conversation, _ = open_conversation(ws, devagent_home, fake_api, approver)
    conversation.run("plan it")
    conversation.close()
    result = result_of(fake_api.requests[1])
    assert result["is_error"] is True and "The plan is empty" in result["content"]
    assert approver.shown == []


def test_ctrl_c_at_the_plan_question_interrupts_the_turn_and_plan_mode_stays(
    ws: Path, devagent_home: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(tool_reply(tool_call("ExitPlanMode", {"plan": PLAN})))

    class Interrupting(PlanApprover):
        def review_plan(self, request: PlanApproval) -> PlanAnswer:
            raise KeyboardInterrupt

    conversation, engine = open_conversation(ws, devagent_home, fake_api, Interrupting())
    with pytest.raises(RunInterrupted):
        conversation.run("plan it")
    conversation.close()
    [closed] = conversation.history[-1]["content"]
    assert closed["is_error"] is True and "Interrupted by user" in closed["content"]
    assert engine.mode == "plan"


def test_a_deny_rule_on_exit_plan_mode_wins_and_nobody_is_asked(
    ws: Path, devagent_home: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(tool_reply(tool_call("ExitPlanMode", {"plan": PLAN})), text_reply("OK."))
    approver = PlanApprover()
    conversation, engine = open_conversation(ws, devagent_home, fake_api, approver)
    engine.add_session_rule("deny", "ExitPlanMode")
    run = conversation.run("plan it")
    conversation.close()
    assert [d["tool_name"] for d in run.permission_denials] == ["ExitPlanMode"]
    assert approver.shown == [] and engine.mode == "plan"


def test_nobody_to_answer_ends_the_run_with_the_plan_and_later_calls_are_not_run(
    ws: Path, devagent_home: Path, fake_api: FakeAPI
) -> None:
    write = tool_call("Write", {"file_path": "new.txt", "content": "x"})
    fake_api.enqueue(tool_reply(tool_call("ExitPlanMode", {"plan": PLAN}), write))
    conversation, engine = open_conversation(ws, devagent_home, fake_api, DenyingApprover())
    run = conversation.run("plan it")
    assert (run.subtype, run.result, run.num_turns) == ("success", PLAN, 1)
    last = conversation.history[-1]["content"]
    assert [b["content"] for b in last] == [ENDED, "Not run: the run stopped before this call."]
    assert not ws.joinpath("new.txt").exists() and engine.mode == "plan"
    # The session goes on without a note saying the last request got no reply.
    assert conversation.compose("go ahead") == "go ahead"
    conversation.history.append({"role": "user", "content": "lost"})
    composed = conversation.compose("again")
    assert isinstance(composed, list) and composed[0]["text"] == NO_REPLY
    conversation.close()


def test_sub_agents_get_no_exit_plan_mode_and_no_plan_mode_prompt(
    ws: Path, devagent_home: Path, fake_api: FakeAPI
) -> None:
    scout = Persona("scout", "Finds things.", "You find things.", ws / "scout.md")
    task = {"description": "look", "prompt": "find VERSION", "subagent_type": "scout"}
    fake_api.enqueue(
        tool_reply(tool_call("Task", task)), text_reply("app.py:1"), text_reply("Found it.")
    )
    approver, catalog = PlanApprover(), Catalog([scout])
    conversation, _ = open_conversation(ws, devagent_home, fake_api, approver, "plan", catalog)
    conversation.run("where is VERSION?")
    conversation.close()
    parent, child, _ = fake_api.requests
    assert "ExitPlanMode" in parent.tool_names() and "Plan mode:" in parent.system_text()
    assert "ExitPlanMode" not in child.tool_names() and "Plan mode:" not in child.system_text()


# --- one-shot, the real CLI ---------------------------------------------------------------------


def oneshot(
    cmd: list[str], env: dict[str, str], cwd: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cmd, "-p", "bump the version", *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def enqueue_plan_run(fake: FakeAPI) -> None:
    fake.enqueue(
        tool_reply(tool_call("Read", {"file_path": "app.py"})),
        tool_reply(tool_call("Edit", EDIT)),
        tool_reply(tool_call("ExitPlanMode", {"plan": PLAN})),
    )


def test_oneshot_json_ends_with_the_plan_as_result_and_changes_nothing(
    fake_api: FakeAPI, devagent_env: dict[str, str], devagent_cmd: list[str], ws: Path
) -> None:
    enqueue_plan_run(fake_api)
    done = oneshot(
        devagent_cmd, devagent_env, ws, "--permission-mode", "plan", "--output-format", "json"
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["subtype"], result["is_error"], result["result"]) == ("success", False, PLAN)
    assert result["num_turns"] == 3
    assert [d["tool_name"] for d in result["permission_denials"]] == ["Edit"]
    assert "plan mode" in result["permission_denials"][0]["reason"]
    assert ws.joinpath("app.py").read_bytes() == ORIGINAL
    assert len(fake_api.requests) == 3  # nothing was asked after the plan
    assert first_texts(fake_api.requests[0]) == [PLAN_MODE_NOTE, "bump the version"]


def test_oneshot_text_prints_the_plan_on_stdout(
    fake_api: FakeAPI, devagent_env: dict[str, str], devagent_cmd: list[str], ws: Path
) -> None:
    enqueue_plan_run(fake_api)
    done = oneshot(devagent_cmd, devagent_env, ws, "--permission-mode", "plan")
    assert done.returncode == 0, done.stderr
    assert done.stdout == PLAN + "\n"
    assert "⊘ Edit denied: plan mode" in done.stderr and "→ ExitPlanMode" in done.stderr
    assert ws.joinpath("app.py").read_bytes() == ORIGINAL


def test_oneshot_stream_json_shows_the_call_and_ends_with_the_plan(
    fake_api: FakeAPI, devagent_env: dict[str, str], devagent_cmd: list[str], ws: Path
) -> None:
    enqueue_plan_run(fake_api)
    done = oneshot(
        devagent_cmd,
        devagent_env,
        ws,
        "--permission-mode",
        "plan",
        "--output-format",
        "stream-json",
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[0]["subtype"] == "init" and "ExitPlanMode" in lines[0]["tools"]
    call = lines[-3]["message"]["content"][0]
    assert (call["name"], call["input"]) == ("ExitPlanMode", {"plan": PLAN})
    assert lines[-2]["message"]["content"][0]["content"] == ENDED
    assert lines[-1]["type"] == "result"
    assert (lines[-1]["subtype"], lines[-1]["result"]) == ("success", PLAN)


def test_oneshot_outside_plan_mode_gets_an_error_result_and_goes_on(
    fake_api: FakeAPI, devagent_env: dict[str, str], devagent_cmd: list[str], ws: Path
) -> None:
    fake_api.enqueue(
        tool_reply(tool_call("ExitPlanMode", {"plan": PLAN})), text_reply("Carrying on.")
    )
    done = oneshot(devagent_cmd, devagent_env, ws, "--output-format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["result"], result["permission_denials"]) == ("Carrying on.", [])
    error = result_of(fake_api.requests[1])
    assert error["is_error"] is True and "Not in plan mode" in error["content"]


def test_continue_after_a_plan_carries_it_out_with_the_plan_in_the_history(
    fake_api: FakeAPI,
    devagent_env: dict[str, str],
    devagent_cmd: list[str],
    devagent_home: Path,
    ws: Path,
) -> None:
    enqueue_plan_run(fake_api)
    first = oneshot(
        devagent_cmd, devagent_env, ws, "--permission-mode", "plan", "--output-format", "json"
    )
    session_id = json.loads(first.stdout)["session_id"]
    fake_api.enqueue(
        tool_reply(tool_call("Read", {"file_path": "app.py"})),
        tool_reply(tool_call("Edit", EDIT)),
        text_reply("Done as planned."),
    )
    done = subprocess.run(
        [*devagent_cmd, "-p", "go ahead", "--continue", "--permission-mode", "acceptEdits"],
        env=devagent_env,
        cwd=ws,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Done as planned.\n"
    assert ws.joinpath("app.py").read_bytes() == BUMPED
    resumed = fake_api.requests[3].messages
    calls = [b for m in resumed if isinstance(m["content"], list) for b in m["content"]]
    plan_call = next(b for b in calls if b.get("name") == "ExitPlanMode")
    assert plan_call["input"] == {"plan": PLAN}
    assert fake_api.requests[3].last_user_text() == "go ahead"  # acceptEdits: no plan note
    assert NO_REPLY not in json.dumps(resumed)
    saved = load(sessions_dir(devagent_home, ws.resolve()) / f"{session_id}.jsonl")
    assert any(
        b.get("input") == {"plan": PLAN}
        for m in saved.messages
        if isinstance(m["content"], list)
        for b in m["content"]
    )
