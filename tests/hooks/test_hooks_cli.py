"""Hooks through the real CLI, the real SDK and the fake Messages API, with real hook scripts:
PreToolUse blocks, permission decisions and changed input; PostToolUse; Stop until the tests
pass; UserPromptSubmit and SessionStart context; timeouts that leave no process; and
repository hooks that wait for the folder to be trusted."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from devagent.trust import trust
from fakes.fake_api import FakeAPI, text_reply, tool_call, tool_reply
from hooks.hookkit import (
    hook_entry,
    hook_script,
    logged,
    oneshot,
    process_gone,
    write_settings,
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.fixture
def scripts(tmp_path: Path) -> Path:
    return tmp_path / "hook-scripts"


@pytest.fixture
def env(devagent_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The CLI's environment with a private HOME, so no real ~/.claude settings are read."""
    home = tmp_path / "user-home"
    home.mkdir()
    return {**devagent_env, "HOME": str(home)}


def user_hooks(devagent_home: Path, hooks: dict[str, list[dict[str, Any]]]) -> None:
    write_settings(devagent_home / "settings.json", hooks)


def result_text(block: dict[str, Any]) -> str:
    content = block.get("content")
    if isinstance(content, list):
        return "\n".join(str(c.get("text", "")) for c in content)
    return str(content)


# --- PreToolUse -------------------------------------------------------------------------------


def test_pre_tool_use_exit_2_blocks_the_call_and_the_model_sees_stderr(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    scripts: Path,
    fake_api: FakeAPI,
    devagent_home: Path,
) -> None:
    guard = hook_script(
        scripts,
        "guard",
        """
        log({"payload": payload, "env": {k: os.environ.get(k) for k in
             ("CLAUDE_PROJECT_DIR", "DEVAGENT_PROJECT_DIR")}})
        print("touching files is not allowed here; use the build script", file=sys.stderr)
        sys.exit(2)
        """,
    )
    user_hooks(devagent_home, {"PreToolUse": [hook_entry(guard, "Bash")]})
    call = tool_call("Bash", {"command": "touch made.txt"})
    fake_api.enqueue(tool_reply(call), text_reply("ok"))
    done, result = oneshot(devagent_cmd, env, repo, "make it", "--allowed-tools", "Bash(touch:*)")
    assert done.returncode == 0, done.stderr
    assert not (repo / "made.txt").exists()
    [sent] = fake_api.requests[1].tool_results()
    assert sent["is_error"] is True
    assert "touching files is not allowed here; use the build script" in result_text(sent)
    [entry] = logged(scripts, "guard")
    payload = entry["payload"]
    assert payload["hook_event_name"] == "PreToolUse"
    assert payload["tool_name"] == "Bash" and payload["tool_input"]["command"] == "touch made.txt"
    assert payload["tool_use_id"] == call.id
    assert payload["session_id"] == result["session_id"]
    assert Path(payload["transcript_path"]).stem == result["session_id"]
    assert Path(payload["transcript_path"]).is_file()
    assert payload["cwd"] == str(repo) and payload["permission_mode"] == "default"
    assert entry["env"] == {"CLAUDE_PROJECT_DIR": str(repo), "DEVAGENT_PROJECT_DIR": str(repo)}


def permission_hook(scripts: Path, decision: str, **extra: Any) -> str:
    output = {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": decision,
            "permissionDecisionReason": f"policy says {decision}",
            **extra,
        }
    }
    return hook_script(scripts, f"decide-{decision}", f"print(json.dumps({output!r}))\n")


def test_a_hook_deny_denies_what_an_allow_rule_allows(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    scripts: Path,
    fake_api: FakeAPI,
    devagent_home: Path,
) -> None:
    user_hooks(devagent_home, {"PreToolUse": [hook_entry(permission_hook(scripts, "deny"))]})
    fake_api.enqueue(tool_reply(tool_call("Bash", {"command": "touch made.txt"})), text_reply("ok"))
    done, result = oneshot(devagent_cmd, env, repo, "go", "--allowed-tools", "Bash(touch:*)")
    assert done.returncode == 0, done.stderr
    assert not (repo / "made.txt").exists()
    [denial] = result["permission_denials"]
    assert "a PreToolUse hook denied it: policy says deny" in denial["reason"]
    [sent] = fake_api.requests[1].tool_results()
    assert sent["is_error"] is True and "policy says deny" in result_text(sent)


