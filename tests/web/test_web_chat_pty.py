"""WebFetch in the real `devagent chat` (tmux): a new domain asks; "yes" once does not open a
loopback address, "yes, and don't ask again for this domain" saves WebFetch(domain:HOST),
which both stops the asking and names the host, so the local page is read."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fakes.fake_api import FakeAPI, ToolUse, text_reply, tool_call, tool_reply
from ui.repl_harness import Tmux, at_prompt
from web.pages import PageServer

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
def term(repo: Path) -> Iterator[Tmux]:
    folder = repo.parent / "term"
    folder.mkdir()
    started = Tmux(folder)
    yield started
    started.kill()


def asked(times: int) -> Callable[[str], bool]:
    def check(screen: str) -> bool:
        lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
        last = lines[-1] if lines else ""
        return screen.count("Allow WebFetch? [y/a/n]") == times and last.endswith("[y/a/n]")

    return check


def test_dont_ask_again_saves_the_domain_rule_which_also_opens_the_local_host(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, term: Tmux
) -> None:
    with PageServer() as site:
        site.page("/guide", "<h1>Guide</h1><p>pip install thing</p>")
        site.page("/faq", "<h1>FAQ</h1><p>Yes.</p>")

        def fetch(path: str) -> ToolUse:
            return tool_call("WebFetch", {"url": site.url(path), "prompt": "What does it say?"})

        fake_api.enqueue(
            tool_reply(fetch("/guide")),
            tool_reply(fetch("/guide")),
            text_reply("It says pip install thing."),
            tool_reply(fetch("/faq")),
            text_reply("It says yes."),
            text_reply("Read both pages."),
        )
        term.start([sys.executable, "-m", "devagent"], devagent_env, repo)
        term.wait_for(at_prompt, what="the first prompt")
        term.line("read the local docs")
        screen = term.wait_for(asked(1), what="the first question")
        assert f"WebFetch {site.url('/guide')}" in screen
        assert "yes, and don't ask again for this domain" in screen
        term.type("y")
        screen = term.wait_for(asked(2), what="the second question")
        assert "Refused: 127.0.0.1 is a loopback address" in screen
        term.type("a")
        rule = "WebFetch(domain:127.0.0.1)"
        term.wait_for(f"persist {rule} to .devagent/settings.local.json? [y/N]")
        term.line("y")
        screen = term.wait_for("Read both pages.")
        assert screen.count("Allow WebFetch? [y/a/n]") == 2  # the second domain call ran
        term.wait_for(at_prompt)
        assert site.paths == ["/guide", "/faq"]
    settings = json.loads((repo / ".devagent" / "settings.local.json").read_text())
    assert settings == {"permissions": {"allow": [rule]}}
    nested = [r for r in fake_api.requests if r.model == "claude-haiku-5-5"]
    assert [("Guide" in r.last_user_text(), "FAQ" in r.last_user_text()) for r in nested] == [
        (True, False),
        (False, True),
    ]
