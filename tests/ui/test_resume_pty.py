"""The real `devagent chat` in a terminal (tmux) against the fake Messages API: a pasted image
path goes to the API as an image, and `--continue` shows the earlier conversation again."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from fakes.fake_api import FakeAPI, Usage, text_reply, tool_call, tool_reply
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
    (root / "app.py").write_text("VERSION = 1\n")
    return root


@pytest.fixture
def terms() -> Iterator[list[Tmux]]:
    started: list[Tmux] = []
    yield started
    for term in started:
        term.kill()


def chat(terms: list[Tmux], env: dict[str, str], cwd: Path, *args: str) -> Tmux:
    folder = cwd.parent / f"term-{len(terms)}"
    folder.mkdir()
    term = Tmux(folder)
    terms.append(term)
    term.start([sys.executable, "-m", "devagent", "chat", *args], env, cwd)
    term.wait_for(at_prompt, what="the first prompt")
    return term


def test_a_pasted_image_goes_along_and_continue_shows_the_conversation_again(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux], tmp_path: Path
) -> None:
    shot = tmp_path / "Screen Shot.png"
    Image.new("RGB", (40, 30), (255, 0, 0)).save(shot, "PNG")
    fake_api.enqueue(
        tool_reply(tool_call("Read", {"file_path": "app.py"}), text="Checking the **version**."),
        text_reply(
            "The shot is *red* and `VERSION` is 1.",
            usage=Usage(input_tokens=42_000, output_tokens=1_000),
        ),
    )
    first = chat(terms, devagent_env, repo)
    first.paste(f"what is in '{shot}'?")
    first.send("Enter")
    first.wait_for(f"attached {shot}, PNG 40x30, 1 KB", what="the attachment line")
    first.wait_for("The shot is red and VERSION is 1.")
    first.wait_for(at_prompt)
    content = fake_api.requests[0].messages[-1]["content"]
    assert [b["type"] for b in content] == ["text", "text", "image"]
    assert content[2]["source"]["media_type"] == "image/png"
    first.send("C-d")
    assert first.wait_exit() == 0

    again = chat(terms, devagent_env, repo, "--continue")
    screen = again.wait_for("Resumed session", what="the resumed line")
    shown = screen[screen.index("devagent chat") :]
    assert f"> what is in '{shot}'?" in shown
    assert f"attached {shot}, PNG 40x30, 1 KB" in shown
    assert "Checking the version." in shown
    assert "● Read app.py" in shown
    assert "The shot is red and VERSION is 1." in shown
    assert "(1 message · 43.0k tokens · $0.0942 so far)." in shown
    assert "iVBOR" not in shown  # the image's base64 never reaches the screen
    toolbar = "· 43.0k tokens · $0.0942 · context 4% "
    assert toolbar in again.wait_for(toolbar, what="the restored figures in the toolbar")
    again.send("C-d")
    assert again.wait_exit() == 0
