"""The system prompt: a concise base (or a persona's role), the environment, and memory files.

Memory files (AGENTS.md, CLAUDE.md, CLAUDE.local.md, GEMINI.md) are collected from the
workspace root down to the current directory, so the nearest file comes last and wins on a
conflict. A line ``@path`` inside one imports that file (relative to the importing file, or
``~/``), up to four levels deep; imports inside code fences are ignored, and every file is
read at most once.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import re
from dataclasses import dataclass
from pathlib import Path

from devagent.gitinfo import GitState

MEMORY_FILES = ("AGENTS.md", "CLAUDE.md", "CLAUDE.local.md", "GEMINI.md")
MAX_IMPORT_DEPTH = 4
MAX_MEMORY_BYTES = 200_000
_IMPORT = re.compile(r"(?<![\w`])@((?:~/|\.{0,2}/)?[\w./\-]+)")

BASE_PROMPT = """\
You are devagent, a coding assistant working in the user's repository from a terminal.
Work like a careful senior engineer: read before you change, keep changes minimal and in the
style of the surrounding code, and verify what you did.

- Use the tools to look at the code instead of guessing. Prefer Grep/Glob/LS/Read over shell
  commands for searching and reading.
- Paths may be absolute or relative to the workspace root; never leave the workspace.
- A tool result marked as an error says what went wrong; fix the call rather than repeating it.
- If a call is denied, do not retry it unchanged: take another approach or ask the user.
- Answer concisely. When you reference code, cite it as path:line.
"""

PLAN_MODE_PROMPT = """\
Plan mode: the user may switch to plan mode to see a plan before anything changes. Then every
prompt starts with a note saying plan mode is on, and only read-only tools run: edits and
commands are refused. Explore the code and design the change; when the plan is ready, call
ExitPlanMode with it in Markdown (concise: the steps, the files they touch, how to check the
result) and make no change before the user approves it. The user then approves it (carry it
out) or asks you to keep planning and says what to change. A prompt without that note means
plan mode is off: do not call ExitPlanMode then.
"""

PLAN_MODE_NOTE = (
    "[Plan mode is on: only read-only tools run. Explore, then present your plan with "
    "ExitPlanMode; change nothing until the user approves it.]"
)


@dataclass(frozen=True)
class PromptParts:
    workspace: Path
    cwd: Path
    git: GitState | None
    role: str | None = None
    append: str | None = None
    home: Path | None = None
    plan_mode: bool = False  # the agent can leave plan mode (has ExitPlanMode)


def environment_block(parts: PromptParts, today: _dt.date | None = None) -> str:
    today = today or _dt.date.today()
    lines = [
        "<env>",
        f"Workspace root: {parts.workspace}",
        f"Current directory: {parts.cwd}",
        f"Platform: {platform.system().lower()} ({platform.release()})",
        f"Date: {today.isoformat()}",
    ]
    if parts.git is None:
        lines.append("Git repository: no")
    else:
        lines += [f"Git branch: {parts.git.branch}", "Git status (short):", parts.git.status]
    lines.append("</env>")
    return "\n".join(lines)


def memory_paths(workspace: Path, cwd: Path) -> list[Path]:
    """Memory files from the workspace root down to ``cwd`` (root first)."""
    cwd, workspace = Path(os.path.realpath(cwd)), Path(os.path.realpath(workspace))
    try:
        rel = cwd.relative_to(workspace)
    except ValueError:
        rel = Path()
    dirs = [workspace]
    for part in rel.parts:
        dirs.append(dirs[-1] / part)
    return [d / name for d in dirs for name in MEMORY_FILES if (d / name).is_file()]


def _strip_fences(text: str) -> str:
    return re.sub(r"```.*?```", "", text, flags=re.DOTALL)


def _read(path: Path) -> str | None:
    try:
        data = path.read_bytes()[:MAX_MEMORY_BYTES]
    except OSError:
        return None
    return data.decode("utf-8", errors="replace").lstrip("\ufeff")


def expand_memory(path: Path, seen: set[Path], depth: int = 0) -> list[tuple[Path, str]]:
    """The file's text followed by the files it imports, depth-first, each once."""
    real = Path(os.path.realpath(path))
    if real in seen or depth > MAX_IMPORT_DEPTH:
        return []
    text = _read(real)
    if text is None:
        return []
    seen.add(real)
    found = [(path, text)]
    for match in _IMPORT.finditer(_strip_fences(text)):
        target = match.group(1)
        base = Path.home() if target.startswith("~/") else path.parent
        candidate = base / (target[2:] if target.startswith("~/") else target)
        if candidate.is_file():
            found += expand_memory(candidate, seen, depth + 1)
    return found


def memory_block(workspace: Path, cwd: Path, home: Path | None = None) -> str:
    seen: set[Path] = set()
    files: list[tuple[Path, str]] = []
    user_memory = home / "AGENTS.md" if home else None
    if user_memory is not None and user_memory.is_file():
        files += expand_memory(user_memory, seen)
    for path in memory_paths(workspace, cwd):
        files += expand_memory(path, seen)
    if not files:
        return ""
    sections = [f'<memory path="{p}">\n{text.strip()}\n</memory>' for p, text in files]
    intro = "Project instructions from memory files (follow them; later files take precedence):"
    return intro + "\n" + "\n".join(sections)


def build_system_prompt(parts: PromptParts) -> str:
    sections = [parts.role.strip() if parts.role else BASE_PROMPT.strip()]
    if parts.plan_mode:
        sections.append(PLAN_MODE_PROMPT.strip())
    sections.append(environment_block(parts))
    memory = memory_block(parts.workspace, parts.cwd, parts.home)
    if memory:
        sections.append(memory)
    if parts.append:
        sections.append(parts.append.strip())
    return "\n\n".join(sections)
