"""MCP in the real `devagent chat` (tmux): a project server is asked about once, with the exact
command line; a declined one never starts; /mcp lists servers and tools; a call asks and runs;
no server survives /exit or SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.fake_api import FakeAPI, text_reply, tool_call, tool_reply
from mcpclient.mcpfixtures import read_pid, stdio_entry, wait_gone, write_config
from ui.repl_harness import Tmux, at_prompt

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(180),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

QUESTION = "Start MCP server proj? [y/N]"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.fixture
def term(repo: Path) -> Iterator[Tmux]:
    folder = repo.parent / "term"
    folder.mkdir()
    started = Tmux(folder)
    yield started
    started.kill()


def _asked(screen: str) -> bool:
    return screen.rstrip().endswith(QUESTION)


def test_approved_project_server_runs_shows_in_mcp_and_stops_on_exit(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, term: Tmux
) -> None:
    marker = repo.parent / "proj.marker"
    entry = stdio_entry("--marker", str(marker))
    write_config(repo / ".mcp.json", {"proj": entry})
    fake_api.enqueue(
        tool_reply(tool_call("mcp__proj__echo", {"text": "from chat"})), text_reply("Echoed.")
    )
    term.start([sys.executable, "-m", "devagent"], devagent_env, repo)
    screen = term.wait_for(_asked, what="the approval question")
    assert "names the MCP server proj, which runs:" in screen
    assert f"\n  {sys.executable} {entry['args'][0]} --marker {marker}\n" in screen
    assert not marker.exists()  # nothing runs before the answer
    term.line("y")
    term.wait_for(at_prompt, what="the prompt")
    pid = read_pid(marker)
    term.wait_for(lambda s: "MCP 1/1" in s, what="the server in the toolbar")
    term.line("/mcp")
    screen = term.wait_for(lambda s: "mcp__proj__echo" in s, what="the /mcp listing")
    assert "proj  project · stdio · ready" in screen
    term.wait_for(at_prompt, what="the prompt after /mcp")
    term.line("echo something")
    screen = term.wait_for("don't ask again for this tool", what="the approval of the call")
    assert "why: mcp__proj__echo needs approval in default mode" in screen
    term.type("y")
    term.wait_for(lambda s: "Echoed." in s, what="the answer")
    assert "echo: from chat" in str(fake_api.requests[1].tool_results())
    term.wait_for(at_prompt, what="the prompt after the answer")
    term.line("/exit")
    assert term.wait_exit() == 0
    assert wait_gone(pid, 5), "the MCP server outlived the chat"


def test_a_declined_server_never_starts_and_is_not_asked_again(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, term: Tmux
) -> None:
    marker = repo.parent / "proj.marker"
    write_config(repo / ".mcp.json", {"proj": stdio_entry("--marker", str(marker))})
    fake_api.enqueue(text_reply("No tools from proj."))
    term.start([sys.executable, "-m", "devagent"], devagent_env, repo)
    term.wait_for(_asked, what="the approval question")
    term.line("n")
    term.wait_for(at_prompt, what="the prompt")
    term.line("hello")
    term.wait_for(lambda s: "No tools from proj." in s, what="the answer")
    term.wait_for(at_prompt, what="the prompt after the answer")
    assert not any(n.startswith("mcp__") for n in fake_api.requests[0].tool_names())
    term.line("/mcp")
    term.wait_for(lambda s: "proj  project · stdio · declined" in s, what="the /mcp listing")
    term.wait_for(at_prompt, what="the prompt after /mcp")
    term.line("/exit")
    assert term.wait_exit() == 0
    assert not marker.exists()
    term.kill()
    # The answer is remembered: the next chat does not ask.
    (repo.parent / "term2").mkdir()
    again = Tmux(repo.parent / "term2")
    try:
        again.start([sys.executable, "-m", "devagent"], devagent_env, repo)
        screen = again.wait_for(at_prompt, what="the prompt")
        assert QUESTION not in screen
    finally:
        again.kill()
    assert not marker.exists()


def test_sigterm_stops_the_chat_and_its_servers(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, term: Tmux
) -> None:
    marker = repo.parent / "user.marker"
    home = Path(devagent_env["DEVAGENT_HOME"])
    write_config(home / "mcp.json", {"mine": stdio_entry("--marker", str(marker))})
    term.start([sys.executable, "-m", "devagent"], devagent_env, repo)
    term.wait_for(at_prompt, what="the prompt")  # a user server is not asked about
    pid = read_pid(marker)
    term.wait_for(lambda s: "MCP 1/1" in s, what="the server in the toolbar")
    chat = _devagent_pid(term.pane_pid())
    os.kill(chat, signal.SIGTERM)
    assert term.wait_exit() == 143
    assert wait_gone(pid, 5), "the MCP server outlived SIGTERM"


def _devagent_pid(pane: int) -> int:
    """The devagent process in the pane (the pane runs a shell that runs it)."""
    found = subprocess.run(
        ["pgrep", "-f", "-P", str(pane), "devagent"], capture_output=True, text=True
    ).stdout.split()
    return int(found[0]) if found else pane
