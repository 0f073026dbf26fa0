"""The permission engine: modes x tools, rule precedence, rule syntax, paths, protected paths."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from devagent.approval import PermissionPolicy, PermissionRequest
from devagent.permissions import (
    MODES,
    InvalidRuleError,
    Mode,
    PermissionEngine,
    Rule,
    parse_mode,
    split_rules,
)
from devagent.tools.catalog import tool_type


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def ws(home: Path) -> Path:
    path = home / "proj"
    (path / ".git" / "hooks").mkdir(parents=True)
    (path / "src").mkdir()
    (path / "src" / "app.py").write_text("print(1)\n")
    return path


def make(
    ws: Path,
    home: Path,
    *,
    mode: Mode = "default",
    allow: Sequence[str] = (),
    ask: Sequence[str] = (),
    deny: Sequence[str] = (),
) -> PermissionEngine:
    def rules(texts: Sequence[str], source: str) -> list[Rule]:
        return [Rule.parse(t, source) for t in texts]

    return PermissionEngine(
        ws,
        mode=mode,
        allow=rules(allow, "allow-src"),
        ask=rules(ask, "ask-src"),
        deny=rules(deny, "deny-src"),
        user_home=home,
    )


def call(tool: str, ws: Path, **tool_input: Any) -> PermissionRequest:
    """A request the way the loop builds it: real paths resolved against the workspace, kind
    and read-only claim from devagent's tool of that name (a tool it lacks says neither)."""
    if tool == "Bash":
        return PermissionRequest("Bash", tool_input, command=tool_input["command"])
    raw = [v for k, v in tool_input.items() if k in ("file_path", "path")]
    paths = tuple(Path(os.path.realpath(os.path.join(ws, p))) for p in raw)
    known = tool_type(tool)
    if known is None:
        return PermissionRequest(tool, tool_input, paths=paths)
    return PermissionRequest(tool, tool_input, paths, None, known.read_only, known.kind)


def patch_call(ws: Path, *files: str) -> PermissionRequest:
    paths = tuple(Path(os.path.realpath(ws / f)) for f in files)
    return PermissionRequest("ApplyPatch", {"input": "*** Begin Patch"}, paths=paths, kind="edit")


def test_engine_satisfies_the_policy_protocol(ws: Path, home: Path) -> None:
    policy: PermissionPolicy = make(ws, home)
    assert policy.decide(call("Read", ws, file_path="src/app.py")).behavior == "allow"


# --- modes x tools ------------------------------------------------------------------------

MATRIX: list[tuple[Mode, str, dict[str, Any], str]] = [
    ("default", "Read", {"file_path": "src/app.py"}, "allow"),
    ("default", "Grep", {"pattern": "x", "path": "src"}, "allow"),
    ("default", "Glob", {"pattern": "*.py"}, "allow"),
    ("default", "LS", {"path": "."}, "allow"),
    ("default", "TodoWrite", {"todos": []}, "allow"),
    ("default", "Task", {"description": "d", "prompt": "p", "subagent_type": "x"}, "allow"),
    ("default", "BashOutput", {"bash_id": "1"}, "allow"),
    ("default", "Edit", {"file_path": "src/app.py"}, "ask"),
    ("default", "Write", {"file_path": "src/new.py"}, "ask"),
    ("default", "MultiEdit", {"file_path": "src/app.py"}, "ask"),
    ("default", "Bash", {"command": "ls"}, "ask"),
    ("default", "WebFetch", {"url": "https://example.com"}, "ask"),
    ("acceptEdits", "Edit", {"file_path": "src/app.py"}, "allow"),
    ("acceptEdits", "Write", {"file_path": "src/new/deep.py"}, "allow"),
    ("acceptEdits", "MultiEdit", {"file_path": "src/app.py"}, "allow"),
    ("acceptEdits", "Bash", {"command": "ls"}, "ask"),
    ("acceptEdits", "Read", {"file_path": "src/app.py"}, "allow"),
    ("acceptEdits", "WebFetch", {"url": "https://example.com"}, "ask"),
    ("plan", "Read", {"file_path": "src/app.py"}, "allow"),
    ("plan", "Grep", {"pattern": "x"}, "allow"),
    ("plan", "TodoWrite", {"todos": []}, "allow"),
    ("plan", "Edit", {"file_path": "src/app.py"}, "deny"),
    ("plan", "Write", {"file_path": "src/new.py"}, "deny"),
    ("plan", "Bash", {"command": "ls"}, "deny"),
    ("plan", "WebFetch", {"url": "https://example.com"}, "ask"),
    ("dontAsk", "Read", {"file_path": "src/app.py"}, "allow"),
    ("dontAsk", "Edit", {"file_path": "src/app.py"}, "deny"),
    ("dontAsk", "Bash", {"command": "ls"}, "deny"),
    ("dontAsk", "WebFetch", {"url": "https://example.com"}, "deny"),
    ("bypassPermissions", "Edit", {"file_path": "src/app.py"}, "allow"),
    ("bypassPermissions", "Bash", {"command": "ls"}, "allow"),
    ("bypassPermissions", "Bash", {"command": "echo $(date) > out.txt"}, "allow"),
    ("bypassPermissions", "WebFetch", {"url": "https://example.com"}, "allow"),
]


