"""Git facts for the prompt, read through gitpython with a safe environment.

A repository's own ``.git/config`` is attacker input: ``core.fsmonitor``, hooks, pagers and
credential helpers from it must never run. Every git call made here carries overrides that
blank them (the ``GIT_CONFIG_COUNT`` mechanism) and ignores global/system config.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_OVERRIDES = (
    ("core.fsmonitor", "false"),
    ("core.hooksPath", os.devnull),
    ("core.pager", "cat"),
    ("core.sshCommand", "false"),
    ("core.editor", "false"),
    ("credential.helper", ""),
    ("diff.external", ""),
    ("sequence.editor", "false"),
)


def safe_git_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment in which git runs no program named by repository configuration."""
    env = {
        k: v for k, v in (os.environ if base is None else base).items() if not k.startswith("GIT_")
    }
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_PAGER="cat",
        GIT_OPTIONAL_LOCKS="0",
        GIT_CONFIG_COUNT=str(len(_OVERRIDES)),
    )
    for i, (key, value) in enumerate(_OVERRIDES):
        env[f"GIT_CONFIG_KEY_{i}"], env[f"GIT_CONFIG_VALUE_{i}"] = key, value
    return env


def find_workspace(cwd: Path) -> Path:
    """The git top level containing ``cwd`` (a ``.git`` dir or file), else ``cwd`` itself."""
    cwd = Path(os.path.realpath(cwd))
    for candidate in (cwd, *cwd.parents):
        if (candidate / ".git").exists():
            return candidate
    return cwd


@dataclass(frozen=True)
class GitState:
    branch: str
    status: str


def git_state(workspace: Path, max_lines: int = 20) -> GitState | None:
    """Branch and short status, or None outside a repository or when git fails."""
    if not (workspace / ".git").exists():
        return None
    try:
        import git  # deferred: gitpython is only needed when building a prompt
    except ImportError:
        return None
    env = safe_git_env()
    runner = git.Git(os.fspath(workspace))
    try:
        status = runner.execute(["git", "status", "--short"], env=env)
    except (git.GitCommandError, git.GitCommandNotFound, OSError):
        return None
    branch = _first_answer(runner, env, ["symbolic-ref", "--short", "-q", "HEAD"])
    branch = branch or _first_answer(runner, env, ["rev-parse", "--short", "HEAD"])
    lines = str(status).splitlines()
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], f"... and {len(lines) - max_lines} more"]
    return GitState(branch or "(detached)", "\n".join(lines) or "(clean)")


def _first_answer(runner: Any, env: dict[str, str], args: list[str]) -> str:
    import git

    try:
        return str(runner.execute(["git", *args], env=env)).strip()
    except (git.GitCommandError, OSError):
        return ""
