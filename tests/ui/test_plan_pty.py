"""Plan mode in the real `devagent chat` (tmux) against the fake Messages API: the plan is drawn
as Markdown and one key answers: ``a`` accepts edits, ``y`` asks for each edit, ``n`` keeps
planning with feedback for the model."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devagent.prompt import PLAN_MODE_NOTE
from fakes.fake_api import FakeAPI, text_reply, tool_call, tool_reply
from ui.repl_harness import Tmux, at_prompt

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

PLAN = "## Bump the version\n\n1. Change **VERSION** to 2 in `app.py`\n2. Run the tests"
EDIT = {"file_path": "app.py", "old_string": "VERSION = 1", "new_string": "VERSION = 2"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "app.py").write_text("VERSION = 1\n")
    return root


@pytest.fixture
def terms() -> Iterator[list[Tmux]]:
    started: list[Tmux] = []
    yield started
    for term in started:
        term.kill()


def last_line(screen: str) -> str:
    lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def asked_about_the_plan(screen: str) -> bool:
    return last_line(screen) == "Carry out this plan? [y/a/n]"


def asked_about_an_edit(screen: str) -> bool:
    return last_line(screen) == "Allow Edit? [y/a/n]"


def chat(terms: list[Tmux], env: dict[str, str], cwd: Path, *args: str) -> Tmux:
    folder = cwd.parent / f"term-{len(terms)}"
    folder.mkdir()
    term = Tmux(folder)
    terms.append(term)
    term.start([sys.executable, "-m", "devagent", "chat", *args], env, cwd)
    term.wait_for(at_prompt, what="the first prompt")
    return term


def test_yes_and_accept_edits_then_the_edit_runs_without_asking(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    fake_api.enqueue(
        tool_reply(tool_call("Read", {"file_path": "app.py"})),
        tool_reply(tool_call("ExitPlanMode", {"plan": PLAN})),
        tool_reply(tool_call("Edit", EDIT)),
        text_reply("Bumped to 2."),
    )
    term = chat(terms, devagent_env, repo, "--permission-mode", "plan")
    term.wait_for("mode: plan (shift+tab)", what="the toolbar")
    term.line("bump the version")
    screen = term.wait_for(asked_about_the_plan, what="the plan question")
    assert "Bump the version\n" in screen and "## Bump" not in screen  # drawn as Markdown
    assert "1. Change VERSION to 2 in app.py" in screen
    assert "  y  yes, and ask before each edit (default mode)" in screen
    assert "❯ n  no, keep planning, and tell the model what to change" in screen
    term.type("a")
    screen = term.wait_for("Bumped to 2.")
    term.wait_for(at_prompt)
    assert (repo / "app.py").read_text() == "VERSION = 2\n"
    assert "Allow Edit?" not in screen
    assert "Carry out this plan? [y/a/n] yes, and accept edits" in screen
    assert "⎿ Plan approved; mode: acceptEdits, so edits in the workspace run without" in screen
    term.wait_for("mode: acceptEdits (shift+tab)", what="the toolbar after the answer")
    first = fake_api.requests[0].messages[0]["content"]
    assert first[0]["text"] == PLAN_MODE_NOTE


def test_slash_plan_keep_planning_with_feedback_then_yes_and_ask_for_each_edit(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    fake_api.enqueue(
        tool_reply(tool_call("Read", {"file_path": "app.py"})),
        tool_reply(tool_call("ExitPlanMode", {"plan": PLAN})),
        text_reply("Noted: the changelog too."),
        tool_reply(tool_call("ExitPlanMode", {"plan": PLAN + "\n3. Update CHANGELOG.md"})),
        tool_reply(tool_call("Edit", EDIT)),
        text_reply("Bumped."),
    )
    term = chat(terms, devagent_env, repo)
    term.line("/plan bump the version")
    term.wait_for(asked_about_the_plan, what="the plan question")
    term.type("n")
    term.wait_for("what should change in the plan?", what="the feedback question")
    term.line("also update the changelog")
    term.wait_for("Noted: the changelog too.")
    term.wait_for(at_prompt)
    rejected = fake_api.requests[2].tool_results()[0]
    assert rejected["is_error"] is True
    assert "The user said: also update the changelog" in rejected["content"]
    term.wait_for("mode: plan (shift+tab)", what="plan mode kept")

    term.line("go on")
    screen = term.wait_for(asked_about_the_plan, what="the second plan question")
    assert "3. Update CHANGELOG.md" in screen
    term.type("y")
    term.wait_for(asked_about_an_edit, what="the edit's own question")
    term.type("y")
    term.wait_for("Bumped.")
    term.wait_for(at_prompt)
    assert (repo / "app.py").read_text() == "VERSION = 2\n"
    term.wait_for("mode: default (shift+tab)", what="default mode after the answer")
    assert fake_api.requests[3].last_message["content"][0]["text"] == PLAN_MODE_NOTE