@pytest.mark.parametrize(("mode", "tool", "tool_input", "expected"), MATRIX)
def test_mode_defaults(
    ws: Path, home: Path, mode: Mode, tool: str, tool_input: dict[str, Any], expected: str
) -> None:
    decision = make(ws, home, mode=mode).decide(call(tool, ws, **tool_input))
    assert decision.behavior == expected, decision


def test_mode_decisions_name_the_mode(ws: Path, home: Path) -> None:
    decision = make(ws, home, mode="plan").decide(call("Edit", ws, file_path="src/app.py"))
    assert decision.source == "mode:plan"
    assert "plan mode" in decision.reason
    assert make(ws, home).decide(call("Bash", ws, command="ls")).source == "mode:default"


def test_read_only_decisions_are_builtin(ws: Path, home: Path) -> None:
    decision = make(ws, home).decide(call("Read", ws, file_path="src/app.py"))
    assert (decision.rule, decision.source) == (None, "builtin")


def test_read_only_claim_is_honoured_for_unknown_tools(ws: Path, home: Path) -> None:
    request = PermissionRequest("Lookup", {"q": "x"}, read_only=True)
    assert make(ws, home).decide(request).behavior == "allow"


def test_dont_ask_runs_what_rules_allow(ws: Path, home: Path) -> None:
    engine = make(ws, home, mode="dontAsk", allow=["Bash(ls)", "Edit(src/**)"])
    assert engine.decide(call("Bash", ws, command="ls")).behavior == "allow"
    assert engine.decide(call("Edit", ws, file_path="src/app.py")).behavior == "allow"
    assert engine.decide(call("Bash", ws, command="ls -la")).behavior == "deny"


def test_dont_ask_turns_ask_rules_into_denials(ws: Path, home: Path) -> None:
    engine = make(ws, home, mode="dontAsk", ask=["Bash(ls)"], allow=["Bash(ls)"])
    decision = engine.decide(call("Bash", ws, command="ls"))
    assert decision.behavior == "deny"
    assert decision.rule == "Bash(ls)"


def test_accept_edits_does_not_run_edits_outside_the_workspace(ws: Path, home: Path) -> None:
    engine = make(ws, home, mode="acceptEdits")
    decision = engine.decide(call("Write", ws, file_path="../elsewhere.txt"))
    assert decision.behavior == "ask"
    assert "outside the workspace" in decision.reason


def test_set_mode_switches_and_validates(ws: Path, home: Path) -> None:
    engine = make(ws, home)
    engine.set_mode("acceptEdits")
    assert engine.decide(call("Edit", ws, file_path="src/app.py")).behavior == "allow"
    with pytest.raises(InvalidRuleError, match="acceptEdits"):
        engine.set_mode("yolo")


