"""A persona whose tool list cannot be read gets no tools and says so (fail closed), in every
dialect and at run time; lists that can be read keep working as before."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from devagent.personas import known_tools
from devagent.personas.persona import Origin, effective_tools, parse_persona
from devagent.personas.tools import UnreadableToolList, parse_tool_list
from fakes.fake_api import FakeAPI, text_reply


def persona_with(line: str, dialect: str = "claude") -> tuple[list[str] | None, str | None]:
    text = f"---\nname: odd\ndescription: An odd one.\n{line}\n---\nBody\n"
    persona = parse_persona(text, Path("odd.md"), Origin(dialect=dialect))  # type: ignore[arg-type]
    offered, _ = effective_tools(persona, known_tools())
    return offered, persona.tools_problem


UNREADABLE = {
    "a list holding a number": ("tools: [Read, 3]", "the list holds a number 3"),
    "a list holding true": ("tools: [Read, true]", "the list holds a true/false value True"),
    "a list holding a list": ("tools: [Read, [Grep]]", "the list holds a nested list"),
    "a list holding null": ("tools: [Read, null]", "the list holds an empty item"),
    "a flow mapping": ("tools: {Read: true}", "it is a mapping"),
    "a block mapping": ("tools:\n  Read: yes\n  Grep: yes", "it is a mapping"),
    "a number": ("tools: 42", "it is a number (42)"),
    "a true/false value": ("tools: yes", "it is a true/false value (True)"),
    "a date": ("tools: 2024-01-01", "it is a date (2024-01-01)"),
    "an unclosed list": ("tools: [Read, Grep", "the list '[Read, Grep' is not closed"),
    "a stray quote": ('tools: "Read, Grep', "'\"Read' is not a tool name"),
    "a semicolon list": ("tools: Read; Grep", "'Read;' is not a tool name"),
    "braces in a name": ("tools: Read, {Grep}", "'{Grep}' is not a tool name"),
    "unreadable disallowedTools": ("disallowedTools: {Bash: true}", "it is a mapping"),
}


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_an_unreadable_tool_list_gives_no_tools_and_says_why(case: str) -> None:
    line, reason = UNREADABLE[case]
    offered, problem = persona_with(line)
    assert offered == []
    assert problem is not None and reason in problem and "gets no tools" in problem


@pytest.mark.parametrize("dialect", ["gemini", "opencode"])
def test_other_dialects_fail_closed_too(dialect: str) -> None:
    offered, problem = persona_with("tools: [read_file, 7]", dialect)
    assert offered == [] and problem is not None and "a number 7" in problem


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("tools: Read, Grep", ["Read", "Grep"]),
        ("tools: [Read, Grep]", ["Read", "Grep"]),
        ("tools:\n  - Read\n  - Grep", ["Read", "Grep"]),
        ("tools: 'Read', \"Grep\"", ["Read", "Grep"]),
        ("tools: Read Grep", ["Read", "Grep"]),
        ("tools: []", []),
    ],
)
def test_readable_lists_are_unchanged(line: str, expected: list[str]) -> None:
    offered, problem = persona_with(line)
    assert problem is None and offered == expected


def test_rules_and_foreign_names_still_parse() -> None:
    names = parse_tool_list("Bash(git diff:*), mcp__srv__do, subagent-catalog:search, WebFetch")
    assert names == ["Bash(git diff:*)", "mcp__srv__do", "subagent-catalog:search", "WebFetch"]
    with pytest.raises(UnreadableToolList):
        parse_tool_list({"Read": True})


def test_an_empty_tools_line_still_means_every_tool() -> None:
    offered, problem = persona_with("tools:")
    assert offered is None and problem is None


def test_a_run_with_such_a_persona_offers_no_tools_and_warns(
    devagent_cmd: list[str], devagent_env: dict[str, str], tmp_path: Path, fake_api: FakeAPI
) -> None:
    repo = tmp_path / "repo"
    agents = repo / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "odd.md").write_text("---\nname: odd\ndescription: D\ntools: {Read: true}\n---\nB\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    fake_api.enqueue(text_reply("No tools here."))
    done = subprocess.run(
        [*devagent_cmd, "-p", "hello", "--agent", "odd"],
        env=devagent_env,
        cwd=repo,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "No tools here.\n"
    assert fake_api.requests[0].tool_names() == []
    assert "warning: agent odd" in done.stderr
    assert "its 'tools' line cannot be read (it is a mapping" in done.stderr


def test_switching_the_chat_to_such_a_persona_warns_and_offers_no_tools(
    tmp_path: Path, devagent_home: Path
) -> None:
    from devagent.approval import DenyingApprover
    from devagent.assembly import AgentOptions
    from devagent.conversation import Conversation
    from devagent.events import Event, Notice
    from devagent.llm.scripted import ScriptedModel, text_reply
    from devagent.permissions import PermissionEngine
    from devagent.session import SessionStore

    text = "---\nname: odd\ndescription: D\ntools: [Read, 3]\n---\nB\n"
    persona = parse_persona(text, tmp_path / "odd.md")
    model = ScriptedModel([text_reply("fine")])
    events: list[Event] = []
    options = AgentOptions(
        workspace=tmp_path,
        cwd=tmp_path,
        home=devagent_home,
        model_name=model.name,
        make_model=lambda _name: model,
        policy=PermissionEngine(tmp_path),
        approver=DenyingApprover(),
        emit=events.append,
    )
    store = SessionStore(devagent_home / "sessions", {})
    conversation = Conversation.start(options, store, "s1")
    assert not [e for e in events if isinstance(e, Notice)]
    conversation.switch(persona, model.name)
    notices = [e for e in events if isinstance(e, Notice)]
    assert len(notices) == 1 and notices[0].level == "warning"
    assert "agent odd" in notices[0].text and "the list holds a number 3" in notices[0].text
    conversation.run("hi")
    assert model.requests[0].tools == []
    conversation.close()
