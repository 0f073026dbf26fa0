"""The chat loop in-process: turns, slash commands, !shell, @mentions, /undo, compaction,
interrupts and resume, with a scripted model and scripted terminal input."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from devagent.compaction import MARKER, message_text
from devagent.config import cost_of
from devagent.conversation import STILL_TOO_LONG
from devagent.errors import ModelError, SessionLockedError
from devagent.llm.anthropic import AnthropicModel, RetryPolicy
from devagent.llm.providers import NamedModel
from devagent.llm.scripted import ScriptedModel, text_reply, tool_reply
from devagent.messages import Usage
from devagent.personas import Catalog, Persona
from devagent.session import LoadedSession, Transcript, load, sessions_dir
from devagent.ui.custom_commands import custom_command_dirs, load_custom_commands
from fakes import fake_api as wire
from fakes.lock_holder import lock_held_elsewhere
from ui.repl_harness import Chat, make_chat


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "app.py").write_bytes(b"def main():\r\n    return 1\r\n")
    return root


def requests_text(model: ScriptedModel, index: int) -> str:
    return json.dumps(model.requests[index].messages)


def test_a_message_runs_a_turn_and_is_saved(ws: Path, devagent_home: Path) -> None:
    model = ScriptedModel([text_reply("Hello from the model.")])
    chat = make_chat(ws, devagent_home, model, ["hi there"])
    assert chat.repl.run() == 0
    model.assert_consumed()
    assert chat.view.text() == "Hello from the model."
    saved = load(sessions_dir(devagent_home, ws) / f"{chat.repl.session_id}.jsonl")
    assert [m["role"] for m in saved.messages] == ["user", "assistant"]
    assert f"devagent --resume {chat.repl.session_id}" in chat.output()


def test_leaving_without_a_message_leaves_no_empty_session(ws: Path, devagent_home: Path) -> None:
    chat = make_chat(ws, devagent_home, ScriptedModel([]), ["/help"])
    chat.repl.run()
    assert not sessions_dir(devagent_home, ws).exists()
    assert "/undo" in chat.output() and "Shift-Tab" in chat.output()


def test_ctrl_c_twice_on_an_empty_prompt_exits_once_only_warns(
    ws: Path, devagent_home: Path
) -> None:
    model = ScriptedModel([text_reply("still here")])
    lines: list[str | BaseException] = [KeyboardInterrupt(), "hello", KeyboardInterrupt()]
    lines += [KeyboardInterrupt(), "never sent"]
    chat = make_chat(ws, devagent_home, model, lines)
    chat.repl.run()
    model.assert_consumed()
    assert chat.input.lines == ["never sent"]
    assert chat.output().count("Press Ctrl-C again") == 2


def test_shift_tab_cycles_default_accept_edits_plan(ws: Path, devagent_home: Path) -> None:
    chat = make_chat(ws, devagent_home, ScriptedModel([]))
    seen = []
    for _ in range(4):
        chat.repl.cycle_mode()
        seen.append(chat.repl.engine.mode)
        assert f"mode: {chat.repl.engine.mode}" in chat.repl.toolbar()
    assert seen == ["acceptEdits", "plan", "default", "acceptEdits"]


def test_toolbar_shows_model_tokens_and_cost(ws: Path, devagent_home: Path) -> None:
    model = ScriptedModel([text_reply("ok", usage=Usage(1200, 300))])
    chat = make_chat(ws, devagent_home, model, ["count"])
    chat.repl.run()
    bar = chat.repl.toolbar()
    assert "claude-sonnet-5-5" in bar and "agent: default" in bar
    assert "1.5k tokens" in bar and "$0.0054" in bar


def test_a_profile_window_from_settings_sets_the_toolbar_and_context_percentage(
    ws: Path, devagent_home: Path
) -> None:
    scripted = ScriptedModel([text_reply("ok", usage=Usage(4096, 10))])
    model = NamedModel("ollama:qwen3-coder", None, scripted, context_window=8192)
    chat = make_chat(ws, devagent_home, model, ["count", "/context"])
    chat.repl.run()
    assert "context 50%" in chat.repl.toolbar()
    assert "Context: 4,096 of 8,192 tokens (50%) at the last request" in chat.output()


def test_denied_edit_with_feedback_leaves_the_file_and_tells_the_model(
    ws: Path, devagent_home: Path
) -> None:
    before = (ws / "app.py").read_bytes()
    model = ScriptedModel(
        [
            tool_reply(("Read", {"file_path": "app.py"})),
            tool_reply(("Edit", {"file_path": "app.py", "old_string": "1", "new_string": "2"})),
            text_reply("Understood."),
        ]
    )
    chat = make_chat(ws, devagent_home, model, ["bump it"], approvals=["use 3 instead"])
    chat.repl.run()
    assert (ws / "app.py").read_bytes() == before
    assert chat.approver.requests[0].diff is not None and "+    return 2" in (
        chat.approver.requests[0].diff or ""
    )
    assert "The user said: use 3 instead" in requests_text(model, 2)


def test_at_mentions_add_the_file_and_count_as_read(ws: Path, devagent_home: Path) -> None:
    model = ScriptedModel(
        [
            tool_reply(("Edit", {"file_path": "app.py", "old_string": "1", "new_string": "2"})),
            text_reply("Done."),
        ]
    )
    chat = make_chat(ws, devagent_home, model, ["fix @app.py, please"], approvals=[True])
    chat.repl.run()
    first = model.requests[0].messages[0]["content"]
    assert first[0]["text"] == "fix @app.py, please"
    assert first[1]["text"].startswith('<file path="app.py">\ndef main():\r\n')
    assert (ws / "app.py").read_bytes() == b"def main():\r\n    return 2\r\n"


def test_bang_runs_bash_after_approval_and_feeds_the_output_to_the_next_turn(
    ws: Path, devagent_home: Path
) -> None:
    model = ScriptedModel([text_reply("I see the output.")])
    lines = ["!echo shell-said-$((6*7))", "!echo never", "what did it print?"]
    chat = make_chat(ws, devagent_home, model, lines, approvals=[True, False])
    chat.repl.run()
    assert chat.input.busy_turns == 2  # the !command that ran and the turn: terminal quiet
    assert "shell-said-42" in chat.output()
    assert [r.command for r in chat.approver.requests] == ["echo shell-said-$((6*7))", "echo never"]
    assert "Not run" in chat.output() and "\nnever\n" not in chat.output()
    sent = requests_text(model, 0)
    assert "<bash-input>echo shell-said-$((6*7))</bash-input>" in sent
    assert "shell-said-42" in sent


def test_details_shows_the_full_output_of_the_last_tool_calls(
    ws: Path, devagent_home: Path
) -> None:
    model = ScriptedModel(
        [
            tool_reply(("Bash", {"command": "seq 1 40 | sed 's/^/first-/'"})),
            tool_reply(("Bash", {"command": "seq 1 40 | sed 's/^/second-/'"})),
            text_reply("Done."),
        ]
    )
    lines = ["/details", "count", "/details", "/details 2", "/details 0", "/details x"]
    chat = make_chat(ws, devagent_home, model, lines, approvals=[True, True])
    chat.repl.run()
    out = chat.output()
    assert chat.view.text() == "Done."
    assert out.index("No tool output yet.") < out.index("second-1\n")
    after = out[out.index("No tool output yet.") :]
    single, double = after.split("second-40", 1)[0], after.split("second-40", 1)[1]
    assert "second-1\n" in single and "first-" not in single  # /details: the last call only
    assert "first-40" in double and "second-40" in double  # /details 2: both, in order
    assert double.index("first-1\n") < double.index("second-1\n")
    assert after.count("Usage: /details [N]") == 2


def test_custom_command_expands_arguments(ws: Path, devagent_home: Path) -> None:
    folder = ws / ".claude" / "commands"
    folder.mkdir(parents=True)
    (folder / "explain.md").write_text(
        "---\ndescription: Explain a file\n---\nExplain $ARGUMENTS briefly; start with $1.\n"
    )
    custom = load_custom_commands(custom_command_dirs(ws, devagent_home))
    model = ScriptedModel([text_reply("It is a main function.")])
    chat = make_chat(ws, devagent_home, model, ["/help", "/explain app.py fast"], custom=custom)
    chat.repl.run()
    assert (
        model.requests[0].messages[0]["content"]
        == "Explain app.py fast briefly; start with app.py."
    )
    assert "Explain a file (custom)" in chat.output()


def test_unknown_slash_command_is_an_error_not_a_prompt(ws: Path, devagent_home: Path) -> None:
    chat = make_chat(ws, devagent_home, ScriptedModel([]), ["/nosuch thing"])
    chat.repl.run()
    assert "Unknown command /nosuch" in chat.output()


def test_permissions_shows_and_adds_rules(ws: Path, devagent_home: Path) -> None:
    lines = ["/permissions allow Bash(echo:*)", "/permissions", "!echo ruled"]
    chat = make_chat(ws, devagent_home, ScriptedModel([]), lines)
    chat.repl.run()
    out = chat.output()
    assert "Allowed for this session: Bash(echo:*)" in out
    assert "allow  Bash(echo:*)  session" in out
    assert chat.approver.requests == []  # the rule answered, nobody was asked
    assert "ruled" in out


def test_permissions_adds_ask_and_deny_rules(ws: Path, devagent_home: Path) -> None:
    lines = [
        "/permissions allow Bash(echo:*)",
        "/permissions deny Bash(echo secret:*)",
        "/permissions ask 'Bash(echo maybe:*)'",
        "/permissions deny Bash(",
        "/permissions forbid Bash",
        "/permissions",
        "!echo secret",
        "!echo maybe",
        "!echo fine",
    ]
    chat = make_chat(ws, devagent_home, ScriptedModel([]), lines)
    chat.approver.answers = [False]  # "no" to the one question
    chat.repl.run()
    out = chat.output()
    assert "Denied for this session: Bash(echo secret:*)" in out
    assert "Will ask for this session: Bash(echo maybe:*)" in out
    assert "Usage: /permissions [allow|ask|deny RULE | mode MODE]" in out
    assert re.search(r"deny\s+Bash\(echo secret:\*\)\s+session", out)
    assert re.search(r"ask\s+Bash\(echo maybe:\*\)\s+session", out)
    assert [r.tool_input["command"] for r in chat.approver.requests] == ["echo maybe"]
    assert "Not run: Bash is denied by Bash(echo secret:*)" in out
    assert "'Bash(' is not a rule" in out
    assert "fine" in out
    assert "\nsecret" not in out and "\nmaybe" not in out  # neither command ran


def test_model_and_agent_switch_keep_the_conversation(ws: Path, devagent_home: Path) -> None:
    first = ScriptedModel([text_reply("one")])
    second = ScriptedModel([text_reply("two")], name="claude-opus-5-5")
    persona = Persona("reviewer", "Reviews code.", "You review code.", ws / "r.md")
    chat = make_chat(ws, devagent_home, first, catalog=Catalog([persona]))
    chat.repl.deps.builder.models["claude-opus-5-5"] = second  # type: ignore[attr-defined]
    chat.input.lines = ["a", "/model opus", "/agent reviewer", "b", "/agents"]
    chat.repl.run()
    assert second.requests[0].system == "You review code."
    assert [m["role"] for m in second.requests[0].messages] == ["user", "assistant", "user"]
    assert re.search(r"\*\s+reviewer\s+path\s+Reviews code\.", chat.output())


def test_clear_starts_a_new_session(ws: Path, devagent_home: Path) -> None:
    model = ScriptedModel([text_reply("one"), text_reply("two")])
    chat = make_chat(ws, devagent_home, model, ["a", "/clear", "b"])
    first_id = chat.repl.session_id
    chat.repl.run()
    assert chat.repl.session_id != first_id
    assert len(model.requests[1].messages) == 1


def test_undo_restores_the_last_turn_exactly(ws: Path, devagent_home: Path) -> None:
    (ws / "data.bin").write_bytes(b"\x00\x01keep\r\n")
    model = ScriptedModel(
        [
            tool_reply(("Write", {"file_path": "new.txt", "content": "created"})),
            tool_reply(("Bash", {"command": "rm data.bin && printf x >> app.py"})),
            text_reply("Changed things."),
        ]
    )
    original = {p: (ws / p).read_bytes() for p in ("app.py", "data.bin")}
    chat = make_chat(
        ws, devagent_home, model, ["change", "/diff", "/undo", "/undo"], approvals=[True, True]
    )
    chat.repl.run()
    assert {p: (ws / p).read_bytes() for p in ("app.py", "data.bin")} == original
    assert not (ws / "new.txt").exists()
    out = chat.output()
    assert "+created" in out and "-\\x00" not in out
    assert "restored app.py" in out and "removed  new.txt" in out
    assert "Nothing to undo" in out


def test_undo_refuses_to_overwrite_edits_made_after_the_turn(ws: Path, devagent_home: Path) -> None:
    model = ScriptedModel(
        [
            tool_reply(("Write", {"file_path": "notes.txt", "content": "model"})),
            text_reply("Wrote it."),
        ]
    )
    chat = make_chat(ws, devagent_home, model, ["write", "/undo"], approvals=[True])
    chat.repl.run()
    assert not (ws / "notes.txt").exists()

    model2 = ScriptedModel(
        [
            tool_reply(("Write", {"file_path": "notes.txt", "content": "model"})),
            text_reply("Wrote it."),
        ]
    )
    chat2 = make_chat(ws, devagent_home, model2, ["write"], approvals=[True])
    chat2.repl.run()
    (ws / "notes.txt").write_text("user edit")
    chat2.input.lines = ["/undo", "/undo force"]
    chat2.repl.should_exit = False
    chat2.repl.run()
    assert "Not undone: changed since that turn ended: notes.txt" in chat2.output()
    assert not (ws / "notes.txt").exists()


def test_undo_survives_resume(ws: Path, devagent_home: Path) -> None:
    model = ScriptedModel(
        [tool_reply(("Write", {"file_path": "n.txt", "content": "x"})), text_reply("ok")]
    )
    chat = make_chat(ws, devagent_home, model, ["write"], approvals=[True])
    chat.repl.run()
    path = sessions_dir(devagent_home, ws) / f"{chat.repl.session_id}.jsonl"
    again = make_chat(ws, devagent_home, ScriptedModel([]), ["/undo"])
    again.repl.resume(path)
    again.repl.run()
    assert not (ws / "n.txt").exists()


def test_ctrl_c_during_a_tool_records_interrupted_and_the_next_request_is_valid(
    ws: Path, devagent_home: Path
) -> None:
    marker = f"sleep 31{os.getpid() % 1000:03d}"
    model = ScriptedModel(
        [tool_reply(("Bash", {"command": marker})), text_reply("Fine, stopping.")]
    )
    chat = make_chat(ws, devagent_home, model, ["run it", "and now?"], approvals=[True])
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        chat.repl.run()
    finally:
        timer.cancel()
    model.assert_consumed()
    last = model.requests[1].messages
    results = [b for b in last[2]["content"] if b.get("type") == "tool_result"]
    assert results and results[0]["is_error"] and "Interrupted by user" in results[0]["content"]
    assert "Interrupted" in chat.output()
    assert subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode == 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_while_streaming_leaves_a_valid_history(ws: Path, devagent_home: Path) -> None:
    def stream_then_interrupt(_request: Any) -> Any:
        raise KeyboardInterrupt

    model = ScriptedModel([stream_then_interrupt, text_reply("Recovered.")])
    chat = make_chat(ws, devagent_home, model, ["first", "second"])
    chat.repl.run()
    model.assert_consumed()
    roles = [m["role"] for m in model.requests[1].messages]
    assert roles == ["user", "user"]
    assert "got no reply" in requests_text(model, 1)


def test_resume_closes_a_tool_use_left_by_a_killed_process(ws: Path, devagent_home: Path) -> None:
    folder = sessions_dir(devagent_home, ws)
    folder.mkdir(parents=True)
    path = folder / "killed.jsonl"
    call = {"type": "tool_use", "id": "toolu_x", "name": "Bash", "input": {"command": "ls"}}
    lines = [
        {"type": "header", "schema_version": 1},
        {"type": "message", "message": {"role": "user", "content": "list"}},
        {"type": "message", "message": {"role": "assistant", "content": [call]}},
    ]
    path.write_text("\n".join(json.dumps(r) for r in lines) + '\n{"type":"mess')
    model = ScriptedModel([text_reply("Continuing.")])
    chat = make_chat(ws, devagent_home, model, ["go on"])
    chat.repl.resume(path)
    chat.repl.run()
    messages = model.requests[0].messages
    assert messages[2]["content"][0]["tool_use_id"] == "toolu_x"
    assert "skipped unreadable" in chat.output()
    text = path.read_text()
    assert text.startswith('{"type": "header"') and '\n{"type":"mess\n' in text
    assert [m["role"] for m in load(path).messages] == ["user", "assistant", "user", "assistant"]


def test_resume_picker_lists_sessions_and_switches(ws: Path, devagent_home: Path) -> None:
    first = make_chat(ws, devagent_home, ScriptedModel([text_reply("one")]), ["remember apples"])
    first.repl.run()
    model = ScriptedModel([text_reply("two")])
    chat = make_chat(ws, devagent_home, model, ["/resume", "what fruit?"], answers=["1"])
    chat.repl.run()
    assert "remember apples" in chat.output()
    assert chat.repl.session_id == first.repl.session_id
    assert "remember apples" in requests_text(model, 0)


def test_resume_of_a_session_open_elsewhere_keeps_the_current_one(
    ws: Path, devagent_home: Path
) -> None:
    first = make_chat(ws, devagent_home, ScriptedModel([text_reply("one")]), ["remember apples"])
    first.repl.run()
    other = sessions_dir(devagent_home, ws) / f"{first.repl.session_id}.jsonl"
    before = other.read_bytes()
    model = ScriptedModel([text_reply("two"), text_reply("three")])
    lines = ["hello", f"/resume {first.repl.session_id}", "still here?"]
    chat = make_chat(ws, devagent_home, model, lines)
    own = chat.repl.session_id
    with lock_held_elsewhere(other):
        chat.repl.run()
        with pytest.raises(SessionLockedError):
            chat.repl.resume(other)  # what `devagent chat --resume` runs (it then exits 2)
    assert (
        f"session {first.repl.session_id} is open in another devagent process; "
        "wait for it to finish or start a new session." in chat.output()
    )
    model.assert_consumed()
    assert chat.repl.session_id == own
    assert "remember apples" not in requests_text(model, 1)
    assert other.read_bytes() == before
    saved = load(sessions_dir(devagent_home, ws) / f"{own}.jsonl")
    assert [m["role"] for m in saved.messages] == ["user", "assistant"] * 2


def test_clear_and_resume_release_the_previous_session(ws: Path, devagent_home: Path) -> None:
    model = ScriptedModel([text_reply("one"), text_reply("two")])
    chat = make_chat(ws, devagent_home, model)
    folder = sessions_dir(devagent_home, ws)
    chat.repl.handle("first")
    first = folder / f"{chat.repl.session_id}.jsonl"
    chat.repl.handle("/clear")
    Transcript(first, {}).close()  # not held any more: opening it again does not fail
    chat.repl.handle("second")
    second = folder / f"{chat.repl.session_id}.jsonl"
    with pytest.raises(SessionLockedError):
        Transcript(second, {})  # the current session is held
    chat.repl.resume(first)
    Transcript(second, {}).close()
    with pytest.raises(SessionLockedError):
        Transcript(first, {})
    chat.repl.close()
    Transcript(first, {}).close()


def test_auto_compaction_before_the_window_fills(ws: Path, devagent_home: Path) -> None:
    big = Usage(input_tokens=160_000, output_tokens=10)
    model = ScriptedModel(
        [
            text_reply("first answer"),
            text_reply("second answer", usage=big),
            text_reply("SUMMARY: user wants tests green."),
            text_reply("third answer"),
        ],
        name="claude-sonnet-4-5",
    )
    chat = make_chat(ws, devagent_home, model, ["keep tests green", "more", "again"])
    chat.repl.run()
    model.assert_consumed()
    third = model.requests[3].messages
    assert message_text(third[0]).startswith(MARKER)
    assert "keep tests green" in message_text(third[0])
    assert "SUMMARY: user wants tests green." in message_text(third[0])
    saved = load(sessions_dir(devagent_home, ws) / f"{chat.repl.session_id}.jsonl")
    assert saved.messages == chat.repl.agent.history


def test_manual_compact_with_focus(ws: Path, devagent_home: Path) -> None:
    model = ScriptedModel([text_reply("a"), text_reply("the summary"), text_reply("b")])
    chat = make_chat(ws, devagent_home, model, ["start", "/compact the API", "next"])
    chat.repl.run()
    assert "focus on: the API" in requests_text(model, 1)
    assert [m["role"] for m in model.requests[2].messages] == ["user", "assistant", "user"]
    assert "Compacted 2 messages" in chat.output()


def test_chat_without_a_terminal_is_a_usage_error(
    devagent_env: dict[str, str], devagent_cmd: list[str], ws: Path
) -> None:
    for args in (["chat"], []):
        done = subprocess.run(
            [*devagent_cmd, *args],
            env=devagent_env,
            cwd=ws,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        assert "needs a terminal" in done.stderr and "devagent -p PROMPT" in done.stderr


def test_one_shot_flags_without_p_are_a_usage_error(
    devagent_env: dict[str, str], devagent_cmd: list[str], ws: Path
) -> None:
    done = subprocess.run(
        [*devagent_cmd, "--max-turns", "3", "--output-format", "json"],
        env=devagent_env,
        cwd=ws,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--output-format, --max-turns only apply to one-shot runs" in done.stderr


def test_compaction_in_the_middle_of_a_long_turn_keeps_tool_pairs(
    ws: Path, devagent_home: Path
) -> None:
    big = Usage(input_tokens=20_000, cache_read_input_tokens=140_000)
    read = tool_reply(("Read", {"file_path": "app.py"}))
    read.usage = big
    model = ScriptedModel(
        [
            text_reply("noted"),
            read,
            text_reply("SUMMARY: user said hello."),
            text_reply("Read it."),
        ],
        name="claude-sonnet-4-5",
    )
    chat = make_chat(ws, devagent_home, model, ["hello", "read app.py"])
    chat.repl.run()
    model.assert_consumed()
    messages = model.requests[3].messages
    assert message_text(messages[0]).startswith(MARKER)
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant", "user"]
    assert messages[3]["content"][0]["type"] == "tool_use"
    assert messages[4]["content"][0]["tool_use_id"] == messages[3]["content"][0]["id"]
    saved = load(sessions_dir(devagent_home, ws) / f"{chat.repl.session_id}.jsonl")
    assert saved.messages == chat.repl.agent.history


def test_prompt_too_long_compacts_once_and_retries(ws: Path, devagent_home: Path) -> None:
    too_long = ModelError(
        "The API returned HTTP 400 (invalid_request_error): prompt is too long: "
        "210000 tokens > 200000 maximum"
    )
    model = ScriptedModel(
        [text_reply("a"), too_long, text_reply("SUMMARY"), text_reply("fits now")],
        name="claude-sonnet-4-5",
    )
    chat = make_chat(ws, devagent_home, model, ["first", "second"])
    chat.repl.run()
    model.assert_consumed()
    assert [m["role"] for m in model.requests[3].messages] == ["user", "assistant", "user"]
    assert model.requests[3].messages[2]["content"] == "second"
    saved = load(sessions_dir(devagent_home, ws) / f"{chat.repl.session_id}.jsonl")
    assert saved.messages == chat.repl.agent.history
    assert "no longer fits" in chat.output()


TOO_LONG = "prompt is too long: 210000 tokens > 200000 maximum"


def api_model(fake: wire.FakeAPI) -> AnthropicModel:
    """The real adapter against the fake Messages API (no retries: errors surface at once)."""
    return AnthropicModel(
        "claude-sonnet-5-5",
        api_key="test-key",
        base_url=fake.base_url,
        policy=RetryPolicy(max_retries=0),
    )


def plain(value: Any) -> Any:
    """Messages as the history holds them: without the adapter's cache_control markers."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def block_ids(message: dict[str, Any], kind: str, key: str) -> list[str]:
    content = message.get("content")
    if not isinstance(content, list):
        return []
    return sorted(b[key] for b in content if b.get("type") == kind)


