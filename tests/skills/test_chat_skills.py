"""Skills in the chat loop, in process: which names ``/`` offers, which ``/NAME`` runs, and
how skills, built-ins and custom commands share names."""

from __future__ import annotations

from pathlib import Path

import pytest

from devagent.llm.scripted import ScriptedModel, text_reply
from devagent.skills import SkillSet, discover
from devagent.ui.custom_commands import custom_command_dirs, load_custom_commands
from ui.repl_harness import Chat, make_chat


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    skills = root / ".claude" / "skills"
    for name, extra in (
        ("planner", ""),
        ("hidden", "user-invocable: false\n"),
        ("manual", "disable-model-invocation: true\n"),
        ("help", ""),
    ):
        (skills / name).mkdir(parents=True)
        (skills / name / "SKILL.md").write_text(
            f"---\nname: {name}\ndescription: The {name} skill.\n{extra}---\n"
            f"{name} body: $ARGUMENTS"
        )
    commands = root / ".claude" / "commands"
    commands.mkdir(parents=True)
    (commands / "planner.md").write_text("custom planner command\n")
    (commands / "review.md").write_text("custom review command\n")
    return root


def chat_with_skills(ws: Path, home: Path, model: ScriptedModel, lines: list[str]) -> Chat:
    custom = load_custom_commands(custom_command_dirs(ws, home))
    chat = make_chat(ws, home, model, lines, custom=custom)
    chat.repl.skill_set = SkillSet(discover(ws, ws, home, ws / "no-home"))
    return chat


def test_slash_offers_user_invocable_skills_after_the_built_ins(
    ws: Path, devagent_home: Path
) -> None:
    chat = chat_with_skills(ws, devagent_home, ScriptedModel([]), [])
    names = chat.repl.command_names()
    assert names.index("exit") < names.index("planner") < names.index("review")
    assert "manual" in names and "hidden" not in names
    assert names.count("planner") == 1 and names.count("help") == 1


def test_slash_name_sends_the_skill_and_a_skill_wins_over_a_custom_command(
    ws: Path, devagent_home: Path
) -> None:
    model = ScriptedModel([text_reply("planned"), text_reply("reviewed")])
    lines = ["/planner the cache", "/review now", "/hidden x", "/help"]
    chat = chat_with_skills(ws, devagent_home, model, lines)
    chat.repl.run()
    first = str(model.requests[0].messages[0]["content"])
    assert 'Skill "planner" loaded' in first and "planner body: the cache" in first
    assert model.requests[1].messages[-1]["content"] == "custom review command\n\nnow"
    out = chat.output()
    assert "Unknown command /hidden" in out
    assert "/skills" in out  # /help printed the built-ins' table
    assert len(model.requests) == 2  # /help is the built-in, not the skill named help


def test_slash_skills_lists_every_skill_with_who_may_run_it(ws: Path, devagent_home: Path) -> None:
    chat = chat_with_skills(ws, devagent_home, ScriptedModel([]), ["/skills"])
    chat.repl.run()
    out = chat.output()
    for shown in ("/planner", "/manual", "hidden (model only)", "project", ".claude/skills"):
        assert shown in out
