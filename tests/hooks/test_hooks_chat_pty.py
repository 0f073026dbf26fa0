"""Hooks in the real `devagent chat` (tmux) against the fake Messages API: /hooks lists them with
their source, Notification fires before an approval question, PreCompact before /compact,
SessionEnd on exit, Ctrl-C kills a running hook, and a repository's hooks wait for trust."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devagent.trust import trust
from fakes.fake_api import FakeAPI, text_reply, tool_call, tool_reply
from hooks.hookkit import hook_entry, hook_script, logged, process_gone, write_settings
from ui.repl_harness import Tmux, at_prompt

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.fixture
def env(devagent_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "user-home"
    home.mkdir()
    return {**devagent_env, "HOME": str(home)}


@pytest.fixture
def terms() -> Iterator[list[Tmux]]:
    started: list[Tmux] = []
    yield started
    for term in started:
        term.kill()


def open_chat(terms: list[Tmux], env: dict[str, str], cwd: Path, name: str = "t0") -> Tmux:
    folder = cwd.parent / f"term-{name}"
    folder.mkdir()
    term = Tmux(folder)
    terms.append(term)
    term.start([sys.executable, "-m", "devagent"], env, cwd)
    return term


def test_hooks_listed_notification_pre_compact_and_session_end_in_chat(
    env: dict[str, str],
    repo: Path,
    tmp_path: Path,
    terms: list[Tmux],
    fake_api: FakeAPI,
    devagent_home: Path,
) -> None:
    scripts = tmp_path / "scripts"
    notify = hook_script(scripts, "notify", "log(payload)\n")
    compact = hook_script(scripts, "compact", "log(payload)\n")
    end = hook_script(scripts, "end", "log(payload)\n")
    write_settings(
        devagent_home / "settings.json",
        {
            "Notification": [hook_entry(notify)],
            "PreCompact": [hook_entry(compact, "manual")],
            "SessionEnd": [hook_entry(end)],
        },
    )
    write_settings(
        repo / ".claude" / "settings.json", {"PostToolUse": [hook_entry("true", "Bash")]}
    )
    trust(repo, devagent_home)
    fake_api.enqueue(
        tool_reply(tool_call("Bash", {"command": "touch made.txt"})),
        text_reply("Made it."),
        text_reply("Summary: made a file."),
    )
    term = open_chat(terms, env, repo)
    term.wait_for(at_prompt, what="the first prompt")
    term.line("/hooks")
    screen = term.wait_for("PostToolUse", what="the hooks table")
    assert "Notification" in screen and "PreCompact" in screen and "manual" in screen
    assert str(devagent_home / "settings.json") in screen
    assert str(repo / ".claude" / "settings.json") in screen
    term.line("make a file")
    term.wait_for("[y/a/n]", what="the approval question")
    [note] = logged(scripts, "notify")
    assert note["message"] == "devagent needs your permission to use Bash"
    assert note["notification_type"] == "permission_prompt"
    term.type("y")
    term.wait_for("Made it.", what="the answer")
    assert (repo / "made.txt").exists()
    term.wait_for(at_prompt, what="the prompt after the turn")
    term.line("/compact keep file names")
    term.wait_for("Compacted", what="the compaction")
    [pre] = logged(scripts, "compact")
    assert pre["trigger"] == "manual" and pre["custom_instructions"] == "keep file names"
    term.wait_for(at_prompt, what="the prompt after /compact")
    term.line("/exit")
    assert term.wait_exit() == 0
    [ended] = logged(scripts, "end")
    assert ended["reason"] == "prompt_input_exit"


def test_ctrl_c_kills_a_running_prompt_hook_and_the_prompt_is_not_sent(
    env: dict[str, str],
    repo: Path,
    tmp_path: Path,
    terms: list[Tmux],
    fake_api: FakeAPI,
    devagent_home: Path,
) -> None:
    pids = tmp_path / "pids"
    hang = f"sleep 300 & echo $! > {pids}.child; echo $$ > {pids}.main; wait"
    write_settings(
        devagent_home / "settings.json", {"UserPromptSubmit": [hook_entry(hang, timeout=300)]}
    )
    term = open_chat(terms, env, repo)
    term.wait_for(at_prompt, what="the first prompt")
    term.line("hello")
    term.wait_for(lambda _: Path(f"{pids}.child").exists(), what="the hook to start")
    term.send("C-c")
    term.wait_for("Interrupted", what="the interrupt")
    term.wait_for(at_prompt, what="the prompt after Ctrl-C")
    for name in ("child", "main"):
        pid = int(Path(f"{pids}.{name}").read_text())
        assert process_gone(pid), f"the hook's {name} process {pid} is still running"
    assert fake_api.requests == []
    term.line("/exit")
    assert term.wait_exit() == 0


def test_a_repository_s_hooks_wait_until_the_folder_is_trusted(
    env: dict[str, str],
    repo: Path,
    tmp_path: Path,
    terms: list[Tmux],
    devagent_home: Path,
) -> None:
    marker = tmp_path / "marker"
    settings = write_settings(
        repo / ".devagent" / "settings.json", {"SessionStart": [hook_entry(f"touch {marker}")]}
    )
    term = open_chat(terms, env, repo)
    term.wait_for("Trust this folder? [y/N]", what="the trust question")
    term.line("n")
    term.wait_for(at_prompt, what="the first prompt")
    term.line("/hooks")
    term.wait_for(f"Not run until you trust this folder: {settings}", what="the untrusted file")
    assert not marker.exists()
    term.line("/exit")
    assert term.wait_exit() == 0
    second = open_chat(terms, env, repo, "t1")
    second.wait_for("Trust this folder? [y/N]", what="the trust question again")
    second.line("y")
    second.wait_for(at_prompt, what="the first prompt once trusted")
    assert marker.exists()
    second.line("/exit")
    assert second.wait_exit() == 0


def test_a_blocked_prompt_is_not_sent_and_the_user_is_told_why(
    env: dict[str, str],
    repo: Path,
    terms: list[Tmux],
    fake_api: FakeAPI,
    devagent_home: Path,
) -> None:
    refuse = "echo 'prompts may not name the prod database' >&2; exit 2"
    write_settings(devagent_home / "settings.json", {"UserPromptSubmit": [hook_entry(refuse)]})
    term = open_chat(terms, env, repo)
    term.wait_for(at_prompt, what="the first prompt")
    term.line("drop table users on prod")
    term.wait_for(
        "A UserPromptSubmit hook blocked this prompt (it was not sent): prompts may not name "
        "the prod database",
        what="the refusal",
    )
    term.wait_for(at_prompt, what="the prompt after the refusal")
    assert fake_api.requests == []
    term.line("/exit")
    assert term.wait_exit() == 0
