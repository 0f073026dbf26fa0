"""Shell completions: the committed scripts match the CLI, and bash really completes with them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "completions"


def test_committed_scripts_are_not_stale() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / "generate.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr


def complete(*words: str) -> list[str]:
    """Ask the generated bash function for candidates after ``devagent WORDS``."""
    argv = " ".join(f"'{w}'" for w in ("devagent", *words))
    script = (
        f"source '{SCRIPTS / 'devagent.bash'}'\n"
        f"COMP_WORDS=({argv}); COMP_CWORD={len(words)}; _devagent\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    return done.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_commands_options_and_values() -> None:
    assert complete("ag") == ["agents"]
    assert complete("--output-format", "") == ["text", "json", "stream-json"]
    assert "--max-turns" in complete("--max")
    assert complete("agents", "") == ["lint", "list", "show"]
    assert complete("agents", "list", "--format", "") == ["table", "json"]


def test_zsh_and_fish_scripts_name_every_command() -> None:
    zsh = (SCRIPTS / "devagent.zsh").read_text()
    fish = (SCRIPTS / "devagent.fish").read_text()
    assert zsh.startswith("#compdef devagent")
    for command in ("agents", "run"):
        assert f"-a {command} " in fish and f'|{command}")' in zsh