def assert_tool_pairs(messages: list[dict[str, Any]]) -> None:
    """Each message's tool_results answer exactly the tool_uses of the message before it."""
    for before, after in zip([{}, *messages], [*messages, {}], strict=True):
        assert block_ids(before, "tool_use", "id") == block_ids(after, "tool_result", "tool_use_id")


def saved_session(chat: Chat, ws: Path, home: Path) -> LoadedSession:
    saved = load(sessions_dir(home, ws) / f"{chat.repl.session_id}.jsonl")
    assert saved.messages == chat.repl.agent.history
    return saved


def test_prompt_too_long_mid_turn_compacts_older_turns_and_resumes(
    ws: Path, devagent_home: Path, fake_api: wire.FakeAPI
) -> None:
    read = wire.tool_call("Read", {"file_path": "app.py"})
    fake_api.enqueue(
        wire.text_reply("noted"),
        wire.tool_reply(read),
        wire.http_error(400, message=TOO_LONG),
        wire.text_reply("SUMMARY: the user said hello."),
        wire.text_reply("app.py returns 1."),
    )
    chat = make_chat(ws, devagent_home, api_model(fake_api), ["hello", "read app.py"])
    chat.repl.run()
    failed, summary, retried = fake_api.requests[2:]
    for request in fake_api.requests:
        assert_tool_pairs(request.messages)
    assert failed.tool_results()[0]["tool_use_id"] == read.id
    # Only the turn before this one is summarised; this turn is kept verbatim and resumed.
    assert summary.messages[:2] == failed.messages[:2] and len(summary.messages) == 3
    opening = message_text(retried.messages[0])
    assert opening.startswith(MARKER) and "SUMMARY: the user said hello." in opening
    assert retried.messages[1]["role"] == "assistant"
    assert retried.messages[2:] == failed.messages[2:]
    assert message_text(retried.messages[2]) == "read app.py"
    assert message_text(chat.repl.agent.history[-1]) == "app.py returns 1."
    assert "no longer fits" in chat.output()
    saved = saved_session(chat, ws, devagent_home)
    compactions = [r["messages"] for r in saved.records if r["type"] == "compaction"]
    assert compactions == [plain(retried.messages)]
    usage = chat.repl.agent.usage  # four replies, the summary's included
    assert (usage.input_tokens, usage.output_tokens) == (40, 80)
    assert chat.repl.agent.cost_usd == pytest.approx(cost_of("claude-sonnet-5-5", usage))


