"""Skills in the real `devagent chat` (tmux) against the fake Messages API: Tab completes a
skill's name after ``/``, ``/NAME args`` sends the skill's instructions as the prompt with the
skill active for that turn (its allowed-tools run without a question, the next turn asks
again), and ``/skills`` lists them with scope and source."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devagent.trust import trust
from fakes.fake_api import FakeAPI, text_reply, tool_call, tool_reply
from ui.repl_harness import Tmux, at_prompt

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "openai"
STATUS_SKILL = """\
---
name: repo-status
description: Report the state of the working tree.
allowed-tools: Bash(git status:*)
---
Run `git status` and summarise it in one line.
"""


@pytest.fixture
def repo(tmp_path: Path, devagent_home: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    skills = root / ".claude" / "skills"
    shutil.copytree(FIXTURES / "create-plan", skills / "create-plan")
    (skills / "repo-status").mkdir()
    (skills / "repo-status" / "SKILL.md").write_text(STATUS_SKILL)
    trust(root, devagent_home)
    return root


@pytest.fixture
def term(tmp_path: Path) -> Iterator[Tmux]:
    folder = tmp_path / "term"
    folder.mkdir()
    started = Tmux(folder)
    yield started
    started.kill()


def start(term: Tmux, env: dict[str, str], cwd: Path, home: Path) -> None:
    home.mkdir(exist_ok=True)
    term.start([sys.executable, "-m", "devagent", "chat"], {**env, "HOME": str(home)}, cwd)
    term.wait_for(at_prompt, what="the first prompt")


def test_tab_completes_a_skill_and_slash_name_loads_it_for_the_turn(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, term: Tmux, tmp_path: Path
) -> None:
    fake_api.enqueue(text_reply("1. Add a cache layer"))
    start(term, devagent_env, repo, tmp_path / "home")
    term.type("/create-p")
    term.wait_for("/create-plan", what="the completion menu")
    term.send("Tab")
    term.wait_for("> /create-plan", what="the completed name")
    term.line(" add caching")
    term.wait_for("Add a cache layer", what="the answer")
    term.wait_for(at_prompt, what="the prompt after the turn")
    sent = fake_api.requests[0].last_user_text()
    assert sent.startswith('Skill "create-plan" loaded from ')
    assert "# Create Plan" in sent and "ARGUMENTS: add caching" in sent


def test_a_skills_allowed_tools_run_without_asking_only_in_its_turn(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, term: Tmux, tmp_path: Path
) -> None:
    fake_api.enqueue(
        tool_reply(tool_call("Bash", {"command": "git status"})),
        text_reply("Clean tree."),
        tool_reply(tool_call("Bash", {"command": "git status"})),
        text_reply("Not run."),
    )
    start(term, devagent_env, repo, tmp_path / "home")
    term.line("/repo-status")
    term.wait_for("Clean tree.", what="the skill's turn")
    assert "Allow Bash" not in term.screen()
    term.wait_for(at_prompt, what="the prompt after the skill's turn")
    [result] = fake_api.requests[1].tool_results()
    assert "On branch" in str(result["content"]) and not result.get("is_error")
    term.line("and again?")
    term.wait_for("Allow Bash", what="the approval question in a later turn")
    term.type("n")
    term.wait_for("feedback for the model", what="the feedback question")
    term.send("Enter")
    term.wait_for("Not run.", what="the answer after the refusal")
    [refused] = fake_api.requests[3].tool_results()
    assert refused.get("is_error")


def test_slash_skills_lists_them_with_scope_and_source(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, term: Tmux, tmp_path: Path
) -> None:
    start(term, devagent_env, repo, tmp_path / "home")
    term.line("/skills")
    screen = term.wait_for("/repo-status", what="the skills table")
    assert "/create-plan" in screen and "project" in screen and ".claude/skills" in screen
    assert "Create a concise plan." in screen
    term.line("/exit")
    assert term.wait_exit() == 0


def test_an_untrusted_folder_with_a_granting_skill_asks_for_trust_first(
    fake_api: FakeAPI,
    devagent_env: dict[str, str],
    devagent_home: Path,
    tmp_path: Path,
    term: Tmux,
) -> None:
    root = tmp_path / "other"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    folder = root / ".agents" / "skills" / "repo-status"
    folder.mkdir(parents=True)
    (folder / "SKILL.md").write_text(STATUS_SKILL)
    home = tmp_path / "home"
    home.mkdir()
    term.start(
        [sys.executable, "-m", "devagent", "chat"], {**devagent_env, "HOME": str(home)}, root
    )
    screen = term.wait_for("Trust this folder? [y/N]", what="the trust question")
    assert ".agents/skills/repo-status/SKILL.md" in screen and "allowed-tools" in screen
    term.line("y")
    term.wait_for(at_prompt, what="the first prompt")
    assert str(root.resolve()) in (devagent_home / "trusted.json").read_text()