# --- precedence -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_deny_wins_in_every_mode(ws: Path, home: Path, mode: Mode) -> None:
    engine = make(ws, home, mode=mode, allow=["Bash", "Edit"], deny=["Bash(ls)", "Edit(src/**)"])
    for request in (call("Bash", ws, command="ls"), call("Edit", ws, file_path="src/app.py")):
        decision = engine.decide(request)
        assert decision.behavior == "deny"
        assert decision.source == "deny-src"


@pytest.mark.parametrize("mode", MODES)
def test_deny_rules_stop_read_only_tools_too(ws: Path, home: Path, mode: Mode) -> None:
    engine = make(ws, home, mode=mode, deny=["Read(src/**)"])
    decision = engine.decide(call("Read", ws, file_path="src/app.py"))
    assert decision.behavior == "deny"
    assert decision.rule == "Read(src/**)"


def test_deny_then_ask_then_allow(ws: Path, home: Path) -> None:
    everything = make(ws, home, allow=["Bash(ls)"], ask=["Bash(ls)"], deny=["Bash(ls)"])
    assert everything.decide(call("Bash", ws, command="ls")).behavior == "deny"
    ask_and_allow = make(ws, home, allow=["Bash(ls)"], ask=["Bash(ls)"])
    decision = ask_and_allow.decide(call("Bash", ws, command="ls"))
    assert (decision.behavior, decision.source) == ("ask", "ask-src")
    allow_only = make(ws, home, allow=["Bash(ls)"])
    decision = allow_only.decide(call("Bash", ws, command="ls"))
    assert (decision.behavior, decision.rule, decision.source) == ("allow", "Bash(ls)", "allow-src")


def test_first_matching_rule_is_reported(ws: Path, home: Path) -> None:
    engine = make(ws, home, deny=["Bash(git push:*)", "Bash(git:*)"])
    decision = engine.decide(call("Bash", ws, command="git push origin main"))
    assert decision.rule == "Bash(git push:*)"


def test_ask_rule_beats_bypass_mode(ws: Path, home: Path) -> None:
    engine = make(ws, home, mode="bypassPermissions", ask=["Bash(git push:*)"])
    assert engine.decide(call("Bash", ws, command="git push")).behavior == "ask"


# --- Bash specifiers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "command", "expected"),
    [
        ("Bash(npm test:*)", "npm test", "allow"),
        ("Bash(npm test:*)", "npm test --x", "allow"),
        ("Bash(npm test:*)", "npm testing", "ask"),
        ("Bash(npm test:*)", "npm tes", "ask"),
        ("Bash(npm run test:*)", "npm run test:unit", "ask"),
        ("Bash(git status)", "git status", "allow"),
        ("Bash(git status)", "git  status", "allow"),
        ("Bash(git status)", "git status --short", "ask"),
        ("Bash(git status)", "git statuses", "ask"),
        ("Bash(echo *)", "echo hi there", "allow"),
        ("Bash(echo *)", "echo", "allow"),
        ("Bash(echo *)", "echoes hi", "ask"),
        ("Bash(git * main)", "git push origin main", "allow"),
        ("Bash(git * main)", "git push origin dev", "ask"),
        ("Bash(*)", "anything at all", "allow"),
        ("Bash", "anything at all", "allow"),
        ("Bash(ls:*)", "ls -la src", "allow"),
        ("Bash(ls:*)", "lsof", "ask"),
        ("Bash(git commit -m *)", "git commit -m 'two words'", "allow"),
    ],
)
def test_bash_specifiers(ws: Path, home: Path, rule: str, command: str, expected: str) -> None:
    decision = make(ws, home, allow=[rule]).decide(call("Bash", ws, command=command))
    assert decision.behavior == expected, decision


