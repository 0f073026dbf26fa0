"""Trusted folders: which workspaces the user has agreed may widen permissions.

The list lives in ``$DEVAGENT_HOME/trusted.json``, keyed by real path, and is the only thing
that decides trust. Nothing inside a repository is consulted: not its settings, not a ``.git``
file, not a worktree's ``commondir`` or ``gitdir`` (a forged one could point at a trusted
path). Trust is exact: trusting a folder does not trust its sub-folders or its parents.

File format: ``{"version": 1, "folders": {"/real/path": {"trusted_at": "<ISO 8601>"}}}``.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devagent.errors import UsageError
from devagent.fsutil import JSONFileError, read_json_object, replace_file

TRUST_FILE = "trusted.json"
_VERSION = 1


def trust_file(home: Path) -> Path:
    return home / TRUST_FILE


def _key(path: Path) -> str:
    return os.path.realpath(path)


def _load(home: Path) -> dict[str, Any]:
    """The parsed store; ``UsageError`` naming the file when it is not valid."""
    path = trust_file(home)
    shape = f'{path}: expected {{"version": 1, "folders": {{...}}}}. Fix or remove the file.'
    try:
        data = read_json_object(path)
    except JSONFileError as exc:
        if exc.problem == "not-an-object":
            raise UsageError(shape) from exc
        raise UsageError(
            f"{exc}. Fix or remove the file; until then no folder counts as trusted."
        ) from exc
    if data is None:
        return {"version": _VERSION, "folders": {}}
    if not isinstance(data.get("folders"), dict):
        raise UsageError(shape)
    return data


def trusted_folders(home: Path) -> list[str]:
    """The real paths of every trusted folder (empty when the store is unreadable)."""
    try:
        return sorted(_load(home)["folders"])
    except UsageError:
        return []


def is_trusted(path: Path, home: Path) -> bool:
    """Whether the user trusted exactly this folder (by real path). Fails closed."""
    return _key(path) in trusted_folders(home)


def trust(path: Path, home: Path) -> None:
    """Record ``path`` (by real path) as trusted. A broken store is reported, never replaced."""
    data = _load(home)
    data.setdefault("version", _VERSION)
    data["folders"][_key(path)] = {"trusted_at": datetime.now(UTC).isoformat(timespec="seconds")}
    _write(trust_file(home), data)


def untrust(path: Path, home: Path) -> bool:
    """Forget ``path``; True when it had been trusted."""
    data = _load(home)
    removed = data["folders"].pop(_key(path), None) is not None
    if removed:
        _write(trust_file(home), data)
    return removed


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Private to the user, as it has always been: it says which folders may widen permissions.
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    replace_file(path, text.encode("utf-8"), mode=0o600)
