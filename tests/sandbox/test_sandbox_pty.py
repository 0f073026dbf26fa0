"""The chat's approval prompt says where a Bash command will run (tmux, the real `devagent`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devagent.sandbox.bwrap import probe
from fakes.fake_api import FakeAPI, text_reply, tool_call, tool_reply
from ui.repl_harness import Tmux, at_prompt

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.skipif(not probe(os.environ).works, reason="bubblewrap cannot run here"),
]


@pytest.fixture
def term(tmp_path: Path) -> Iterator[Tmux]:
    folder = tmp_path / "term"
    folder.mkdir()
    started = Tmux(folder)
    yield started
    started.kill()


def asking(screen: str) -> bool:
    return "Allow Bash? [y/a/n]" in screen


def test_the_prompt_says_sandboxed_or_not_and_why(
    fake_api: FakeAPI, devagent_env: dict[str, str], tmp_path: Path, term: Tmux
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    fake_api.enqueue(
        tool_reply(tool_call("Bash", {"command": "touch approved-inside"})),
        tool_reply(tool_call("Bash", {"command": "curl -s http://127.0.0.1:9/"})),
        text_reply("All done."),
    )
    term.start([sys.executable, "-m", "devagent"], devagent_env, repo)
    term.wait_for(at_prompt, what="the first prompt")
    term.line("make a file, then fetch something")
    term.wait_for(asking, what="the first approval question")
    assert "runs: in the workspace-write sandbox (no network)" in term.screen()
    term.type("y")
    term.wait_for("needs the network (curl)", what="the second approval question")
    assert "runs: WITHOUT the sandbox if approved" in term.screen()
    term.type("n")
    term.wait_for("feedback for the model", what="the feedback question")
    term.line("")
    term.wait_for("All done.")
    assert (repo / "approved-inside").exists()