def test_a_hook_allow_skips_the_question_but_never_a_deny_rule_or_a_protected_path(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    scripts: Path,
    fake_api: FakeAPI,
    devagent_home: Path,
) -> None:
    user_hooks(devagent_home, {"PreToolUse": [hook_entry(permission_hook(scripts, "allow"))]})
    # Default mode in one-shot: without the hook this Bash call would be denied (nobody asked).
    fake_api.enqueue(
        tool_reply(tool_call("Bash", {"command": "touch made.txt"})),
        tool_reply(tool_call("Bash", {"command": "rm made.txt"})),
        tool_reply(tool_call("Write", {"file_path": ".claude/x.json", "content": "{}"})),
        text_reply("ok"),
    )
    done, result = oneshot(devagent_cmd, env, repo, "go", "--disallowed-tools", "Bash(rm:*)")
    assert done.returncode == 0, done.stderr
    assert (repo / "made.txt").exists()  # allowed by the hook
    assert not (repo / ".claude" / "x.json").exists()
    reasons = [d["reason"] for d in result["permission_denials"]]
    assert len(reasons) == 2
    assert "Bash(rm:*)" in reasons[0]
    assert "protected" in reasons[1]


def test_updated_input_changes_what_runs_and_still_goes_through_permissions(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    scripts: Path,
    fake_api: FakeAPI,
    devagent_home: Path,
) -> None:
    rewrite = hook_script(
        scripts,
        "rewrite",
        """
        command = payload["tool_input"]["command"]
        new = {"a": "touch b.txt", "x": "rm -f keep.txt"}[command.split()[-1][0]]
        print(json.dumps({"hookSpecificOutput": {"hookEventName": "PreToolUse",
                                                  "updatedInput": {"command": new}}}))
        """,
    )
    (repo / "keep.txt").write_text("keep\n")
    user_hooks(devagent_home, {"PreToolUse": [hook_entry(rewrite, "Bash")]})
    fake_api.enqueue(
        tool_reply(tool_call("Bash", {"command": "touch a.txt"})),
        tool_reply(tool_call("Bash", {"command": "touch x.txt"})),
        text_reply("ok"),
    )
    done, result = oneshot(
        devagent_cmd,
        env,
        repo,
        "go",
        "--allowed-tools",
        "Bash(touch:*)",
        "--disallowed-tools",
        "Bash(rm:*)",
    )
    assert done.returncode == 0, done.stderr
    assert (repo / "b.txt").exists() and not (repo / "a.txt").exists()
    assert (repo / "keep.txt").exists() and not (repo / "x.txt").exists()
    [denial] = result["permission_denials"]
    assert "Bash(rm:*)" in denial["reason"]


# --- PostToolUse ------------------------------------------------------------------------------


def test_post_tool_use_sees_the_tool_response_and_its_block_reaches_the_model(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    scripts: Path,
    fake_api: FakeAPI,
    devagent_home: Path,
) -> None:
    check = hook_script(
        scripts,
        "post",
        """
        log(payload)
        print(json.dumps({"decision": "block", "reason": "lint: line 1 is too long"}))
        """,
    )
    user_hooks(devagent_home, {"PostToolUse": [hook_entry(check, "Write|Edit")]})
    fake_api.enqueue(
        tool_reply(tool_call("Write", {"file_path": "new.py", "content": "x = 1\n"})),
        text_reply("ok"),
    )
    done, _ = oneshot(devagent_cmd, env, repo, "write", "--permission-mode", "acceptEdits")
    assert done.returncode == 0, done.stderr
    assert (repo / "new.py").read_text() == "x = 1\n"
    [payload] = logged(scripts, "post")
    assert payload["hook_event_name"] == "PostToolUse" and payload["tool_name"] == "Write"
    assert payload["tool_input"] == {"file_path": "new.py", "content": "x = 1\n"}
    assert payload["tool_response"]["is_error"] is False
    assert "new.py" in payload["tool_response"]["content"]
    [sent] = fake_api.requests[1].tool_results()
    assert "PostToolUse hook feedback:\nlint: line 1 is too long" in result_text(sent)


# --- Stop -------------------------------------------------------------------------------------


def test_a_blocking_stop_hook_makes_the_agent_go_on_until_the_tests_pass(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    scripts: Path,
    fake_api: FakeAPI,
    devagent_home: Path,
) -> None:
    tests_pass = hook_script(
        scripts,
        "stop",
        """
        log(payload)
        if not os.path.exists("fixed.txt"):
            print("tests fail: fixed.txt is missing", file=sys.stderr)
            sys.exit(2)
        """,
    )
    user_hooks(devagent_home, {"Stop": [hook_entry(tests_pass)]})
    fake_api.enqueue(
        text_reply("All done."),
        tool_reply(tool_call("Bash", {"command": "touch fixed.txt"})),
        text_reply("Fixed; the tests pass now."),
    )
    done, result = oneshot(devagent_cmd, env, repo, "fix it", "--allowed-tools", "Bash(touch:*)")
    assert done.returncode == 0, done.stderr
    assert result["result"] == "Fixed; the tests pass now." and result["num_turns"] == 3
    feedback = fake_api.requests[1].last_user_text()
    assert "Stop hook feedback" in feedback and "tests fail: fixed.txt is missing" in feedback
    runs = logged(scripts, "stop")
    assert [r["stop_hook_active"] for r in runs] == [False, True]
    assert {r["hook_event_name"] for r in runs} == {"Stop"}


