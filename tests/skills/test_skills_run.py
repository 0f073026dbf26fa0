"""Skills through the real CLI against the fake Messages API: listing, showing and linting them,
the Skill tool loading one (and a Read relative to its folder), allowed-tools granted only
while the skill is active and only where it may grant, and ``-p "/NAME ARGS"``."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from clirun import run
from devagent.trust import trust
from fakes.fake_api import FakeAPI, RecordedRequest, text_reply, tool_call, tool_reply

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "openai"
GIT_STATUS_SKILL = """\
---
name: repo-status
description: Report the state of the working tree. Use when asked what changed.
allowed-tools: Bash(git status:*)
---
Run `git status` and summarise it in one line.
"""


@pytest.fixture
def user_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


@pytest.fixture
def env(devagent_env: dict[str, str], user_home: Path) -> dict[str, str]:
    """The CLI's environment with ``~`` in a temporary folder, so only these skills exist."""
    return {**devagent_env, "HOME": str(user_home)}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "app.py").write_text("print('hi')\n")
    return root


def result_text(block: dict[str, Any]) -> str:
    content = block["content"]
    if isinstance(content, str):
        return content
    return "\n".join(b.get("text", "") for b in content)


def results(request: RecordedRequest) -> list[tuple[str, bool]]:
    return [(result_text(b), bool(b.get("is_error"))) for b in request.tool_results()]


def add_skill(root: Path, name: str, text: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "SKILL.md").write_text(text, encoding="utf-8")
    return folder


# --- skills list / show / lint -------------------------------------------------------------


def test_skills_list_json_has_every_fixture_with_name_description_scope_and_source(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, user_home: Path
) -> None:
    shutil.copytree(FIXTURES, repo / ".claude" / "skills")
    add_skill(
        user_home / ".codex" / "skills",
        "create-plan",
        "---\nname: create-plan\ndescription: mine\n---\nB",
    )
    done = run(devagent_cmd, ["skills", "list", "--format", "json"], env, repo)
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    names = sorted(p.name for p in FIXTURES.iterdir())
    assert [s["name"] for s in listed["skills"]] == names
    for skill in listed["skills"]:
        text = (FIXTURES / skill["name"] / "SKILL.md").read_text(encoding="utf-8")
        assert f"\ndescription: {skill['description']}\n" in text
        assert (skill["scope"], skill["source"]) == ("project", ".claude/skills")
    [shadow] = listed["shadowed"]
    assert shadow["name"] == "create-plan" and ".codex" in shadow["path"]
    table = run(devagent_cmd, ["skills", "list"], env, repo)
    assert table.returncode == 0
    assert re.search(
        r"^create-plan +project +\.claude/skills +Create a concise", table.stdout, re.M
    )
    assert "shadowed:" in table.stderr


def test_skills_list_says_where_to_put_skills_when_there_are_none(
    devagent_cmd: list[str], env: dict[str, str], repo: Path
) -> None:
    done = run(devagent_cmd, ["skills", "list"], env, repo)
    assert done.returncode == 0 and done.stdout == ""
    assert "No skills found" in done.stderr and "~/.codex/skills/" in done.stderr
    listed = json.loads(run(devagent_cmd, ["skills", "list", "--format", "json"], env, repo).stdout)
    assert listed == {"skills": [], "problems": [], "shadowed": []}


def test_skills_show_prints_the_fields_and_body_and_an_unknown_name_exits_2(
    devagent_cmd: list[str], env: dict[str, str], repo: Path
) -> None:
    add_skill(repo / ".agents" / "skills", "repo-status", GIT_STATUS_SKILL)
    done = run(devagent_cmd, ["skills", "show", "repo-status"], env, repo)
    assert done.returncode == 0, done.stderr
    assert "allowed-tools:  Bash(git status:*)" in done.stdout
    assert "scope:          project (.agents/skills)" in done.stdout
    assert done.stdout.rstrip().endswith("summarise it in one line.")
    missing = run(devagent_cmd, ["skills", "show", "repo-stat"], env, repo)
    assert missing.returncode == 2 and "Did you mean: repo-status?" in missing.stderr