def test_quoted_words_do_not_fake_a_prefix(ws: Path, home: Path) -> None:
    engine = make(ws, home, allow=["Bash(npm run:*)"])
    assert engine.decide(call("Bash", ws, command="'npm run' x")).behavior == "ask"


def test_compound_command_needs_every_part_allowed(ws: Path, home: Path) -> None:
    engine = make(ws, home, allow=["Bash(git status)", "Bash(npm test)"])
    both = engine.decide(call("Bash", ws, command="git status && npm test"))
    assert both.behavior == "allow"
    assert both.rule == "Bash(git status), Bash(npm test)"
    assert both.source == "allow-src"
    one = engine.decide(call("Bash", ws, command="git status && npm install"))
    assert one.behavior == "ask"
    assert "npm install" in one.reason


def test_cd_inside_the_workspace_needs_no_rule(ws: Path, home: Path) -> None:
    engine = make(ws, home, allow=["Bash(npm test)"])
    assert engine.decide(call("Bash", ws, command="cd src && npm test")).behavior == "allow"
    assert engine.decide(call("Bash", ws, command="cd /etc && npm test")).behavior == "ask"


def test_dangerous_flags_need_an_exact_rule(ws: Path, home: Path) -> None:
    prefix = make(ws, home, allow=["Bash(sed:*)"])
    assert prefix.decide(call("Bash", ws, command="sed -i s/a/b/ f")).behavior == "ask"
    exact = make(ws, home, allow=["Bash(sed -i s/a/b/ f)"])
    assert exact.decide(call("Bash", ws, command="sed -i s/a/b/ f")).behavior == "allow"


def test_opaque_wrappers_need_the_written_form_allowed(ws: Path, home: Path) -> None:
    inner_only = make(ws, home, allow=["Bash(git status)"])
    assert inner_only.decide(call("Bash", ws, command="sudo git status")).behavior == "ask"
    both = make(ws, home, allow=["Bash(git status)", "Bash(sudo git status)"])
    assert both.decide(call("Bash", ws, command="sudo git status")).behavior == "allow"


def test_transparent_wrappers_match_the_inner_command(ws: Path, home: Path) -> None:
    engine = make(ws, home, allow=["Bash(npm test)"])
    assert engine.decide(call("Bash", ws, command="timeout 60 npm test")).behavior == "allow"


def test_empty_command_is_not_allowed(ws: Path, home: Path) -> None:
    assert make(ws, home, allow=["Bash"]).decide(call("Bash", ws, command="  ")).behavior == "ask"


def test_command_from_tool_input_when_request_has_none(ws: Path, home: Path) -> None:
    engine = make(ws, home, deny=["Bash(rm:*)"])
    request = PermissionRequest("Bash", {"command": "rm -rf x"})
    assert engine.decide(request).behavior == "deny"


# --- path rules -------------------------------------------------------------------------------


def test_workspace_anchored_rule(ws: Path, home: Path) -> None:
    (ws / "lib" / "src").mkdir(parents=True)
    engine = make(ws, home, allow=["Edit(/src/**)"])
    assert engine.decide(call("Edit", ws, file_path="src/app.py")).behavior == "allow"
    assert engine.decide(call("Edit", ws, file_path="lib/src/x.py")).behavior == "ask"


def test_unanchored_name_matches_at_any_depth(ws: Path, home: Path) -> None:
    engine = make(ws, home, deny=["Read(.env)"])
    assert engine.decide(call("Read", ws, file_path=".env")).behavior == "deny"
    assert engine.decide(call("Read", ws, file_path="src/.env")).behavior == "deny"
    assert engine.decide(call("Read", ws, file_path="src/.envrc")).behavior == "allow"


def test_dot_slash_anchors_at_the_workspace_root(ws: Path, home: Path) -> None:
    engine = make(ws, home, deny=["Read(./.env)"])
    assert engine.decide(call("Read", ws, file_path=".env")).behavior == "deny"
    assert engine.decide(call("Read", ws, file_path="src/.env")).behavior == "allow"