def test_prompt_too_long_again_after_compacting_is_a_clear_error_and_chat_goes_on(
    ws: Path, devagent_home: Path, fake_api: wire.FakeAPI
) -> None:
    fake_api.enqueue(
        wire.text_reply("noted"),
        wire.tool_reply(wire.tool_call("Read", {"file_path": "app.py"})),
        wire.http_error(400, message=TOO_LONG),
        wire.text_reply("SUMMARY: the user said hello."),
        wire.http_error(400, message=TOO_LONG),
        wire.text_reply("Still here."),
    )
    lines = ["hello", "read app.py", "are you there?"]
    chat = make_chat(ws, devagent_home, api_model(fake_api), lines)
    chat.repl.run()
    assert STILL_TOO_LONG in " ".join(chat.output().split())
    assert len(fake_api.requests) == 6 and chat.view.text().endswith("Still here.")
    for request in fake_api.requests:
        assert_tool_pairs(request.messages)
    last = fake_api.requests[5]
    assert message_text(last.messages[0]).startswith(MARKER)
    assert plain(last.messages[2:5]) == plain(fake_api.requests[2].messages[2:])
    assert last.last_user_text().endswith("are you there?")
    saved = saved_session(chat, ws, devagent_home)
    assert sum(r["type"] == "compaction" for r in saved.records) == 1


