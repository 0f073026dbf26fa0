"""Path safety shared by every tool: resolve, contain, and describe paths for the model.

Containment is decided on real paths (symlinks resolved in the target and every parent)
with ``os.path.commonpath``, never by string prefix: ``/w/proj-evil`` is not inside ``/w/proj``.
"""

from __future__ import annotations

import os
from pathlib import Path

from devagent.tools.base import ToolContext, ToolError

# Folders outside the workspace that Read may open: a loaded user skill's own folder. The
# permission policy still decides every read (and refuses these once the skill is inactive).
READABLE_FOLDERS = "paths.readable_folders"


def expand_user_path(raw: str) -> str:
    """Treat ``~``, ``$HOME`` and ``${HOME}`` alike."""
    home = os.path.expanduser("~")
    if raw == "~" or raw.startswith("~/"):
        return home + raw[1:]
    for prefix in ("$HOME", "${HOME}"):
        if raw == prefix or raw.startswith(prefix + "/"):
            return home + raw[len(prefix) :]
    return raw


def is_within(root: Path | str, candidate: Path | str) -> bool:
    """True when real path ``candidate`` is ``root`` or below it (both already real)."""
    root_s, cand_s = os.fspath(root), os.fspath(candidate)
    try:
        return os.path.commonpath([root_s, cand_s]) == root_s
    except ValueError:
        return False


def absolute(raw: str, workspace: Path) -> Path:
    """The absolute, normalised (but not symlink-resolved) form of a model-supplied path."""
    expanded = expand_user_path(raw.strip())
    joined = os.path.join(os.fspath(workspace), expanded)
    return Path(os.path.normpath(joined))


def resolve_in_workspace(raw: str, workspace: Path, *, must_exist: bool = False) -> Path:
    """Resolve a model-supplied path; raise ``ToolError`` if it leaves the workspace.

    Relative paths are taken from the workspace root. The result is the real path (symlinks
    resolved, also for parents of a path that does not exist yet). A symlink whose target
    lies outside the workspace is refused.
    """
    if not raw or not raw.strip():
        raise ToolError("file_path is empty: give a path inside the workspace.")
    if "\x00" in raw:
        raise ToolError("The path contains a NUL byte; give a plain path.")
    real = Path(os.path.realpath(absolute(raw, workspace)))
    if not is_within(workspace, real):
        raise ToolError(
            f"{raw} resolves to {real}, which is outside the workspace {workspace}. "
            "Only paths inside the workspace can be used."
        )
    if must_exist and not real.exists():
        raise ToolError(f"{raw} does not exist. Use Glob or LS to find the right path.")
    return real


def allow_reading(ctx: ToolContext, folder: Path) -> None:
    """Let Read open files below ``folder`` (a real path) though it is outside the workspace."""
    ctx.state_for(READABLE_FOLDERS, set[str]).add(os.path.realpath(folder))


def resolve_readable(raw: str, ctx: ToolContext) -> Path:
    """Like ``resolve_in_workspace``, but a path below a folder ``allow_reading`` named is
    accepted too."""
    if raw and raw.strip() and "\x00" not in raw:
        real = os.path.realpath(absolute(raw, ctx.workspace))
        folders = ctx.state_for(READABLE_FOLDERS, set[str])
        if any(is_within(folder, real) for folder in list(folders)):
            return Path(real)
    return resolve_in_workspace(raw, ctx.workspace)


def display_path(path: Path, workspace: Path) -> str:
    """A path relative to the workspace when inside it, absolute otherwise."""
    try:
        rel = os.path.relpath(path, workspace)
    except ValueError:
        return os.fspath(path)
    return os.fspath(path) if rel.startswith("..") else rel
