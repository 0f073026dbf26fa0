"""The hooks package piece by piece: reading the configuration, merging what hooks said, a hook's
permission decision against the policy's, and the runner's process handling."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from devagent.approval import Decision
from devagent.errors import UsageError
from devagent.hooks.config import HookCommand, HookSource, load_hook_config, matcher_matches
from devagent.hooks.outcome import merge
from devagent.hooks.permission import with_hook
from devagent.hooks.runner import HookRun, run_commands
from hooks.hookkit import hook_entry, process_gone, write_settings

# --- configuration ----------------------------------------------------------------------------


def test_sources_are_read_in_order_and_a_disallowed_one_is_skipped(tmp_path: Path) -> None:
    user = write_settings(tmp_path / "user.json", {"Stop": [hook_entry("one", timeout=5)]})
    repo = write_settings(tmp_path / "repo.json", {"Stop": [hook_entry("two")]})
    config = load_hook_config(
        [HookSource(user, "user"), HookSource(repo, "project", allowed=False)]
    )
    assert [(h.command, h.timeout_s, h.source) for h in config.commands] == [("one", 5.0, user)]
    assert config.skipped_sources == (repo,)
    both = load_hook_config([HookSource(user, "user"), HookSource(repo, "project")])
    assert [h.command for h in both.for_event("Stop")] == ["one", "two"]


def test_the_same_command_runs_once_per_event(tmp_path: Path) -> None:
    a = write_settings(tmp_path / "a.json", {"PreToolUse": [hook_entry("fmt", "Edit")]})
    b = write_settings(tmp_path / "b.json", {"PreToolUse": [hook_entry("fmt", "Edit|Write")]})
    config = load_hook_config([HookSource(a, "user"), HookSource(b, "project")])
    assert [h.source for h in config.for_event("PreToolUse", "Edit")] == [a]
    assert [h.source for h in config.for_event("PreToolUse", "Write")] == [b]
    assert config.for_event("PostToolUse", "Edit") == []


@pytest.mark.parametrize(
    ("matcher", "target", "expected"),
    [
        ("", "Bash", True),
        ("*", "Bash", True),
        ("Edit|Write", "Write", True),
        ("Edit|Write", "MultiEdit", False),
        ("Edit", "NotebookEdit", False),
        ("Notebook.*", "NotebookEdit", True),
        ("mcp__github__.*", "mcp__github__create_issue", True),
        ("mcp__github__.*", "mcp__memory__read", False),
    ],
)
def test_matchers_work_as_in_claude_code(matcher: str, target: str, expected: bool) -> None:
    assert matcher_matches(matcher, target) is expected


@pytest.mark.parametrize(
    ("hooks", "message"),
    [
        ([], '"hooks" must be an object'),
        ({"Stop": {}}, '"hooks.Stop" must be a list'),
        ({"Stop": ["x"]}, 'hooks.Stop[0] must be an object with "matcher" and "hooks"'),
        ({"Stop": [{"matcher": 3, "hooks": []}]}, "hooks.Stop[0].matcher must be a string"),
        ({"Stop": [{"matcher": "a("}]}, "is not a valid regular expression"),
        ({"Stop": [{"hooks": "echo"}]}, "hooks.Stop[0].hooks must be a list"),
        ({"Stop": [{"hooks": [{"type": "command"}]}]}, '"command" must be a non-empty string'),
        ({"Stop": [{"hooks": [{"command": "x", "timeout": 0}]}]}, '"timeout" must be a number'),
        ({"Stop": [{"hooks": [{"command": "x", "timeout": "5"}]}]}, "(got '5')"),
    ],
)
def test_a_shape_devagent_cannot_use_is_an_error_naming_file_and_entry(
    tmp_path: Path, hooks: object, message: str
) -> None:
    path = tmp_path / "settings.json"
    text = json.dumps({"hooks": hooks})
    path.write_text(text)
    with pytest.raises(UsageError) as info:
        load_hook_config([HookSource(path, "user")])
    assert str(info.value).startswith(str(path)) and message in str(info.value)
    assert path.read_text() == text  # left as it was


def test_unknown_events_and_hook_types_are_skipped_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    prompt_hook = {"hooks": [{"type": "prompt", "prompt": "ok?"}, {"command": "run"}]}
    write_settings(path, {"PermissionRequest": [hook_entry("x")], "Stop": [prompt_hook]})
    config = load_hook_config([HookSource(path, "user")])
    assert [h.command for h in config.commands] == ["run"]
    first, second = config.warnings
    assert "hook event 'PermissionRequest' is not one devagent runs" in first
    assert "hooks.Stop[0].hooks[0]: hook type 'prompt' is not supported" in second


def test_broken_json_is_an_error_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"hooks": {\n  "Stop": [,]}}')
    with pytest.raises(UsageError, match=r"settings.json:2:\d+: invalid JSON"):
        load_hook_config([HookSource(path, "user")])


# --- merging what hooks said ------------------------------------------------------------------


def run_of(code: int | None, stdout: str = "", stderr: str = "", status: str = "exited") -> HookRun:
    hook = HookCommand("PreToolUse", "", "check", 60.0, Path("s.json"))
    return HookRun(hook, status, code, stdout, stderr)  # type: ignore[arg-type]


def decision(value: str, **more: object) -> str:
    return json.dumps(
        {"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": value, **more}}
    )


def test_deny_beats_ask_beats_allow_and_blocks_collect_their_reasons() -> None:
    out = merge(
        "PreToolUse",
        [
            run_of(0, decision("allow")),
            run_of(0, decision("deny", permissionDecisionReason="no")),
            run_of(0, decision("ask")),
        ],
    )
    assert (out.permission, out.permission_reason) == ("deny", "no") and not out.blocked
    block = json.dumps({"decision": "block", "reason": "second"})
    stop = merge("Stop", [run_of(2, stderr="first\n"), run_of(0), run_of(0, block)])
    assert stop.blocked and stop.reason == "first\nsecond"
    # PreToolUse's older form: "block" denies the call, "approve" allows it.
    assert merge("PreToolUse", [run_of(0, block)]).permission == "deny"
    approve = json.dumps({"decision": "approve"})
    assert merge("PreToolUse", [run_of(0, approve)]).permission == "allow"


def test_failures_and_timeouts_are_notices_and_do_not_block() -> None:
    out = merge(
        "PreToolUse",
        [
            run_of(1, stderr="lint crashed"),
            run_of(None, status="timed_out"),
            run_of(0, "not json"),
            run_of(0, json.dumps({"systemMessage": "formatted 2 files"})),
        ],
    )
    assert not out.blocked and out.permission is None and out.context == []
    assert out.notices == [
        "PreToolUse hook `check` failed (exit 1): lint crashed",
        "PreToolUse hook `check` timed out after 60 s and was stopped.",
        "formatted 2 files",
    ]


def test_continue_false_stops_with_its_reason_and_updated_input_is_kept() -> None:
    stop = json.dumps({"continue": False, "stopReason": "maintenance window"})
    changed = json.dumps({"hookSpecificOutput": {"updatedInput": {"command": "ls"}}})
    out = merge("PreToolUse", [run_of(0, stop), run_of(0, changed)])
    assert out.stop_reason == "maintenance window"
    assert out.updated_input == {"command": "ls"}


def test_plain_stdout_is_context_only_for_prompt_and_session_start() -> None:
    hook = HookCommand("UserPromptSubmit", "", "c", 60.0, Path("s.json"))
    prompt = merge("UserPromptSubmit", [HookRun(hook, "exited", 0, "branch: main\n", "")])
    assert prompt.context == ["branch: main"]
    assert merge("Stop", [HookRun(hook, "exited", 0, "branch: main\n", "")]).context == []


# --- a hook's permission decision against the policy's ----------------------------------------


@pytest.mark.parametrize(
    ("policy", "hook", "expected"),
    [
        (Decision("ask", "needs approval", source="mode:default"), "allow", "allow"),
        (Decision("deny", "denied by Bash(rm:*)", "Bash(rm:*)", "settings.json"), "allow", "deny"),
        (Decision("deny", "plan mode", source="mode:plan"), "allow", "deny"),
        (Decision("ask", "protected paths need a yes", source="builtin"), "allow", "ask"),
        (Decision("ask", "Bash(git push:*) asks", "Bash(git push:*)", "s.json"), "allow", "ask"),
        (Decision("allow", "allowed by Bash(ls)", "Bash(ls)", "s.json"), "ask", "ask"),
        (Decision("allow", "allowed by Bash(ls)", "Bash(ls)", "s.json"), "deny", "deny"),
        (Decision("ask", "needs approval", source="mode:default"), "ask", "ask"),
        (Decision("allow", "read-only", source="builtin"), None, "allow"),
    ],
)
def test_a_hook_never_widens_past_the_policy(policy: Decision, hook: str, expected: str) -> None:
    assert with_hook(policy, hook, "why").behavior == expected  # type: ignore[arg-type]


# --- the runner -------------------------------------------------------------------------------


def test_cancel_kills_every_running_hook_group_and_interrupts(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    command = f"echo $$ > {pids}.main; sleep 300 & echo $! > {pids}.child; wait"
    hooks = [HookCommand("Stop", "", command, 60.0, Path("s.json"))]
    cancel = threading.Event()

    def press_ctrl_c_once_started() -> None:
        while not Path(f"{pids}.child").exists():
            time.sleep(0.02)
        cancel.set()

    threading.Thread(target=press_ctrl_c_once_started, daemon=True).start()
    # Cancelled, not timed out: a timeout would return a result instead of raising.
    with pytest.raises(KeyboardInterrupt):
        run_commands(hooks, b"{}", cwd=tmp_path, env={"PATH": "/usr/bin:/bin"}, cancel=cancel)
    for name in ("main", "child"):
        assert process_gone(int(Path(f"{pids}.{name}").read_text()))


def test_a_hook_that_does_not_read_stdin_still_runs(tmp_path: Path) -> None:
    hook = HookCommand("Stop", "", "echo out; echo err >&2; exit 3", 10.0, Path("s.json"))
    [run] = run_commands([hook], b"x" * 1_000_000, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert (run.status, run.exit_code, run.stdout, run.stderr) == ("exited", 3, "out\n", "err\n")
