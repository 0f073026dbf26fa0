"""The permission gate: what the sandbox adds to the engine's Bash decisions, and what it never
takes away. The engine is the real one; the sandbox is told bwrap works (nothing is run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devagent.approval import PermissionRequest
from devagent.permissions import Mode, PermissionEngine, Rule
from devagent.sandbox.bwrap import Probe
from devagent.sandbox.config import SandboxSettings
from devagent.sandbox.gate import SandboxGate
from devagent.sandbox.launcher import Sandbox
from devagent.sandbox.layout import Layout

WORKS = Probe("/usr/bin/bwrap")
BROKEN = Probe("/usr/bin/bwrap", "/usr/bin/bwrap failed a trial run: no user namespaces")


def gate(
    tmp_path: Path,
    *,
    probe: Probe = WORKS,
    permission_mode: Mode = "default",
    deny: tuple[str, ...] = (),
    ask: tuple[str, ...] = (),
    allow: tuple[str, ...] = (),
    **settings: object,
) -> SandboxGate:
    ws = tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    engine = PermissionEngine(
        ws,
        mode=permission_mode,
        deny=[Rule.parse(r, "test") for r in deny],
        ask=[Rule.parse(r, "test") for r in ask],
        allow=[Rule.parse(r, "test") for r in allow],
        user_home=tmp_path / "home",
    )
    chosen = SandboxSettings(**settings, sources={"autoAllowBash": "settings.json"})  # type: ignore[arg-type]
    layout = Layout(chosen.mode, str(ws), str(tmp_path / "home"))
    return SandboxGate(engine, Sandbox(chosen, probe, layout))


def bash(command: str) -> PermissionRequest:
    return PermissionRequest("Bash", {"command": command}, command=command, kind="execute")


def test_auto_allow_lets_a_plain_command_run_in_the_sandbox(tmp_path: Path) -> None:
    decision = gate(tmp_path, auto_allow_bash=True).decide(bash("pytest -q"))
    assert decision.behavior == "allow"
    assert decision.source == "settings.json"
    assert decision.sandbox == "in the workspace-write sandbox (no network)"


def test_without_auto_allow_it_asks_and_says_where_it_would_run(tmp_path: Path) -> None:
    decision = gate(tmp_path).decide(bash("pytest -q"))
    assert decision.behavior == "ask"
    assert decision.sandbox == "in the workspace-write sandbox (no network)"


@pytest.mark.parametrize(
    ("command", "rules", "behavior"),
    [
        ("rm -rf build", {"deny": ("Bash(rm:*)",)}, "deny"),
        ("git push", {"ask": ("Bash(git push:*)",)}, "ask"),
        ("touch .git/hooks/pre-commit", {}, "ask"),
        ("cat ../outside.txt", {}, "ask"),
        ("echo $(whoami)", {}, "ask"),
    ],
)
def test_auto_allow_never_beats_rules_protected_paths_or_unreadable_commands(
    tmp_path: Path, command: str, rules: dict[str, Any], behavior: str
) -> None:
    decision = gate(tmp_path, auto_allow_bash=True, **rules).decide(bash(command))
    assert decision.behavior == behavior


def test_a_command_that_must_leave_asks_with_the_reason(tmp_path: Path) -> None:
    decision = gate(tmp_path, auto_allow_bash=True).decide(bash("curl -s https://example.com"))
    assert decision.behavior == "ask"
    assert decision.sandbox == (
        "WITHOUT the sandbox if approved: it needs the network (curl), which the sandbox blocks"
    )


def test_a_host_list_is_not_a_filter_so_network_commands_still_ask(tmp_path: Path) -> None:
    chosen = gate(tmp_path, auto_allow_bash=True, network=("pypi.org",))
    decision = chosen.decide(bash("pip install requests"))
    assert decision.behavior == "ask" and "needs the network (pip install)" in str(decision.sandbox)
    quiet = chosen.decide(bash("pytest"))
    assert quiet.sandbox == (
        "in the workspace-write sandbox (no network: host lists (pypi.org) cannot be filtered)"
    )


def test_with_the_network_allowed_network_commands_run_inside(tmp_path: Path) -> None:
    decision = gate(tmp_path, auto_allow_bash=True, network=True).decide(bash("curl -s x"))
    assert decision.behavior == "allow"
    assert decision.sandbox == "in the workspace-write sandbox (network allowed)"


def test_auto_allow_needs_a_running_sandbox(tmp_path: Path) -> None:
    decision = gate(tmp_path, probe=BROKEN, auto_allow_bash=True).decide(bash("pytest"))
    assert decision.behavior == "ask"
    assert decision.sandbox == (
        "WITHOUT the sandbox: it cannot run here "
        "(/usr/bin/bwrap failed a trial run: no user namespaces)"
    )
    off = gate(tmp_path, auto_allow_bash=True, mode="off")
    assert off.decide(bash("pytest")).behavior == "ask"


def test_a_required_sandbox_that_cannot_run_denies_even_allowed_commands(tmp_path: Path) -> None:
    chosen = gate(tmp_path, probe=BROKEN, required=True, permission_mode="bypassPermissions")
    decision = chosen.decide(bash("ls"))
    assert decision.behavior == "deny"
    assert "sandbox.required is true" in decision.reason


def test_other_tools_pass_through_unchanged(tmp_path: Path) -> None:
    chosen = gate(tmp_path, auto_allow_bash=True)
    request = PermissionRequest("Write", {"file_path": "a.txt"}, kind="edit")
    decision = chosen.decide(request)
    assert decision == chosen.inner.decide(request) and decision.sandbox is None
    assert chosen.rules("allow") == ()
