"""Custom slash commands: Markdown prompt templates the user keeps in command folders.

Custom commands are Markdown files in the project's ``.devagent/commands/`` or
``.claude/commands/`` (then ``$DEVAGENT_HOME/commands/``); ``/name args`` sends the file's body
(frontmatter dropped) as a prompt with ``$ARGUMENTS`` replaced by ``args`` and ``$1``..``$9`` by
single words of it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

CUSTOM_DIRS = (Path(".devagent") / "commands", Path(".claude") / "commands")
_FRONTMATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_POSITIONAL = re.compile(r"\$([1-9])")
MAX_COMMAND_BYTES = 200_000


@dataclass(frozen=True)
class CustomCommand:
    """A prompt template from a Markdown file."""

    name: str
    path: Path
    description: str
    template: str

    def expand(self, args: str) -> str:
        text = self.template
        words = _split_words(args)
        text = _POSITIONAL.sub(lambda m: _word(words, int(m.group(1))), text)
        if "$ARGUMENTS" in self.template:
            return text.replace("$ARGUMENTS", args)
        return f"{text.rstrip()}\n\n{args}" if args.strip() else text


def _split_words(args: str) -> list[str]:
    try:
        return shlex.split(args)
    except ValueError:
        return args.split()


def _word(words: list[str], n: int) -> str:
    return words[n - 1] if len(words) >= n else ""


def custom_command_dirs(workspace: Path, home: Path) -> list[Path]:
    return [*(workspace / rel for rel in CUSTOM_DIRS), home / "commands"]


def load_custom_commands(folders: Iterable[Path]) -> dict[str, CustomCommand]:
    """Every ``*.md`` below ``folders``; the first folder wins on a name."""
    found: dict[str, CustomCommand] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.md")):
            command = _read_command(path)
            if command is not None and command.name not in found:
                found[command.name] = command
    return found


def _read_command(path: Path) -> CustomCommand | None:
    try:
        raw = path.read_bytes()[:MAX_COMMAND_BYTES].decode("utf-8", errors="replace")
    except OSError:
        return None
    raw = raw.lstrip("\ufeff")
    description = ""
    match = _FRONTMATTER.match(raw)
    if match is not None:
        description = _frontmatter_value(match.group(1), "description")
        raw = raw[match.end() :]
    body = raw.strip()
    if not body:
        return None
    if not description:
        description = body.splitlines()[0].lstrip("# ").strip()[:80]
    return CustomCommand(path.stem, path, description, body)


def _frontmatter_value(block: str, key: str) -> str:
    for line in block.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() == key:
            return value.strip().strip("'\"")
    return ""
