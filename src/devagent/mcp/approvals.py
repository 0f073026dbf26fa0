"""Which project MCP servers the user approved, remembered like folder trust.

A repository's ``.mcp.json`` must not start a process or open a connection just by being
opened: its servers run only once approved (chat asks once per server) or, in one-shot runs,
when the folder is trusted or the file was passed with ``--mcp-config``. User and flag servers
are the user's own and need no approval.

The answers live in ``$DEVAGENT_HOME/mcp-approvals.json``, keyed by the workspace's real path
and the server's name, each with the definition's fingerprint (``ServerSpec.fingerprint``):
an answer for another definition does not count, so a changed command asks again. Format:
``{"version": 1, "workspaces": {"/real/path": {"NAME": {"fingerprint", "approved", "at"}}}}``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from devagent.fsutil import JSONFileError, read_json_object, replace_file
from devagent.mcp.config import ServerSpec
from devagent.trust import is_trusted

APPROVALS_FILE = "mcp-approvals.json"
Answer = Literal["approved", "declined", "unasked"]


def _path(home: Path) -> Path:
    return home / APPROVALS_FILE


def _load(home: Path) -> dict[str, Any]:
    """The store; an unreadable one counts as empty (nothing approved: fails closed)."""
    try:
        data = read_json_object(_path(home))
    except JSONFileError:
        data = None
    if not data or not isinstance(data.get("workspaces"), dict):
        return {"version": 1, "workspaces": {}}
    return data


def answer_for(spec: ServerSpec, workspace: Path, home: Path) -> Answer:
    """What the user said about this exact definition in this workspace."""
    entry = _load(home)["workspaces"].get(os.path.realpath(workspace), {}).get(spec.name)
    if not isinstance(entry, dict) or entry.get("fingerprint") != spec.fingerprint():
        return "unasked"
    return "approved" if entry.get("approved") is True else "declined"


def remember(spec: ServerSpec, workspace: Path, home: Path, approved: bool) -> None:
    data = _load(home)
    servers = data["workspaces"].setdefault(os.path.realpath(workspace), {})
    servers[spec.name] = {
        "fingerprint": spec.fingerprint(),
        "approved": approved,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    home.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    replace_file(_path(home), text.encode("utf-8"), mode=0o600)


@dataclass(frozen=True)
class Gate:
    """Whether each server may start. ``interactive`` (chat) leaves unasked project servers
    to be asked; one-shot runs skip them unless the folder is trusted."""

    workspace: Path
    home: Path
    interactive: bool

    def verdict(self, spec: ServerSpec) -> Answer | Literal["skipped"]:
        """``approved`` (start it), ``declined``, ``unasked`` (chat: ask) or ``skipped``
        (one-shot in an untrusted folder)."""
        if spec.scope != "project":
            return "approved"
        answer = answer_for(spec, self.workspace, self.home)
        if answer != "unasked":
            return answer
        if self.interactive:
            return "unasked"
        return "approved" if is_trusted(self.workspace, self.home) else "skipped"
