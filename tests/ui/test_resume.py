"""Resuming a session in the chat: the conversation is shown again, its tokens, cost and context
come back (toolbar, /cost, /context), user messages are counted right, and the picker shows
each session's first prompt, age, message count and size."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from devagent.llm.scripted import ScriptedModel, text_reply, tool_reply
from devagent.messages import Usage
from devagent.session import SessionInfo, load, prompt_count, sessions_dir, spent
from devagent.ui.sessions_view import age, picker_rows, resumed_line
from fakes.fake_api import FakeAPI
from fakes.fake_api import Usage as WireUsage
from fakes.fake_api import text_reply as wire_text
from ui.repl_harness import make_chat


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "app.py").write_text("APPLES = 3\n")
    return root.resolve()


def first_session(ws: Path, home: Path) -> Path:
    """A finished chat: one message, one Read, an answer with real-looking usage."""
    model = ScriptedModel(
        [
            tool_reply(("Read", {"file_path": "app.py"})),
            text_reply("**Apples** are noted.", usage=Usage(120_000, 2_000)),
        ]
    )
    chat = make_chat(ws, home, model, ["remember apples"])
    chat.repl.run()
    model.assert_consumed()
    return sessions_dir(home, ws) / f"{chat.repl.session_id}.jsonl"


def test_resume_shows_the_conversation_and_restores_tokens_cost_and_context(
    ws: Path, devagent_home: Path
) -> None:
    path = first_session(ws, devagent_home)
    chat = make_chat(ws, devagent_home, ScriptedModel([]), ["/cost", "/context"])
    chat.repl.resume(path)
    toolbar = chat.repl.toolbar()
    chat.repl.run()
    out = chat.output()
    assert (
        "> remember apples\n\n● Read app.py\n\nApples are noted.\n"
        f"Resumed session {path.stem} (1 message · 122.0k tokens · $0.2601 so far).\n"
    ) in out
    assert "122.0k tokens · $0.2601 · context 12%" in toolbar
    assert (
        "Input 120,010 · output 2,005 · cache reads 0 · cache writes 0 tokens\n"
        "Cost $0.2601 · context 120,000 of 1,000,000 tokens (12%)\n"
    ) in out
    assert (
        "Context: 120,000 of 1,000,000 tokens (12%) at the last request · "
        "4 messages in the history (1 from you)\n"
    ) in out


def test_spend_keeps_adding_up_across_resumes(ws: Path, devagent_home: Path) -> None:
    path = first_session(ws, devagent_home)
    second = make_chat(
        ws,
        devagent_home,
        ScriptedModel([text_reply("Pears too.", usage=Usage(1_000, 100))]),
        ["and pears"],
    )
    second.repl.resume(path)
    second.repl.run()
    third = make_chat(ws, devagent_home, ScriptedModel([]), ["/context"])
    third.repl.resume(path)
    third.repl.run()
    out = third.output()
    assert "> remember apples" in out and "> and pears\n\nPears too." in out
    assert f"Resumed session {path.stem} (2 messages · 123.1k tokens · $0.2631 so far)." in out
    assert "Context: 1,000 of 1,000,000 tokens (0%) at the last request" in out
    found = spent(load(path).records)
    assert found is not None and found.usage.input_tokens == 121_010


def test_the_picker_shows_prompt_age_messages_and_size_then_the_conversation(
    ws: Path, devagent_home: Path
) -> None:
    path = first_session(ws, devagent_home)
    chat = make_chat(ws, devagent_home, ScriptedModel([]), ["/resume"], answers=["1"])
    chat.repl.run()
    out = chat.output()
    size = path.stat().st_size // 1024
    row = f"  1. just now  {path.stem[:8]}     1 message  {size:>4} KB  remember apples"
    assert row in out
    assert "Resume which" in chat.input.asked[0]
    assert out.index(row) < out.index("> remember apples") < out.index("Apples are noted.")
    assert chat.repl.session_id == path.stem


def test_tool_result_messages_are_not_counted_as_user_messages(
    ws: Path, devagent_home: Path
) -> None:
    path = first_session(ws, devagent_home)
    records = load(path).records
    users = [r for r in records if r.get("type") == "message" and r["message"]["role"] == "user"]
    assert len(users) == 2 and prompt_count(records) == 1


def test_a_session_written_before_usage_was_recorded_resumes_without_figures(
    ws: Path, devagent_home: Path
) -> None:
    path = first_session(ws, devagent_home)
    lines = [ln for ln in path.read_text().splitlines() if '"type":"usage"' not in ln]
    path.write_text("\n".join(lines) + "\n")
    chat = make_chat(ws, devagent_home, ScriptedModel([]), [])
    chat.repl.resume(path)
    chat.repl.run()
    assert f"Resumed session {path.stem} (1 message).\n" in chat.output()
    assert "0 tokens · $0.0000" in chat.repl.toolbar()


def test_damaged_usage_records_are_skipped() -> None:
    good = {"type": "usage", "usage": {"input_tokens": 5}, "cost_usd": 0.5, "context": {}}
    records: list[dict[str, Any]] = [
        good,
        {"type": "usage", "usage": {"input_tokens": "many"}, "cost_usd": 1.0, "context": {}},
        {"type": "usage", "usage": {"input_tokens": 5}, "cost_usd": "free", "context": {}},
        {"type": "usage", "usage": {"input_tokens": True}, "cost_usd": 1.0, "context": {}},
        {"type": "usage", "usage": [], "cost_usd": 1.0, "context": {}},
        good,
    ]
    found = spent(records)
    assert found is not None
    assert (found.usage.input_tokens, found.cost_usd) == (10, 1.0)
    assert spent([{"type": "message"}]) is None


def test_picker_rows_and_the_resumed_line() -> None:
    now = 1_000_000.0
    infos = [
        SessionInfo("a" * 32, Path("a.jsonl"), now - 30, "fix the \x1b[2J test", 1, 900),
        SessionInfo("b" * 32, Path("b.jsonl"), now - 7_200, "", 12, 5 * 1024 * 1024),
    ]
    assert picker_rows(infos, now) == [
        "  1. just now  aaaaaaaa     1 message    900 B  fix the \\x1b[2J test",
        "  2. 2h ago    bbbbbbbb   12 messages   5.0 MB  (no message)",
    ]
    assert [age(s) for s in (59, 60, 3_599, 86_400 * 3, 604_800 * 2)] == [
        "just now",
        "1m ago",
        "59m ago",
        "3d ago",
        "2w ago",
    ]
    assert resumed_line("s", 3, Usage(), "$0.0000") == "Resumed session s (3 messages)."


def test_one_shot_continues_add_their_spend_to_the_session(
    devagent_cmd: list[str], devagent_env: dict[str, str], tmp_path: Path, fake_api: FakeAPI
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    fake_api.enqueue(
        wire_text("one", usage=WireUsage(input_tokens=100, output_tokens=10)),
        wire_text("two", usage=WireUsage(input_tokens=300, output_tokens=30)),
    )
    costs = []
    for args in (["-p", "first"], ["-p", "second", "--continue"]):
        done = subprocess.run(
            [*devagent_cmd, *args, "--output-format", "json"],
            env=devagent_env,
            cwd=repo,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        costs.append(json.loads(done.stdout)["total_cost_usd"])
    [path] = Path(devagent_env["DEVAGENT_HOME"]).glob("sessions/*/*.jsonl")
    found = spent(load(path).records)
    assert found is not None
    assert (found.usage.input_tokens, found.usage.output_tokens) == (400, 40)
    assert found.cost_usd == pytest.approx(sum(costs))
    assert found.context.input_tokens == 300
    assert costs[1] < sum(costs)  # each run still reports its own cost