def test_skills_lint_warns_without_refusing_and_fails_only_on_a_skill_that_cannot_load(
    devagent_cmd: list[str], env: dict[str, str], repo: Path
) -> None:
    root = repo / ".claude" / "skills"
    add_skill(root, "Odd_Name", "---\nname: Odd_Name\ndescription: d\n---\nB")
    add_skill(root, "plain", "Just instructions, no frontmatter.")
    done = run(devagent_cmd, ["skills", "lint"], env, repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning: name 'Odd_Name' may hold only lowercase" in done.stdout
    assert "plain/SKILL.md: warning: no frontmatter" in done.stdout
    assert "2 skills checked: 0 errors" in done.stderr
    add_skill(root, "open", "---\nname: open\n")
    failed = run(devagent_cmd, ["skills", "lint", str(root / "open")], env, repo)
    assert failed.returncode == 1 and "error: frontmatter is not closed" in failed.stdout
    nothing = run(devagent_cmd, ["skills", "lint", str(repo / "nope")], env, repo)
    assert nothing.returncode == 1 and "no such file or folder" in nothing.stdout


# --- the Skill tool ------------------------------------------------------------------------


def test_the_model_sees_names_and_descriptions_then_loads_a_body_and_reads_a_reference(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, user_home: Path, fake_api: FakeAPI
) -> None:
    skills = user_home / ".claude" / "skills"
    shutil.copytree(FIXTURES, skills)
    folder = skills / "notion-research-documentation"
    fake_api.enqueue(
        tool_reply(tool_call("Skill", {"skill": "notion-research-documentation", "args": "Q3"})),
        tool_reply(tool_call("Read", {"file_path": f"{folder}/reference/citations.md"})),
        text_reply("done"),
    )
    done = run(devagent_cmd, ["-p", "research Q3", "--output-format", "json"], env, repo)
    assert done.returncode == 0, done.stderr
    [tool] = [t for t in fake_api.requests[0].tools if t["name"] == "Skill"]
    assert tool["input_schema"]["required"] == ["skill"]
    for skill_md in sorted(FIXTURES.glob("*/SKILL.md")):
        name = skill_md.parent.name
        assert f"- {name}: " in tool["description"]
    assert "Create a concise plan." in tool["description"]
    assert "# Research & Documentation" not in tool["description"]  # bodies are not preloaded
    [(loaded, failed)] = results(fake_api.requests[1])
    body = (folder / "SKILL.md").read_text(encoding="utf-8").split("---\n", 2)[2].strip()
    assert not failed and f"Skill folder: {folder}" in loaded
    assert body in loaded and loaded.rstrip().endswith("ARGUMENTS: Q3\n</skill-instructions>")
    [(read, failed)] = results(fake_api.requests[2])
    first = (folder / "reference" / "citations.md").read_text(encoding="utf-8").splitlines()[0]
    assert not failed and read.startswith(f"     1\t{first}")
    assert json.loads(done.stdout)["permission_denials"] == []
    assert "→ Skill notion-research-documentation" in done.stderr


def test_a_user_skills_folder_is_readable_only_while_it_is_active(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, user_home: Path, fake_api: FakeAPI
) -> None:
    folder = user_home / ".claude" / "skills" / "notion-research-documentation"
    shutil.copytree(FIXTURES / folder.name, folder)
    reference = f"{folder}/reference/citations.md"
    fake_api.enqueue(tool_reply(tool_call("Read", {"file_path": reference})), text_reply("no"))
    done = run(devagent_cmd, ["-p", "read it", "--output-format", "json"], env, repo)
    [(text, failed)] = results(fake_api.requests[1])
    assert failed and "outside the workspace" in text
    assert done.returncode == 0


def test_an_unknown_skill_is_an_error_result_naming_the_available_ones(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    add_skill(repo / ".claude" / "skills", "repo-status", GIT_STATUS_SKILL)
    fake_api.enqueue(tool_reply(tool_call("Skill", {"skill": "pdf"})), text_reply("ok"))
    done = run(devagent_cmd, ["-p", "q"], env, repo)
    assert done.returncode == 0, done.stderr
    [(text, failed)] = results(fake_api.requests[1])
    assert failed and "No skill named 'pdf'" in text and "Available: repo-status." in text


def test_no_skills_means_no_skill_tool(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(text_reply("ok"))
    assert run(devagent_cmd, ["-p", "q"], env, repo).returncode == 0
    assert "Skill" not in fake_api.requests[0].tool_names()


# --- allowed-tools ---------------------------------------------------------------------------


def git_status_script(fake_api: FakeAPI) -> None:
    """git status before the skill is loaded, the load, git status again, the answer."""
    fake_api.enqueue(
        tool_reply(tool_call("Bash", {"command": "git status"})),
        tool_reply(tool_call("Skill", {"skill": "repo-status"})),
        tool_reply(tool_call("Bash", {"command": "git status"})),
        text_reply("clean"),
    )


def run_git_status(
    cmd: list[str], env: dict[str, str], repo: Path, fake_api: FakeAPI, *flags: str
) -> tuple[list[tuple[str, bool]], dict[str, Any]]:
    git_status_script(fake_api)
    done = run(cmd, ["-p", "status?", "--output-format", "json", *flags], env, repo)
    assert done.returncode == 0, done.stderr
    requests = fake_api.requests[-4:]
    return [results(r)[0] for r in requests[1:]], json.loads(done.stdout)


def test_allowed_tools_run_without_a_rule_only_while_the_skill_is_active_in_a_trusted_folder(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    devagent_home: Path,
    fake_api: FakeAPI,
) -> None:
    add_skill(repo / ".claude" / "skills", "repo-status", GIT_STATUS_SKILL)
    trust(repo, devagent_home)
    [before, loaded, after], result = run_git_status(devagent_cmd, env, repo, fake_api)
    assert before[1] and "Permission denied" in before[0]
    assert not loaded[1] and 'Skill "repo-status" loaded' in loaded[0]
    assert not after[1] and "On branch" in after[0]
    assert len(result["permission_denials"]) == 1
    # A new turn: the skill is no longer active, so git status is denied again.
    fake_api.enqueue(tool_reply(tool_call("Bash", {"command": "git status"})), text_reply("x"))
    done = run(devagent_cmd, ["-p", "again", "--output-format", "json"], env, repo)
    [(text, failed)] = results(fake_api.requests[-1])
    assert failed and "Permission denied" in text
    assert json.loads(done.stdout)["permission_denials"][0]["tool_input"] == {
        "command": "git status"
    }


def test_a_project_skill_grants_nothing_until_the_folder_is_trusted(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    add_skill(repo / ".claude" / "skills", "repo-status", GIT_STATUS_SKILL)
    [_, loaded, after], result = run_git_status(devagent_cmd, env, repo, fake_api)
    assert not loaded[1]
    assert after[1] and "Permission denied" in after[0]
    assert len(result["permission_denials"]) == 2


def test_a_user_skill_grants_in_any_folder(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, user_home: Path, fake_api: FakeAPI
) -> None:
    add_skill(user_home / ".agents" / "skills", "repo-status", GIT_STATUS_SKILL)
    [before, _, after], _ = run_git_status(devagent_cmd, env, repo, fake_api)
    assert before[1] and not after[1] and "On branch" in after[0]


def test_a_deny_rule_beats_what_an_active_skill_allows(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    devagent_home: Path,
    fake_api: FakeAPI,
) -> None:
    add_skill(repo / ".claude" / "skills", "repo-status", GIT_STATUS_SKILL)
    trust(repo, devagent_home)
    deny = ["--disallowed-tools", "Bash(git status:*)"]
    [_, _, after], _ = run_git_status(devagent_cmd, env, repo, fake_api, *deny)
    assert after[1] and "denied by Bash(git status:*)" in after[0]


def test_a_grant_never_opens_a_protected_path(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    devagent_home: Path,
    fake_api: FakeAPI,
) -> None:
    text = "---\nname: writer\ndescription: Writes.\nallowed-tools: Write\n---\nWrite files."
    add_skill(repo / ".claude" / "skills", "writer", text)
    trust(repo, devagent_home)
    fake_api.enqueue(
        tool_reply(tool_call("Skill", {"skill": "writer"})),
        tool_reply(
            tool_call("Write", {"file_path": "notes.txt", "content": "ok\n"}),
            tool_call("Write", {"file_path": ".claude/settings.json", "content": "{}"}),
        ),
        text_reply("done"),
    )
    done = run(devagent_cmd, ["-p", "write", "--output-format", "json"], env, repo)
    assert done.returncode == 0, done.stderr
    [(_, plain_failed), (protected, protected_failed)] = results(fake_api.requests[2])
    assert not plain_failed and (repo / "notes.txt").read_text() == "ok\n"
    assert protected_failed and "protected" in protected
    assert not (repo / ".claude" / "settings.json").exists()


# --- /NAME in one-shot ------------------------------------------------------------------------


def test_slash_name_runs_a_skill_in_one_shot_and_a_path_stays_a_prompt(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    shutil.copytree(FIXTURES / "create-plan", repo / ".claude" / "skills" / "create-plan")
    fake_api.enqueue(text_reply("plan"), text_reply("hosts"))
    done = run(devagent_cmd, ["-p", "/create-plan add a cache"], env, repo)
    assert done.returncode == 0, done.stderr
    sent = fake_api.requests[0].last_user_text()
    assert 'Skill "create-plan" loaded' in sent and "# Create Plan" in sent
    assert sent.rstrip().endswith("ARGUMENTS: add a cache\n</skill-instructions>")
    done = run(devagent_cmd, ["-p", "/etc/hosts is empty"], env, repo)
    assert fake_api.requests[1].last_user_text() == "/etc/hosts is empty"
    fake_api.enqueue(text_reply("piped"))
    piped = subprocess.run(
        [*devagent_cmd, "-p", "/create-plan"],
        env=env,
        cwd=repo,
        input="the error log\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert piped.returncode == 0, piped.stderr
    sent = fake_api.requests[2].last_user_text()
    assert 'Skill "create-plan" loaded' in sent and "ARGUMENTS: the error log" in sent


# --- personas and sub-agents -------------------------------------------------------------------


def test_personas_and_task_sub_agents_see_the_same_skills(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    shutil.copytree(FIXTURES / "create-plan", repo / ".claude" / "skills" / "create-plan")
    agents = repo / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "helper.md").write_text("---\nname: helper\ndescription: Helps.\n---\nHelp.")
    (agents / "reader.md").write_text(
        "---\nname: reader\ndescription: Reads.\ntools: Read, Grep\n---\nRead."
    )
    task = {"description": "plan it", "prompt": "make a plan", "subagent_type": "helper"}
    fake_api.enqueue(
        tool_reply(tool_call("Task", task)),
        tool_reply(tool_call("Skill", {"skill": "create-plan"})),
        text_reply("sub done"),
        text_reply("done"),
    )
    done = run(devagent_cmd, ["-p", "q", "--agent", "helper"], env, repo)
    assert done.returncode == 0, done.stderr
    main, sub, sub_after = fake_api.requests[:3]
    assert "Skill" in main.tool_names() and "Skill" in sub.tool_names()
    assert "Task" not in sub.tool_names()
    [(loaded, failed)] = results(sub_after)
    assert not failed and 'Skill "create-plan" loaded' in loaded
    fake_api.enqueue(text_reply("read"))
    done = run(devagent_cmd, ["-p", "q", "--agent", "reader"], env, repo)
    assert done.returncode == 0, done.stderr
    assert fake_api.requests[-1].tool_names() == ["Read", "Grep"]


def test_slash_name_in_one_shot_activates_the_skill_for_the_run(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    devagent_home: Path,
    fake_api: FakeAPI,
) -> None:
    add_skill(repo / ".claude" / "skills", "repo-status", GIT_STATUS_SKILL)
    trust(repo, devagent_home)
    fake_api.enqueue(tool_reply(tool_call("Bash", {"command": "git status"})), text_reply("ok"))
    done = run(devagent_cmd, ["-p", "/repo-status", "--output-format", "json"], env, repo)
    assert done.returncode == 0, done.stderr
    [(text, failed)] = results(fake_api.requests[1])
    assert not failed and "On branch" in text
    assert json.loads(done.stdout)["permission_denials"] == []