def test_a_sub_agent_fires_subagent_stop_not_stop(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    scripts: Path,
    fake_api: FakeAPI,
    devagent_home: Path,
) -> None:
    sub = hook_script(scripts, "substop", "log(payload)\n")
    main = hook_script(scripts, "mainstop", "log(payload)\n")
    user_hooks(devagent_home, {"SubagentStop": [hook_entry(sub)], "Stop": [hook_entry(main)]})
    task = {"description": "look", "prompt": "look around", "subagent_type": "debugger"}
    fake_api.enqueue(
        tool_reply(tool_call("Task", task)), text_reply("sub done"), text_reply("main done")
    )
    done, result = oneshot(devagent_cmd, env, repo, "delegate")
    assert done.returncode == 0, done.stderr
    [substop] = logged(scripts, "substop")
    [mainstop] = logged(scripts, "mainstop")
    assert substop["hook_event_name"] == "SubagentStop"
    assert substop["session_id"] == mainstop["session_id"] == result["session_id"]


# --- UserPromptSubmit, SessionStart, SessionEnd -----------------------------------------------


def test_prompt_and_session_start_context_reach_the_request_and_session_end_runs(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    scripts: Path,
    fake_api: FakeAPI,
    devagent_home: Path,
) -> None:
    prompt_hook = hook_script(scripts, "prompt", 'log(payload)\nprint("Current branch: feat-x")\n')
    start = hook_script(
        scripts,
        "start",
        """
        log(payload)
        print(json.dumps({"hookSpecificOutput": {"hookEventName": "SessionStart",
                          "additionalContext": "Open issues: 3"}}))
        """,
    )
    end = hook_script(scripts, "end", "log(payload)\n")
    user_hooks(
        devagent_home,
        {
            "UserPromptSubmit": [hook_entry(prompt_hook)],
            "SessionStart": [hook_entry(start, "startup")],
            "SessionEnd": [hook_entry(end)],
        },
    )
    fake_api.enqueue(text_reply("ok"))
    done, _ = oneshot(devagent_cmd, env, repo, "what branch?")
    assert done.returncode == 0, done.stderr
    sent = fake_api.requests[0].last_user_text()
    assert sent.startswith("what branch?")
    assert "UserPromptSubmit hook context:\nCurrent branch: feat-x" in sent
    assert "SessionStart hook context:\nOpen issues: 3" in sent
    assert [p["prompt"] for p in logged(scripts, "prompt")] == ["what branch?"]
    assert [p["source"] for p in logged(scripts, "start")] == ["startup"]
    assert [p["reason"] for p in logged(scripts, "end")] == ["other"]


def test_a_blocking_prompt_hook_drops_the_prompt_and_tells_the_user(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    scripts: Path,
    fake_api: FakeAPI,
    devagent_home: Path,
) -> None:
    refuse = hook_script(scripts, "refuse", 'print("no secrets in prompts", file=sys.stderr)\n')
    refuse = refuse + "; exit 2"
    user_hooks(devagent_home, {"UserPromptSubmit": [hook_entry(refuse)]})
    done, result = oneshot(devagent_cmd, env, repo, "my password is hunter2")
    assert done.returncode == 1
    assert result["is_error"] is True and "no secrets in prompts" in result["result"]
    assert fake_api.requests == []  # nothing was sent


# --- process hygiene, parallel runs, dedup ----------------------------------------------------


def test_a_hanging_hook_is_killed_at_its_timeout_and_leaves_no_process(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    tmp_path: Path,
    fake_api: FakeAPI,
    devagent_home: Path,
) -> None:
    pids = tmp_path / "pids"
    hang = f"sleep 300 & echo $! > {pids}.child; echo $$ > {pids}.main; sleep 300"
    user_hooks(devagent_home, {"UserPromptSubmit": [hook_entry(hang, timeout=1)]})
    fake_api.enqueue(text_reply("ok"))
    done, result = oneshot(devagent_cmd, env, repo, "hi")
    assert done.returncode == 0, done.stderr
    assert result["result"] == "ok"
    assert "UserPromptSubmit hook `sleep 300 & echo" in done.stderr
    assert "timed out after 1 s and was stopped" in done.stderr
    for name in ("child", "main"):
        pid = int(Path(f"{pids}.{name}").read_text())
        assert process_gone(pid), f"the hook's {name} process {pid} is still running"


