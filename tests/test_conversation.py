"""The conversation with a scripted model: agents built by ``build_agent``, sub-agents, spend,
notes, switching agent and session."""

from __future__ import annotations

from pathlib import Path

from devagent.approval import DenyingApprover, ReadOnlyPolicy
from devagent.assembly import AgentOptions
from devagent.conversation import NO_REPLY, Conversation
from devagent.llm.scripted import ScriptedModel, text_reply, tool_reply
from devagent.messages import Usage
from devagent.personas import Catalog, Persona
from devagent.session import SessionStore, load


def start(tmp_path: Path, model: ScriptedModel, catalog: Catalog | None = None) -> Conversation:
    options = AgentOptions(
        workspace=tmp_path,
        cwd=tmp_path,
        home=tmp_path / "home",
        model_name="claude-sonnet-5-5",
        make_model=lambda _name: model,
        policy=ReadOnlyPolicy(),
        approver=DenyingApprover(),
        catalog=catalog,
    )
    sessions = SessionStore(tmp_path / "sessions", {"workspace": str(tmp_path)})
    return Conversation.start(options, sessions, "one")


def test_sub_agents_write_beside_the_current_session_and_add_to_its_spend(
    tmp_path: Path,
) -> None:
    scout = Persona("scout", "Finds things.", "You find things.", tmp_path / "scout.md")
    task = ("Task", {"description": "look", "prompt": "find it", "subagent_type": "scout"})
    model = ScriptedModel(
        [
            tool_reply(task),
            text_reply("found a", usage=Usage(100, 7)),
            text_reply("done"),
            tool_reply(task),
            text_reply("found b"),
            text_reply("done again"),
        ]
    )
    conversation = start(tmp_path, model, Catalog([scout]))
    assert conversation.agent.tools.names()[-1] == "Task"
    assert conversation.run("look around").result == "done"
    assert conversation.spend.usage.input_tokens == 10 + 100 + 10  # the sub-agent's too
    conversation.new_session()
    conversation.run("again")
    conversation.close()
    model.assert_consumed()
    folder = tmp_path / "sessions"
    assert "found a" in (folder / "one.subagents" / "001-scout.jsonl").read_text()
    [second] = folder.glob("*.subagents/002-scout.jsonl")
    assert second.parent.name == f"{conversation.session_id}.subagents"


def test_switching_the_model_keeps_history_transcript_and_spend(tmp_path: Path) -> None:
    model = ScriptedModel([text_reply("one"), text_reply("two")])
    conversation = start(tmp_path, model)
    conversation.run("first")
    spend, transcript = conversation.spend, conversation.transcript
    conversation.switch(None, "claude-opus-5-5")
    conversation.note("[The user ran a shell command.]")
    conversation.run(conversation.compose("second"))
    conversation.close()
    assert conversation.agent.spend is spend and conversation.transcript is transcript
    assert spend.usage.input_tokens == 20
    sent = model.requests[1].messages
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert [b["text"] for b in sent[2]["content"]] == ["[The user ran a shell command.]", "second"]
    assert load(transcript.path).messages == conversation.history


def test_a_prompt_after_a_failed_request_says_it_got_no_reply(tmp_path: Path) -> None:
    conversation = start(tmp_path, ScriptedModel([]))
    conversation.history.append({"role": "user", "content": "lost"})
    composed = conversation.compose("next")
    assert isinstance(composed, list) and composed[0]["text"] == NO_REPLY