@pytest.mark.parametrize(
    "spelling", ["~/proj/secret.txt", "$HOME/proj/secret.txt", "${HOME}/proj/secret.txt"]
)
def test_home_spellings_are_equivalent(ws: Path, home: Path, spelling: str) -> None:
    engine = make(ws, home, deny=[f"Read({spelling})"])
    assert engine.decide(call("Read", ws, file_path="secret.txt")).behavior == "deny"
    assert engine.decide(call("Read", ws, file_path="src/app.py")).behavior == "allow"


@pytest.mark.parametrize(
    "raw", ["~/proj/src/app.py", "$HOME/proj/src/app.py", "${HOME}/proj/src/app.py"]
)
def test_home_spellings_in_tool_input(ws: Path, home: Path, raw: str) -> None:
    engine = make(ws, home, deny=["Read(/src/app.py)"])
    request = PermissionRequest("Read", {"file_path": raw}, read_only=True)
    assert engine.decide(request).behavior == "deny"


def test_absolute_rule_with_double_slash(ws: Path, home: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text("a")
    engine = make(ws, home, allow=[f"Read(/{data}/**)"])
    assert engine.decide(call("Read", ws, file_path=str(data / "a.txt"))).behavior == "allow"
    decision = make(ws, home).decide(call("Read", ws, file_path=str(data / "a.txt")))
    assert decision.behavior == "deny"


def test_home_rule_allows_a_read_outside_the_workspace(ws: Path, home: Path) -> None:
    (home / "docs").mkdir()
    engine = make(ws, home, allow=["Read(~/docs/**)"])
    assert engine.decide(call("Read", ws, file_path=str(home / "docs" / "a.md"))).behavior == (
        "allow"
    )
    assert engine.decide(call("Read", ws, file_path=str(home / "other.md"))).behavior == "deny"


def test_edit_rules_cover_every_edit_tool(ws: Path, home: Path) -> None:
    engine = make(ws, home, deny=["Edit(src/**)"])
    for tool in ("Edit", "MultiEdit", "Write"):
        assert engine.decide(call(tool, ws, file_path="src/app.py")).behavior == "deny"
    assert engine.decide(patch_call(ws, "src/app.py")).behavior == "deny"
    assert engine.decide(call("Read", ws, file_path="src/app.py")).behavior == "allow"


def test_write_rules_cover_edits_too(ws: Path, home: Path) -> None:
    engine = make(ws, home, allow=["Write(src/**)"])
    assert engine.decide(call("Edit", ws, file_path="src/app.py")).behavior == "allow"


def test_read_rules_cover_search_tools(ws: Path, home: Path) -> None:
    (ws / "secret").mkdir()
    engine = make(ws, home, deny=["Read(secret/**)"])
    assert engine.decide(call("Grep", ws, pattern="x", path="secret")).behavior == "allow"
    engine = make(ws, home, deny=["Read(secret)"])
    for tool in ("Grep", "Glob", "LS"):
        assert engine.decide(call(tool, ws, pattern="x", path="secret")).behavior == "deny"


def test_allow_needs_every_path_deny_needs_one(ws: Path, home: Path) -> None:
    allow = make(ws, home, allow=["Edit(src/**)"])
    assert allow.decide(patch_call(ws, "src/app.py", "src/b.py")).behavior == "allow"
    assert allow.decide(patch_call(ws, "src/app.py", "lib/b.py")).behavior == "ask"
    deny = make(ws, home, deny=["Edit(lib/**)"])
    assert deny.decide(patch_call(ws, "src/app.py", "lib/b.py")).behavior == "deny"


def test_rules_match_real_paths_through_symlinks(ws: Path, home: Path) -> None:
    (ws / "alias").symlink_to(ws / "src")
    engine = make(ws, home, deny=["Edit(src/**)"])
    assert engine.decide(call("Edit", ws, file_path="alias/app.py")).behavior == "deny"


def test_domain_specifier_for_web_tools(ws: Path, home: Path) -> None:
    engine = make(ws, home, allow=["WebFetch(domain:example.com)"])
    allowed = call("WebFetch", ws, url="https://docs.example.com/x")
    assert engine.decide(allowed).behavior == "allow"
    assert engine.decide(call("WebFetch", ws, url="https://example.org/")).behavior == "ask"


def test_other_tool_specifiers_glob_over_input(ws: Path, home: Path) -> None:
    engine = make(ws, home, deny=["Task(reviewer*)"])
    request = PermissionRequest("Task", {"subagent_type": "reviewer-strict"}, kind="agent")
    assert engine.decide(request).behavior == "deny"
    other = PermissionRequest("Task", {"subagent_type": "x"}, kind="agent")
    assert engine.decide(other).behavior == "allow"


# --- protected paths --------------------------------------------------------------------------

PROTECTED = [
    ".git/hooks/pre-commit",
    ".git/config",
    ".git/HEAD",
    ".devagent/settings.json",
    ".devagent/agents/new.md",
    ".claude/settings.json",
    ".vscode/settings.json",
    ".idea/workspace.xml",
    ".mcp.json",
    ".gitmodules",
    "sub/.mcp.json",
    "sub/.bashrc",
    "sub/.zshrc",
    "../.bashrc",
    "../.bash_profile",
    "../.zshrc",
    "../.zprofile",
    "../.profile",
    "../.gitconfig",
]


@pytest.mark.parametrize("mode", ["default", "acceptEdits", "bypassPermissions"])
@pytest.mark.parametrize("target", PROTECTED)
def test_protected_paths_always_ask(ws: Path, home: Path, mode: Mode, target: str) -> None:
    engine = make(ws, home, mode=mode, allow=["Edit", "Write"])
    decision = engine.decide(call("Write", ws, file_path=target))
    assert decision.behavior == "ask"
    assert Path(target).name in decision.reason or "outside" in decision.reason


@pytest.mark.parametrize("target", [".devagent/settings.json", "../.bashrc", ".git/config"])
def test_protected_paths_are_denied_when_nobody_can_answer(
    ws: Path, home: Path, target: str
) -> None:
    decision = make(ws, home, mode="dontAsk", allow=["Edit"]).decide(
        call("Edit", ws, file_path=target)
    )
    assert decision.behavior == "deny"


def test_protected_path_that_does_not_exist_yet(ws: Path, home: Path) -> None:
    assert not (ws / ".devagent").exists()
    engine = make(ws, home, mode="acceptEdits")
    decision = engine.decide(call("Write", ws, file_path=".devagent/settings.json"))
    assert decision.behavior == "ask"
    assert ".devagent" in decision.reason


def test_symlinked_protected_dir_is_still_protected(ws: Path, home: Path) -> None:
    (ws / "plain").mkdir()
    (ws / ".devagent").symlink_to(ws / "plain")
    engine = make(ws, home, mode="bypassPermissions")
    decision = engine.decide(call("Write", ws, file_path=".devagent/settings.json"))
    assert decision.behavior == "ask"


def test_link_to_a_protected_file_is_protected(ws: Path, home: Path) -> None:
    (ws / "innocent").symlink_to(ws / ".git" / "config")
    engine = make(ws, home, mode="acceptEdits")
    assert engine.decide(call("Edit", ws, file_path="innocent")).behavior == "ask"


def test_reading_protected_paths_inside_the_workspace_is_fine(ws: Path, home: Path) -> None:
    assert make(ws, home).decide(call("Read", ws, file_path=".git/config")).behavior == "allow"


# --- outside the workspace ------------------------------------------------------------------


def test_read_outside_the_workspace_is_denied(ws: Path, home: Path) -> None:
    decision = make(ws, home).decide(call("Read", ws, file_path="../../etc/passwd"))
    assert decision.behavior == "deny"
    assert "outside the workspace" in decision.reason


def test_symlink_out_of_the_workspace(ws: Path, home: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("x")
    (ws / "link").symlink_to(outside)
    engine = make(ws, home, mode="acceptEdits")
    assert engine.decide(call("Read", ws, file_path="link/passwd")).behavior == "deny"
    write = engine.decide(call("Write", ws, file_path="link/new/deep.txt"))
    assert write.behavior == "ask"
    assert str(outside) in write.reason


def test_file_symlink_out_of_the_workspace(ws: Path, home: Path) -> None:
    (home / ".ssh").mkdir()
    (ws / "out").symlink_to(home / ".ssh" / "authorized_keys")
    engine = make(ws, home, mode="bypassPermissions")
    assert engine.decide(call("Write", ws, file_path="out")).behavior == "ask"


def test_prefix_sibling_is_outside(ws: Path, home: Path) -> None:
    sibling = home / "proj-evil"
    sibling.mkdir()
    (sibling / "x").write_text("x")
    engine = make(ws, home, mode="acceptEdits")
    assert engine.decide(call("Read", ws, file_path=str(sibling / "x"))).behavior == "deny"
    assert engine.decide(call("Edit", ws, file_path="../proj-evil/x")).behavior == "ask"


def test_workspace_given_through_a_symlink(ws: Path, home: Path, tmp_path: Path) -> None:
    alias = tmp_path / "alias"
    alias.symlink_to(ws)
    engine = PermissionEngine(alias, mode="acceptEdits", user_home=home)
    request = call("Edit", ws, file_path="src/app.py")
    assert engine.decide(request).behavior == "allow"


# --- rule syntax and session rules ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tool", "specifier"),
    [
        ("Bash", "Bash", None),
        ("Bash(npm test:*)", "Bash", "npm test:*"),
        ("  Edit(src/**)  ", "Edit", "src/**"),
        ("mcp__github__create-pull-request", "mcp__github__create-pull-request", None),
        ("Bash(echo (a))", "Bash", "echo (a)"),
    ],
)
def test_rule_parse(text: str, tool: str, specifier: str | None) -> None:
    rule = Rule.parse(text, "src")
    assert (rule.tool, rule.specifier, rule.source) == (tool, specifier, "src")


@pytest.mark.parametrize(
    "text", ["", "   ", "Bash(", "Bash()", "(ls)", "Ba sh", "Bash(ls", "1Tool"]
)
def test_rule_parse_rejects_garbage(text: str) -> None:
    with pytest.raises(InvalidRuleError):
        Rule.parse(text, "src")


def test_rule_text_round_trips() -> None:
    assert Rule.parse("Bash(git push:*)", "x").text == "Bash(git push:*)"
    assert Rule.parse("Read", "x").text == "Read"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Bash(git log:*),Read", ["Bash(git log:*)", "Read"]),
        ("Bash(echo a,b), Edit(src/**)", ["Bash(echo a,b)", "Edit(src/**)"]),
        ("Read,,  ,Grep", ["Read", "Grep"]),
        ("Bash(a (b,c)),Write", ["Bash(a (b,c))", "Write"]),
    ],
)
def test_split_rules_at_top_level_commas(value: str, expected: list[str]) -> None:
    assert split_rules(value) == expected