def test_hooks_of_one_event_run_in_parallel_and_each_command_once(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    tmp_path: Path,
    fake_api: FakeAPI,
    devagent_home: Path,
) -> None:
    flags = tmp_path / "flags"
    flags.mkdir()
    # Each waits for the other's flag: run one after the other, both would time out.
    a = f"cd {flags} && touch a && while [ ! -e b ]; do sleep 0.05; done && echo a >> done"
    b = f"cd {flags} && touch b && while [ ! -e a ]; do sleep 0.05; done && echo b >> done"
    entries = [hook_entry(a, timeout=20), hook_entry(b, timeout=20), hook_entry(a, timeout=20)]
    user_hooks(devagent_home, {"UserPromptSubmit": entries})
    write_settings(
        Path(env["HOME"]) / ".claude" / "settings.json",
        {"UserPromptSubmit": [hook_entry(b, timeout=20)]},
    )
    fake_api.enqueue(text_reply("ok"))
    done, _ = oneshot(devagent_cmd, env, repo, "hi")
    assert done.returncode == 0, done.stderr
    assert sorted((flags / "done").read_text().split()) == ["a", "b"]
    assert "timed out" not in done.stderr


# --- trust --------------------------------------------------------------------------------------


def test_an_untrusted_repository_s_hooks_do_not_run_until_it_is_trusted(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    tmp_path: Path,
    fake_api: FakeAPI,
    devagent_home: Path,
) -> None:
    marker = tmp_path / "marker"
    for rel in (".claude/settings.json", ".devagent/settings.json"):
        write_settings(repo / rel, {"SessionStart": [hook_entry(f"echo {rel} >> {marker}")]})
    fake_api.enqueue(text_reply("ok"), text_reply("ok"))
    done, _ = oneshot(devagent_cmd, env, repo, "hi")
    assert done.returncode == 0, done.stderr
    assert not marker.exists()
    assert "ignored hooks because this folder is not trusted" in done.stderr
    trust(repo, devagent_home)
    done, _ = oneshot(devagent_cmd, env, repo, "hi")
    assert done.returncode == 0, done.stderr
    assert sorted(marker.read_text().split()) == [
        ".claude/settings.json",
        ".devagent/settings.json",
    ]


def test_a_broken_hooks_entry_is_a_usage_error_naming_the_file(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, devagent_home: Path
) -> None:
    settings = devagent_home / "settings.json"
    settings.write_text(json.dumps({"hooks": {"PreToolUse": [{"matcher": "(", "hooks": []}]}}))
    done, _ = oneshot(devagent_cmd, env, repo, "hi")
    assert done.returncode == 2
    assert f"{settings}: hooks.PreToolUse[0].matcher '(' is not a valid regular expression" in (
        done.stderr
    )
    assert json.loads(settings.read_text())["hooks"]["PreToolUse"][0]["matcher"] == "("
    assert os.path.getsize(settings) > 0


def test_continue_false_ends_the_run_without_running_the_call_or_the_next(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    scripts: Path,
    fake_api: FakeAPI,
    devagent_home: Path,
) -> None:
    halt = hook_script(
        scripts,
        "halt",
        """
        log(payload["tool_input"])
        if "made.txt" in payload["tool_input"]["command"]:
            print(json.dumps({"continue": False, "stopReason": "deploy freeze until 18:00"}))
        """,
    )
    user_hooks(devagent_home, {"PreToolUse": [hook_entry(halt, "Bash")]})
    fake_api.enqueue(
        tool_reply(
            tool_call("Bash", {"command": "touch made.txt"}),
            tool_call("Bash", {"command": "touch next.txt"}),
        )
    )
    done, result = oneshot(devagent_cmd, env, repo, "go", "--allowed-tools", "Bash(touch:*)")
    assert done.returncode == 1
    assert not (repo / "made.txt").exists() and not (repo / "next.txt").exists()
    assert logged(scripts, "halt") == [{"command": "touch made.txt"}]
    assert result["subtype"] == "error_during_execution"
    assert result["result"] == "Stopped by a PreToolUse hook: deploy freeze until 18:00"
    assert len(fake_api.requests) == 1  # no request after the stop


def test_session_start_says_resume_when_a_session_is_continued(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    scripts: Path,
    fake_api: FakeAPI,
    devagent_home: Path,
) -> None:
    start = hook_script(scripts, "start", "log(payload)\n")
    user_hooks(devagent_home, {"SessionStart": [hook_entry(start)]})
    fake_api.enqueue(text_reply("one"), text_reply("two"))
    first, result = oneshot(devagent_cmd, env, repo, "hi")
    assert first.returncode == 0, first.stderr
    again, _ = oneshot(devagent_cmd, env, repo, "again", "--continue")
    assert again.returncode == 0, again.stderr
    runs = logged(scripts, "start")
    assert [r["source"] for r in runs] == ["startup", "resume"]
    assert {r["session_id"] for r in runs} == {result["session_id"]}
