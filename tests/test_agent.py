"""The agent loop, driven by the scripted model: pairing, limits, denials, concurrency."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, ClassVar

import pytest

from devagent.agent import Agent, Limits, RunInterrupted
from devagent.approval import (
    ApprovalAnswer,
    ApprovalRequest,
    DenyingApprover,
    ReadOnlyPolicy,
)
from devagent.errors import ModelError
from devagent.events import Event
from devagent.llm.scripted import (
    ScriptedModel,
    ScriptExhausted,
    ScriptStep,
    text_reply,
    tool_reply,
)
from devagent.messages import AssistantReply, Usage
from devagent.session import Transcript, load
from devagent.tools.base import (
    Args,
    FileChange,
    PreparedCall,
    Tool,
    ToolContext,
    ToolError,
    ToolInterrupted,
    ToolResult,
)
from devagent.tools.registry import ToolRegistry


class Echo(Tool):
    name = "Echo"
    description = "Echo the text back."
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"text": {"type": "string"}},
        "required": ["text"],
    }
    read_only = True

    def __init__(self, barrier: threading.Barrier | None = None) -> None:
        self.barrier = barrier
        self.calls: list[str] = []

    def run(self, args: Args, ctx: ToolContext) -> ToolResult:
        if self.barrier is not None:
            try:
                self.barrier.wait()
            except threading.BrokenBarrierError as exc:
                raise ToolError("not run concurrently") from exc
        self.calls.append(args["text"])
        return ToolResult(f"echo: {args['text']}")


class Fail(Tool):
    name = "Fail"
    description = "Always fails."
    input_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}
    read_only = True

    def run(self, args: Args, ctx: ToolContext) -> ToolResult:
        raise ToolError("it failed, as it always does")


class Change(Tool):
    name = "Change"
    description = "Pretends to change a file."
    input_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}
    read_only = False

    def __init__(self) -> None:
        self.ran = 0

    def prepare(self, args: Args, ctx: ToolContext) -> PreparedCall:
        def execute() -> ToolResult:
            self.ran += 1
            return ToolResult("changed")

        change = FileChange(ctx.workspace / "a.txt", b"old\n", b"new\n")
        return PreparedCall(execute, paths=(change.path,), changes=(change,))


class Interrupt(Tool):
    name = "Interrupt"
    description = "Simulates Ctrl-C during a tool."
    input_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}
    read_only = False

    def run(self, args: Args, ctx: ToolContext) -> ToolResult:
        raise ToolInterrupted("partial output")


class RecordingApprover:
    def __init__(self, approve: bool, feedback: str | None = None) -> None:
        self.approve, self.feedback = approve, feedback
        self.requests: list[ApprovalRequest] = []

    def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        self.requests.append(request)
        return ApprovalAnswer(self.approve, self.feedback)


def make_agent(
    tmp_path: Path, model: ScriptedModel, tools: list[Tool], **kwargs: Any
) -> tuple[Agent, list[Event]]:
    events: list[Event] = []
    agent = Agent(
        model=model,
        tools=ToolRegistry(tools),
        ctx=ToolContext(workspace=tmp_path, cwd=tmp_path),
        policy=kwargs.pop("policy", ReadOnlyPolicy()),
        approver=kwargs.pop("approver", DenyingApprover()),
        system="system prompt",
        emit=events.append,
        **kwargs,
    )
    return agent, events


def assert_pairs_valid(history: list[dict[str, Any]]) -> None:
    """Every tool_use is answered by exactly one tool_result in the next message."""
    for i, message in enumerate(history):
        if message["role"] != "assistant":
            continue
        ids = [b["id"] for b in message["content"] if b.get("type") == "tool_use"]
        if not ids:
            continue
        nxt = history[i + 1]
        assert nxt["role"] == "user"
        results = [b["tool_use_id"] for b in nxt["content"] if b.get("type") == "tool_result"]
        assert sorted(results) == sorted(ids)


def test_plain_answer_is_one_turn(tmp_path: Path) -> None:
    model = ScriptedModel([text_reply("The config is parsed in config.py.")])
    agent, _ = make_agent(tmp_path, model, [Echo()])
    run = agent.run("where is the config parsed?")
    model.assert_consumed()
    assert (run.subtype, run.result, run.num_turns) == (
        "success",
        "The config is parsed in config.py.",
        1,
    )
    assert model.requests[0].messages == [
        {"role": "user", "content": "where is the config parsed?"}
    ]
    assert model.requests[0].system == "system prompt"
    assert [t.name for t in model.requests[0].tools] == ["Echo"]


def test_tool_result_goes_back_in_the_next_request(tmp_path: Path) -> None:
    call = tool_reply(("Echo", {"text": "hi"}))
    model = ScriptedModel([call, text_reply("done")])
    agent, _ = make_agent(tmp_path, model, [Echo()])
    run = agent.run("go")
    assert run.result == "done"
    last = model.requests[1].messages[-1]
    assert last == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": call.content[0]["id"], "content": "echo: hi"}
        ],
    }


def test_several_calls_answer_in_one_user_message_in_order(tmp_path: Path) -> None:
    call = tool_reply(("Echo", {"text": "a"}), ("Nope", {}), ("Echo", {"text": "b"}))
    model = ScriptedModel([call, text_reply("ok")])
    agent, _ = make_agent(tmp_path, model, [Echo()])
    agent.run("go")
    results = model.requests[1].messages[-1]["content"]
    assert [r["tool_use_id"] for r in results] == [b["id"] for b in call.content]
    assert results[0]["content"] == "echo: a" and results[2]["content"] == "echo: b"
    assert results[1]["is_error"] is True
    assert "Unknown tool 'Nope'" in results[1]["content"] and "Echo" in results[1]["content"]
    assert_pairs_valid(agent.history)


def test_read_only_calls_run_concurrently(tmp_path: Path) -> None:
    echo = Echo(barrier=threading.Barrier(2, timeout=5))
    model = ScriptedModel(
        [tool_reply(("Echo", {"text": "a"}), ("Echo", {"text": "b"})), text_reply("ok")]
    )
    agent, _ = make_agent(tmp_path, model, [echo])
    agent.run("go")
    results = model.requests[1].messages[-1]["content"]
    assert not any(r.get("is_error") for r in results), results
    assert sorted(echo.calls) == ["a", "b"]


def test_schema_invalid_input_is_an_error_result_and_nothing_runs(tmp_path: Path) -> None:
    echo = Echo()
    model = ScriptedModel([tool_reply(("Echo", {})), text_reply("ok")])
    agent, _ = make_agent(tmp_path, model, [echo])
    agent.run("go")
    result = model.requests[1].messages[-1]["content"][0]
    assert result["is_error"] is True and "text is required" in result["content"]
    assert echo.calls == []


def test_unparseable_input_is_reported_not_defaulted(tmp_path: Path) -> None:
    echo = Echo()
    broken = tool_reply(("Echo", {}))
    broken.input_errors[broken.content[0]["id"]] = "invalid tool input JSON: {oops"
    model = ScriptedModel([broken, text_reply("ok")])
    agent, _ = make_agent(tmp_path, model, [echo])
    agent.run("go")
    result = model.requests[1].messages[-1]["content"][0]
    assert result["is_error"] is True and "invalid tool input JSON" in result["content"]
    assert echo.calls == []


def test_max_turns_stops_with_its_subtype(tmp_path: Path) -> None:
    model = ScriptedModel([tool_reply(("Echo", {"text": str(i)})) for i in range(2)])
    agent, _ = make_agent(tmp_path, model, [Echo()], limits=Limits(max_turns=2))
    run = agent.run("loop forever")
    model.assert_consumed()
    assert run.subtype == "error_max_turns" and run.is_error and run.num_turns == 2
    assert "--max-turns 2" in run.result
    assert_pairs_valid(agent.history)


def test_max_budget_stops_with_its_subtype(tmp_path: Path) -> None:
    expensive = tool_reply(("Echo", {"text": "x"}))
    expensive.usage = Usage(input_tokens=1_000_000, output_tokens=0)  # $2 on sonnet-5-5
    model = ScriptedModel([expensive])
    agent, _ = make_agent(tmp_path, model, [Echo()], limits=Limits(max_budget_usd=1.0))
    run = agent.run("spend")
    assert run.subtype == "error_max_budget"
    assert run.cost_usd == pytest.approx(2.0)


def test_repeated_identical_failing_call_stops_after_three(tmp_path: Path) -> None:
    model = ScriptedModel([tool_reply(("Fail", {})) for _ in range(3)])
    agent, _ = make_agent(tmp_path, model, [Fail()])
    run = agent.run("try")
    model.assert_consumed()
    assert run.subtype == "error_during_execution"
    assert "repeated the same failing Fail call 3 times" in run.result
    assert_pairs_valid(agent.history)


def test_a_stopped_turn_does_not_stop_the_next_one(tmp_path: Path) -> None:
    replies: list[ScriptStep] = [tool_reply(("Fail", {})) for _ in range(3)]
    replies += [tool_reply(("Fail", {})), text_reply("recovered")]
    model = ScriptedModel(replies)
    agent, _ = make_agent(tmp_path, model, [Fail()])
    assert agent.run("try").subtype == "error_during_execution"
    run = agent.run("try once more")
    model.assert_consumed()
    assert (run.subtype, run.result) == ("success", "recovered")
    assert_pairs_valid(agent.history)


def test_max_tokens_cut_tool_call_is_not_run(tmp_path: Path) -> None:
    echo = Echo()
    cut = tool_reply(("Echo", {"text": "partial"}))
    cut.stop_reason = "max_tokens"
    model = ScriptedModel([cut, text_reply("retried")])
    agent, _ = make_agent(tmp_path, model, [echo])
    run = agent.run("go")
    assert echo.calls == [] and run.result == "retried"
    result = model.requests[1].messages[-1]["content"][0]
    assert result["is_error"] is True and "max_tokens" in result["content"]


def test_pause_turn_resends_without_a_new_user_message(tmp_path: Path) -> None:
    paused = AssistantReply([{"type": "text", "text": "thinking…"}], "pause_turn", Usage(), "")
    model = ScriptedModel([paused, text_reply("done")])
    agent, _ = make_agent(tmp_path, model, [Echo()])
    assert agent.run("go").result == "done"
    assert model.requests[1].messages[-1]["role"] == "assistant"


def test_ask_in_one_shot_is_a_recorded_denial(tmp_path: Path) -> None:
    change = Change()
    call = tool_reply(("Change", {}))
    model = ScriptedModel([call, text_reply("ok")])
    agent, _ = make_agent(tmp_path, model, [change])
    run = agent.run("change it")
    assert change.ran == 0
    assert run.permission_denials == [
        {
            "tool_name": "Change",
            "tool_use_id": call.content[0]["id"],
            "tool_input": {},
            "reason": "Change changes files or runs commands",
        }
    ]
    assert "Permission denied" in model.requests[1].messages[-1]["content"][0]["content"]


def test_approver_sees_the_exact_diff_and_feedback_reaches_the_model(tmp_path: Path) -> None:
    change = Change()
    approver = RecordingApprover(approve=False, feedback="use a different name")
    model = ScriptedModel([tool_reply(("Change", {})), text_reply("ok")])
    agent, _ = make_agent(tmp_path, model, [change], approver=approver)
    agent.run("change it")
    assert approver.requests[0].diff == ("--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-old\n+new\n")
    assert "use a different name" in model.requests[1].messages[-1]["content"][0]["content"]

    approving = RecordingApprover(approve=True)
    model2 = ScriptedModel([tool_reply(("Change", {})), text_reply("ok")])
    agent2, _ = make_agent(tmp_path, model2, [change], approver=approving)
    agent2.run("change it")
    assert change.ran == 1


def test_interrupted_tool_leaves_a_valid_history(tmp_path: Path) -> None:
    model = ScriptedModel([tool_reply(("Interrupt", {}), ("Echo", {"text": "later"}))])
    agent, _ = make_agent(
        tmp_path, model, [Interrupt(), Echo()], approver=RecordingApprover(approve=True)
    )
    with pytest.raises(RunInterrupted):
        agent.run("go")
    assert_pairs_valid(agent.history)
    results = agent.history[-1]["content"]
    assert (
        "Interrupted by user" in results[0]["content"] and "partial output" in results[0]["content"]
    )
    assert results[1]["is_error"] is True


def test_transcript_holds_every_step(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    transcript = Transcript(path, {"session_id": "s"})
    model = ScriptedModel([tool_reply(("Echo", {"text": "x"})), text_reply("done")])
    agent, _ = make_agent(tmp_path, model, [Echo()], transcript=transcript)
    agent.run("go")
    transcript.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["type"] == "header" and lines[0]["schema_version"] == 1
    roles = [r["message"]["role"] for r in lines[1:]]
    assert roles == ["user", "assistant", "user", "assistant"]
    assert load(path).messages == agent.history


def test_resume_retries_the_failed_request_without_a_new_prompt(tmp_path: Path) -> None:
    failure = ModelError("The API returned HTTP 500 (api_error): boom")
    model = ScriptedModel([tool_reply(("Echo", {"text": "x"})), failure, text_reply("done")])
    agent, _ = make_agent(tmp_path, model, [Echo()])
    with pytest.raises(ModelError):
        agent.run("go")
    assert agent.history[-1]["content"][0]["type"] == "tool_result"
    run = agent.resume()
    model.assert_consumed()
    assert (run.subtype, run.result, run.num_turns) == ("success", "done", 1)
    assert model.requests[2].messages == model.requests[1].messages
    assert [m["role"] for m in agent.history] == ["user", "assistant", "user", "assistant"]
    assert_pairs_valid(agent.history)
    with pytest.raises(ValueError, match="ends with a user message"):
        agent.resume()


def test_scripted_model_fails_on_an_unexpected_call(tmp_path: Path) -> None:
    model = ScriptedModel([tool_reply(("Echo", {"text": "x"}))])
    agent, _ = make_agent(tmp_path, model, [Echo()])
    with pytest.raises(ScriptExhausted):
        agent.run("go")
    with pytest.raises(AssertionError):
        ScriptedModel([text_reply("never asked")]).assert_consumed()


def test_sub_agent_transcripts_follow_the_parent_session(tmp_path: Path) -> None:
    from devagent.assembly import AgentOptions, build_agent
    from devagent.personas import Catalog, Persona
    from devagent.subagents import SubagentRunner

    scout = Persona("scout", "Finds things.", "You find things.", tmp_path / "scout.md")
    model = ScriptedModel([text_reply("first"), text_reply("second")])
    parent, _ = make_agent(tmp_path, ScriptedModel([]), [])

    def spawn(persona: Persona, transcript: Transcript, emit: Any) -> Agent:
        options = AgentOptions(
            workspace=tmp_path,
            cwd=tmp_path,
            home=tmp_path / "home",
            model_name="claude-sonnet-5-5",
            make_model=lambda _name: model,
            policy=ReadOnlyPolicy(),
            approver=DenyingApprover(),
            emit=emit,
            persona=persona,
            transcript=transcript,
        )
        return build_agent(options)

    def folder() -> Path:
        assert isinstance(parent.transcript, Transcript)
        return parent.transcript.path.with_suffix(".subagents")

    runner = SubagentRunner(
        catalog=Catalog([scout]),
        spawn=spawn,
        folder=folder,
        spend=parent.spend,
        emit=lambda _event: None,
    )
    parent.transcript = Transcript(tmp_path / "one.jsonl", {"session_id": "one"})
    assert runner("scout", "look", "find a").text == "first"
    parent.transcript.close()
    parent.transcript = Transcript(tmp_path / "two.jsonl", {"session_id": "two"})  # /clear
    assert runner("scout", "look", "find b").text == "second"
    parent.transcript.close()
    assert "find a" in (tmp_path / "one.subagents" / "001-scout.jsonl").read_text()
    assert "find b" in (tmp_path / "two.subagents" / "002-scout.jsonl").read_text()
    assert (parent.usage.input_tokens, parent.usage.output_tokens) == (20, 10)  # both added