def test_parse_mode() -> None:
    assert parse_mode("bypassPermissions") == "bypassPermissions"
    with pytest.raises(InvalidRuleError, match="default, acceptEdits"):
        parse_mode("auto")


def test_allow_for_session(ws: Path, home: Path) -> None:
    engine = make(ws, home)
    request = call("Edit", ws, file_path="src/app.py")
    assert engine.decide(request).behavior == "ask"
    engine.allow_for_session("Edit(src/app.py)")
    decision = engine.decide(request)
    assert (decision.behavior, decision.source) == ("allow", "session")
    assert engine.rules("allow")[-1].text == "Edit(src/app.py)"
    with pytest.raises(InvalidRuleError):
        engine.allow_for_session("Edit(")


def test_session_allow_never_overrides_deny(ws: Path, home: Path) -> None:
    engine = make(ws, home, deny=["Bash(npm publish:*)"])
    engine.allow_for_session("Bash(npm publish:*)")
    assert engine.decide(call("Bash", ws, command="npm publish")).behavior == "deny"


def test_session_ask_and_deny_rules_narrow_what_settings_allow(ws: Path, home: Path) -> None:
    engine = make(ws, home, allow=["Bash(git:*)", "Edit"])
    assert engine.decide(call("Bash", ws, command="git push")).behavior == "allow"
    added = engine.add_session_rule("ask", "Bash(git push:*)")
    assert (added.text, added.source) == ("Bash(git push:*)", "session")
    asked = engine.decide(call("Bash", ws, command="git push"))
    assert (asked.behavior, asked.source) == ("ask", "session")
    assert engine.decide(call("Bash", ws, command="git status")).behavior == "allow"
    engine.add_session_rule("deny", "Edit(secrets/**)")
    denied = engine.decide(call("Edit", ws, file_path="secrets/key.txt"))
    assert (denied.behavior, denied.source) == ("deny", "session")
    assert engine.decide(call("Edit", ws, file_path="src/app.py")).behavior == "allow"
    assert [r.text for r in engine.rules("deny")] == ["Edit(secrets/**)"]
    with pytest.raises(InvalidRuleError):
        engine.add_session_rule("deny", "Bash(")
    assert [r.text for r in engine.rules("deny")] == ["Edit(secrets/**)"]


