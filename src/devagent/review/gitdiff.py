"""Git for reviews: changed files and their hunks since a ref, staged, or uncommitted.

Every call goes through gitpython with ``safe_git_env``, plus overrides that blank the filter
and diff drivers the repository's own config defines: ``git diff`` on a working tree runs
clean filters and textconv programs, and a hostile ``.git/config`` must not get to run them
(nor ``core.fsmonitor``, which ``safe_git_env`` already blanks). Refs are checked before use
and may not start with ``-``, so a ref can never be read as an option.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devagent.errors import DevagentError, UsageError
from devagent.gitinfo import safe_git_env

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
DIFF_FLAGS = ("--no-color", "--no-ext-diff", "--no-textconv", "--no-renames")
MAX_LINE_CHARS = 2000
_DRIVER_KEY = re.compile(r"^(filter|diff)\.(.+)\.(clean|smudge|process|textconv|command)$")
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


@dataclass(frozen=True)
class Changed:
    """One file a diff touches (deletions are left out: there is nothing left to review)."""

    path: str
    binary: bool


def _with_overrides(env: dict[str, str], pairs: list[tuple[str, str]]) -> dict[str, str]:
    count = int(env.get("GIT_CONFIG_COUNT", "0"))
    for offset, (key, value) in enumerate(pairs):
        env[f"GIT_CONFIG_KEY_{count + offset}"] = key
        env[f"GIT_CONFIG_VALUE_{count + offset}"] = value
    env["GIT_CONFIG_COUNT"] = str(count + len(pairs))
    return env


def _driver_overrides(keys: list[str]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key in keys:
        match = _DRIVER_KEY.match(key.strip())
        if match is None:
            continue
        section, name, _ = match.groups()
        pairs.append((key.strip(), ""))
        if section == "filter":
            pairs.append((f"filter.{name}.required", "false"))
    return pairs


class Git:
    """Runs git in one work tree with an environment that runs no repository-named program."""

    def __init__(self, workspace: Path) -> None:
        import git  # deferred: gitpython is only needed by reviews of changes

        self._errors: tuple[type[BaseException], ...] = (git.CommandError, OSError)
        self._git: Any = git.Git(os.fspath(workspace))
        self._env = safe_git_env()
        self._env = _with_overrides(self._env, _driver_overrides(self._config_keys()))

    def _config_keys(self) -> list[str]:
        pattern = r"^(filter|diff)\..*\.(clean|smudge|process|textconv|command)$"
        found = self.try_run(["config", "--name-only", "--get-regexp", pattern])
        return (found or "").splitlines()

    def run(self, args: list[str]) -> str:
        """git's stdout; a ``DevagentError`` naming the command when it fails."""
        try:
            return self._execute(args)
        except self._errors as exc:
            detail = str(getattr(exc, "stderr", "") or exc).strip()
            raise DevagentError(f"git {args[0]} failed: {detail[:500]}") from exc

    def try_run(self, args: list[str]) -> str | None:
        """git's stdout, or None when git exits non-zero."""
        try:
            return self._execute(args)
        except self._errors:
            return None

    def _execute(self, args: list[str]) -> str:
        out = self._git.execute(
            ["git", *args], env=self._env, strip_newline_in_stdout=False, stdout_as_string=True
        )
        return str(out)

    def has_head(self) -> bool:
        return self.try_run(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]) is not None

    def check_ref(self, ref: str) -> None:
        """UsageError unless every side of ``ref`` (``A``, ``A..B``, ``A...B``) is a commit."""
        if not ref.strip() or ref.strip().startswith("-"):
            raise UsageError(f"--diff {ref!r} is not a git ref; give e.g. main or main...HEAD.")
        for side in re.split(r"\.\.\.?", ref, maxsplit=1):
            if not side:
                continue
            spec = f"{side}^{{commit}}"
            if self.try_run(["rev-parse", "--verify", "--quiet", "--end-of-options", spec]) is None:
                raise UsageError(
                    f"--diff {ref}: {side!r} is not a commit in this repository. Give a branch, "
                    "tag or commit, e.g. --diff main...HEAD."
                )

    def changed(self, base: list[str], pathspecs: list[str]) -> list[Changed]:
        """Files changed by ``git diff BASE -- PATHSPECS``, without deletions."""
        out = self.run(
            ["diff", *DIFF_FLAGS, "--numstat", "-z", "--diff-filter=d", *base, "--", *pathspecs]
        )
        found: list[Changed] = []
        for record in out.split("\0"):
            parts = record.split("\t", 2)
            if len(parts) == 3 and parts[2]:
                found.append(Changed(parts[2], parts[0] == "-"))
        return found

    def hunks(self, base: list[str], path: str, context: int) -> str:
        """The diff of one file, its hunks' kept and added lines numbered as in the new file."""
        out = self.run(["diff", *DIFF_FLAGS, f"-U{context}", *base, "--", f":(literal){path}"])
        return number_hunks(out)

    def untracked(self, pathspecs: list[str]) -> list[str]:
        out = self.run(["ls-files", "--others", "--exclude-standard", "-z", "--", *pathspecs])
        return [p for p in out.split("\0") if p]


def _cut(text: str) -> str:
    if len(text) <= MAX_LINE_CHARS:
        return text
    return text[:MAX_LINE_CHARS] + f" … [line cut: {len(text)} chars]"


def number_hunks(diff: str) -> str:
    """Hunk headers kept; context and ``+`` lines carry their new line number, ``-`` none."""
    out: list[str] = []
    line_no: int | None = None
    for line in diff.split("\n"):
        match = _HUNK.match(line)
        if match is not None:
            line_no = int(match.group(1))
            out.append(line)
        elif line_no is None or not line:
            continue
        elif line[0] in "+ ":
            out.append(f"{line_no:>6} {line[0]}{_cut(line[1:])}")
            line_no += 1
        elif line[0] == "-":
            out.append(f"{'':>6} -{_cut(line[1:])}")
        elif line[0] == "\\":
            out.append(f"{'':>6} {line}")
    return "\n".join(out)
