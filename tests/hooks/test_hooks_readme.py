"""The README's three hook examples, taken from the README as written, through the real CLI:
format on save, block edits to a path, and tests that must pass before the agent stops."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devagent.trust import trust
from fakes.fake_api import FakeAPI, text_reply, tool_call, tool_reply
from hooks.hookkit import oneshot

README = Path(__file__).resolve().parents[2] / "README.md"


def blocks_after(marker: str) -> dict[str, str]:
    """The fenced code blocks between ``marker`` and the next bold heading, by language."""
    text = README.read_text(encoding="utf-8")
    start = text.index(marker)
    end = text.find("\n**", start + len(marker))
    section = text[start : end if end != -1 else None]
    return dict(re.findall(r"```(\w+)\n(.*?)```", section, re.DOTALL))


@pytest.fixture
def repo(tmp_path: Path, devagent_home: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    trust(root, devagent_home)
    return root


@pytest.fixture
def env(devagent_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """A private HOME; this interpreter's folder first on PATH (python, ruff, pytest)."""
    home = tmp_path / "user-home"
    home.mkdir()
    path = os.pathsep.join([str(Path(sys.executable).parent), devagent_env.get("PATH", "")])
    return {**devagent_env, "HOME": str(home), "PATH": path}


def configure(repo: Path, settings: str) -> None:
    (repo / ".claude").mkdir(exist_ok=True)
    (repo / ".claude" / "settings.json").write_text(settings, encoding="utf-8")


def sent_results(fake_api: FakeAPI, index: int) -> list[dict[str, Any]]:
    return fake_api.requests[index].tool_results()


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_format_on_save(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    configure(repo, blocks_after("**Format on save**")["json"])
    fake_api.enqueue(
        tool_reply(tool_call("Write", {"file_path": "app.py", "content": "x=1\n"})),
        text_reply("ok"),
    )
    done, _ = oneshot(devagent_cmd, env, repo, "write", "--permission-mode", "acceptEdits")
    assert done.returncode == 0, done.stderr
    assert (repo / "app.py").read_text() == "x = 1\n"


def test_block_edits_to_a_path(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    found = blocks_after("**Block edits to a path**")
    (repo / ".claude" / "hooks").mkdir(parents=True)
    (repo / ".claude" / "hooks" / "no-migrations.py").write_text(found["python"])
    configure(repo, found["json"])
    fake_api.enqueue(
        tool_reply(tool_call("Write", {"file_path": "migrations/0002.py", "content": "x = 1\n"})),
        tool_reply(tool_call("Write", {"file_path": "models.py", "content": "y = 2\n"})),
        text_reply("ok"),
    )
    done, _ = oneshot(devagent_cmd, env, repo, "change", "--permission-mode", "acceptEdits")
    assert done.returncode == 0, done.stderr
    assert not (repo / "migrations").exists() and (repo / "models.py").exists()
    [blocked] = sent_results(fake_api, 1)
    assert blocked["is_error"] is True
    assert "migrations/ is generated: change models.py" in json.dumps(blocked)


def test_tests_must_pass_before_you_stop(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    found = blocks_after("**Tests must pass before you stop**")
    script = repo / ".claude" / "hooks" / "tests-pass.sh"
    script.parent.mkdir(parents=True)
    script.write_text(found["sh"])
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    configure(repo, found["json"])
    (repo / "test_calc.py").write_text(
        "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
    )
    fake_api.enqueue(
        text_reply("Done."),
        tool_reply(
            tool_call(
                "Write", {"file_path": "calc.py", "content": "def add(a, b):\n    return a + b\n"}
            )
        ),
        text_reply("Done: calc.add exists and the tests pass."),
    )
    done, result = oneshot(devagent_cmd, env, repo, "add calc", "--permission-mode", "acceptEdits")
    assert done.returncode == 0, done.stderr
    assert result["result"] == "Done: calc.add exists and the tests pass."
    feedback = fake_api.requests[1].last_user_text()
    assert "Lint or tests fail. Fix them before you stop:" in feedback
    assert "No module named 'calc'" in feedback