def test_importing_the_engine_does_not_load_the_parser() -> None:
    code = (
        "import sys, devagent.permissions, devagent.settings;"
        "print('tree_sitter' in sys.modules, 'pathspec' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# --- normalisation (reliability plan item 26) -------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "src/app.py",
        "./src/../src/app.py",
        "src//app.py",
        "~/proj/src/app.py",
        "$HOME/proj/src/app.py",
        "${HOME}/proj/src/app.py",
    ],
)
def test_spellings_of_one_path_meet_the_same_rule(ws: Path, home: Path, raw: str) -> None:
    engine = make(ws, home, deny=["Edit(/src/app.py)"])
    request = PermissionRequest("Edit", {"file_path": raw})
    decision = engine.decide(request)
    assert (decision.behavior, decision.rule) == ("deny", "Edit(/src/app.py)")


@pytest.mark.parametrize("raw", ["//etc/passwd", "/etc/../etc/passwd", "../../../etc/passwd"])
def test_absolute_spellings_are_outside(ws: Path, home: Path, raw: str) -> None:
    decision = make(ws, home).decide(PermissionRequest("Read", {"file_path": raw}, read_only=True))
    assert decision.behavior == "deny"
    assert "/etc/passwd" in decision.reason


def test_double_slash_rule_matches_double_slash_input(ws: Path, home: Path) -> None:
    engine = make(ws, home, deny=["Read(//etc/**)"])
    decision = engine.decide(PermissionRequest("Read", {"file_path": "//etc/passwd"}))
    assert decision.rule == "Read(//etc/**)"


def test_look_alike_workspace_name_is_outside(ws: Path, home: Path) -> None:
    look_alike = home / "pro\u0458"  # Cyrillic je instead of j
    look_alike.mkdir()
    decision = make(ws, home, mode="acceptEdits").decide(
        PermissionRequest("Write", {"file_path": str(look_alike / "x")})
    )
    assert decision.behavior == "ask"
    assert "outside the workspace" in decision.reason


def test_planted_link_to_a_shell_rc_file(ws: Path, home: Path) -> None:
    (home / ".bashrc").write_text("# rc\n")
    (ws / "pwn").symlink_to(home / ".bashrc")
    engine = make(ws, home, mode="bypassPermissions", allow=["Write"])
    decision = engine.decide(call("Write", ws, file_path="pwn"))
    assert decision.behavior == "ask"
    assert ".bashrc" in decision.reason