@pytest.mark.parametrize(
    ("before", "summary", "error"),
    [
        ([], [], "nothing older to summarise"),
        (["hello"], [wire.text_reply("")], "summarising failed (the model returned no summary"),
    ],
)
def test_prompt_too_long_mid_turn_that_cannot_compact_fails_clearly(
    ws: Path,
    devagent_home: Path,
    fake_api: wire.FakeAPI,
    before: list[str],
    summary: list[wire.Reply],
    error: str,
) -> None:
    fake_api.enqueue(*(wire.text_reply("noted") for _ in before))
    fake_api.enqueue(wire.tool_reply(wire.tool_call("Read", {"file_path": "app.py"})))
    fake_api.enqueue(wire.http_error(400, message=TOO_LONG), *summary, wire.text_reply("Hi."))
    chat = make_chat(ws, devagent_home, api_model(fake_api), [*before, "read app.py", "hi"])
    chat.repl.run()
    assert error in " ".join(chat.output().split())
    assert chat.view.text().endswith("Hi.")
    for request in fake_api.requests:
        assert_tool_pairs(request.messages)
    saved = saved_session(chat, ws, devagent_home)
    assert not [r for r in saved.records if r["type"] == "compaction"]


def test_ctrl_c_at_an_approval_question_cancels_the_turn(ws: Path, devagent_home: Path) -> None:
    model = ScriptedModel(
        [tool_reply(("Bash", {"command": "echo hi"})), text_reply("OK, not running it.")]
    )
    chat = make_chat(ws, devagent_home, model, ["run", "never mind"])
    chat.approver.answers = [KeyboardInterrupt()]
    chat.repl.run()
    model.assert_consumed()
    result = model.requests[1].messages[2]["content"][0]
    assert result["is_error"] and "Interrupted" in result["content"]


def test_completion_of_commands_personas_and_paths(ws: Path, devagent_home: Path) -> None:
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from devagent.ui.prompt_input import ChatCompleter

    (ws / "src").mkdir()
    (ws / "src" / "main.py").write_text("")
    (ws / "src" / "maths.py").write_text("")
    persona = Persona("reviewer", "Reviews code.", "body", ws / "r.md")
    folder = ws / ".devagent" / "commands"
    folder.mkdir(parents=True)
    (folder / "unleash.md").write_text("Go.\n")
    custom = load_custom_commands(custom_command_dirs(ws, devagent_home))
    chat = make_chat(
        ws, devagent_home, ScriptedModel([]), catalog=Catalog([persona]), custom=custom
    )
    completer = ChatCompleter(chat.repl)

    def complete(text: str) -> list[str]:
        found = completer.get_completions(Document(text), CompleteEvent())
        return [text[: len(text) + c.start_position] + c.text for c in found]

    assert complete("/un") == ["/undo", "/unleash"]
    assert complete("/agent re") == ["/agent reviewer"]
    assert complete("look at @sr") == ["look at @src/"]
    assert complete("look at @src/ma") == ["look at @src/main.py", "look at @src/maths.py"]
    assert complete("plain words") == []
