"""What an active skill's allowed-tools grant, decided in process against a real permission
engine: only while active, only where the skill may grant, never past a deny rule, an ask
rule, a protected path or plan mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from devagent.approval import PermissionRequest, ReadOnlyPolicy
from devagent.permissions import PermissionEngine, Rule
from devagent.skills import Skill, SkillCatalog, SkillSet, UnknownSkill
from devagent.skills.skill import Scope


def skill(
    folder: Path,
    scope: Scope = "project",
    *rules: str,
    user_invocable: bool = True,
    model_invocable: bool = True,
) -> Skill:
    return Skill(
        name=folder.name,
        description="d",
        folder=folder,
        body="Do it.",
        scope=scope,
        allowed_tools=rules,
        user_invocable=user_invocable,
        model_invocable=model_invocable,
    )


def bash(command: str) -> PermissionRequest:
    return PermissionRequest("Bash", {"command": command}, command=command, kind="execute")


def write(path: Path) -> PermissionRequest:
    return PermissionRequest("Write", {"file_path": str(path)}, (path,), kind="edit")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    return root


def skills_for(ws: Path, *found: Skill, trusted: bool = True) -> SkillSet:
    return SkillSet(SkillCatalog(list(found)), trusted)


def test_a_grant_applies_only_while_the_skill_is_active(ws: Path) -> None:
    skills = skills_for(ws, skill(ws / "st", "project", "Bash(git status:*)"))
    policy = skills.policy(PermissionEngine(ws))
    assert policy.decide(bash("git status")).behavior == "ask"
    skills.load("st")
    allowed = policy.decide(bash("git status --short"))
    assert allowed.behavior == "allow" and allowed.source == "skill:st"
    assert policy.decide(bash("git push")).behavior == "ask"
    skills.end_turn()
    assert policy.decide(bash("git status")).behavior == "ask"


def test_project_grants_wait_for_trust_and_user_grants_do_not(ws: Path, tmp_path: Path) -> None:
    repo_skill = skill(ws / "st", "project", "Bash(git status:*)")
    user_skill = skill(tmp_path / "mine", "user", "Bash(git log:*)")
    skills = skills_for(ws, repo_skill, user_skill, trusted=False)
    policy = skills.policy(PermissionEngine(ws))
    skills.load("st")
    skills.load("mine")
    assert policy.decide(bash("git status")).behavior == "ask"
    assert policy.decide(bash("git log")).behavior == "allow"


def test_deny_and_ask_rules_protected_paths_and_plan_mode_still_win(ws: Path) -> None:
    grants = ("Bash(git status:*)", "Bash(git diff:*)", "Write")
    skills = skills_for(ws, skill(ws / "st", "project", *grants))
    engine = PermissionEngine(
        ws,
        deny=[Rule.parse("Bash(git status:*)", "test")],
        ask=[Rule.parse("Bash(git diff:*)", "test")],
    )
    policy = skills.policy(engine)
    skills.load("st")
    assert policy.decide(bash("git status")).behavior == "deny"
    assert policy.decide(bash("git diff")).behavior == "ask"
    assert policy.decide(write(ws / "notes.txt")).behavior == "allow"
    assert policy.decide(write(ws / ".git" / "config")).behavior == "ask"
    assert policy.decide(write(ws.parent / "outside.txt")).behavior == "ask"
    engine.set_mode("plan")
    assert policy.decide(write(ws / "notes.txt")).behavior == "deny"


def test_a_later_session_rule_is_seen_by_the_granting_copy(ws: Path) -> None:
    skills = skills_for(ws, skill(ws / "st", "project", "Bash(git status:*)"))
    engine = PermissionEngine(ws)
    policy = skills.policy(engine)
    skills.load("st")
    assert policy.decide(bash("git status")).behavior == "allow"
    engine.add_session_rule("deny", "Bash(git status:*)")
    assert policy.decide(bash("git status")).behavior == "deny"


def test_a_user_skills_folder_is_readable_while_active(ws: Path, tmp_path: Path) -> None:
    folder = tmp_path / "home" / ".claude" / "skills" / "mine"
    folder.mkdir(parents=True)
    skills = skills_for(ws, skill(folder, "user"))
    policy = skills.policy(PermissionEngine(ws))
    read = PermissionRequest(
        "Read", {"file_path": str(folder / "x.md")}, (folder / "x.md",), read_only=True, kind="read"
    )
    assert policy.decide(read).behavior == "deny"
    skills.load("mine")
    assert policy.decide(read).behavior == "allow"
    elsewhere = tmp_path / "home" / "secret.txt"
    other = PermissionRequest(
        "Read", {"file_path": str(elsewhere)}, (elsewhere,), read_only=True, kind="read"
    )
    assert policy.decide(other).behavior == "deny"


def test_who_may_load_what(ws: Path) -> None:
    hidden = skill(ws / "hidden", "project", user_invocable=False)
    manual = skill(ws / "manual", "project", model_invocable=False)
    skills = skills_for(ws, hidden, manual)
    assert "hidden" in skills.load("hidden")
    assert "manual" in skills.load("manual", by_user=True)
    with pytest.raises(UnknownSkill, match="Available: hidden"):
        skills.load("manual")
    with pytest.raises(UnknownSkill, match="Available: manual"):
        skills.load("hidden", by_user=True)
    tool = skills.tool()
    assert tool is not None and "- hidden: d" in tool.describe() and "manual" not in tool.describe()


def test_a_policy_that_is_not_an_engine_is_left_as_it_is(ws: Path) -> None:
    base = ReadOnlyPolicy()
    assert skills_for(ws).policy(base) is base


def test_the_engines_rules_show_through_for_webfetchs_named_hosts(ws: Path) -> None:
    from devagent.tools.web import rule_names_host

    engine = PermissionEngine(ws, allow=[Rule.parse("WebFetch(domain:127.0.0.1)", "test")])
    skills = skills_for(ws, skill(ws / "w", "project", "WebFetch(domain:localhost)"))
    policy = skills.policy(engine)
    skills.load("w")
    named = rule_names_host(policy)
    assert named("127.0.0.1") and not named("localhost")
