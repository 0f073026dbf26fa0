"""One-shot mode end to end: the real `devagent` process, the real SDK, the fake API."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from fakes.fake_api import (
    FakeAPI,
    Usage,
    dropped_mid_tool_use,
    http_error,
    stalled,
    text_reply,
    tool_call,
    tool_reply,
)
from fakes.lock_holder import lock_held_elsewhere

RESULT_KEYS = {
    "type",
    "subtype",
    "is_error",
    "result",
    "num_turns",
    "session_id",
    "duration_ms",
    "total_cost_usd",
    "usage",
    "permission_denials",
    # Claude Code's keys, added so its scripts read devagent's result unchanged.
    "stop_reason",
    "duration_api_ms",
    "uuid",
    "modelUsage",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "config.py").write_text("def parse_config(path):\n    return {}\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def run(
    cmd: list[str],
    args: list[str],
    env: dict[str, str],
    cwd: Path,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cmd, *args],
        env=env,
        cwd=cwd,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_version_takes_the_fast_path() -> None:
    code = (
        "import sys; sys.argv = ['devagent', '--version']\n"
        "from devagent.__main__ import main; main()\n"
        "print(sorted(m for m in ('typer', 'anthropic', 'click', 'rich') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    version, modules = out.stdout.splitlines()
    assert version.startswith("devagent ") and modules == "[]"


def test_help_does_not_import_the_sdk() -> None:
    code = (
        "import sys; sys.argv = ['devagent', '--help']\n"
        "from devagent.__main__ import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('anthropic' in sys.modules, 'git' in sys.modules, 'rich' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "--output-format" in out.stdout
    assert out.stdout.splitlines()[-1] == "False False False"


def test_missing_key_is_a_usage_error_naming_the_variable(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path
) -> None:
    env = {k: v for k, v in devagent_env.items() if k != "ANTHROPIC_API_KEY"}
    done = run(devagent_cmd, ["-p", "hi"], env, repo)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "ANTHROPIC_API_KEY" in done.stderr


def test_claude_codes_auth_token_variable_is_used_when_there_is_no_api_key(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    env = {k: v for k, v in devagent_env.items() if k != "ANTHROPIC_API_KEY"}
    env["ANTHROPIC_AUTH_TOKEN"] = "gateway-token"
    fake_api.enqueue(text_reply("hello"))
    args = ["-p", "hi", "--output-format", "stream-json"]
    done = run(devagent_cmd, args, env, repo)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[0])["apiKeySource"] == "ANTHROPIC_AUTH_TOKEN"
    assert fake_api.requests[0].headers.get("authorization") == "Bearer gateway-token"


def test_unknown_flag_exits_2(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path
) -> None:
    done = run(devagent_cmd, ["-p", "hi", "--no-such-flag"], devagent_env, repo)
    assert done.returncode == 2 and "--no-such-flag" in done.stderr


def test_text_answer_reads_the_repo_and_prints_only_the_answer(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(
        tool_reply(tool_call("Read", {"file_path": "src/config.py"}), text="Let me look."),
        text_reply("It is parsed in src/config.py:1."),
    )
    done = run(devagent_cmd, ["-p", "where is the config parsed?"], devagent_env, repo)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "It is parsed in src/config.py:1.\n"
    assert "Read src/config.py" in done.stderr
    [result] = fake_api.requests[1].tool_results()
    assert "def parse_config(path):" in json.dumps(result)
    system = fake_api.requests[0].system_text()
    assert str(repo) in system and "Git branch:" in system


def test_json_output_is_one_result_object(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    usage = Usage(input_tokens=1000, output_tokens=100, cache_creation_input_tokens=50)
    fake_api.enqueue(text_reply("answer", usage=usage))
    done = run(devagent_cmd, ["-p", "q", "--output-format", "json"], devagent_env, repo)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == RESULT_KEYS
    assert (result["subtype"], result["is_error"], result["result"]) == ("success", False, "answer")
    assert result["num_turns"] == 1 and result["permission_denials"] == []
    assert result["usage"] == {
        "input_tokens": 1000,
        "output_tokens": 100,
        "cache_creation_input_tokens": 50,
        "cache_read_input_tokens": 0,
    }
    assert result["total_cost_usd"] == pytest.approx((1000 * 2 + 100 * 10 + 50 * 2.5) / 1e6)


def test_stream_json_emits_init_messages_and_result(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(
        tool_reply(tool_call("Read", {"file_path": "src/config.py"})), text_reply("done")
    )
    done = run(devagent_cmd, ["-p", "q", "--output-format", "stream-json"], devagent_env, repo)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(x["type"], x.get("subtype")) for x in lines] == [
        ("system", "init"),
        ("assistant", None),
        ("user", None),
        ("assistant", None),
        ("result", "success"),
    ]
    init = lines[0]
    assert "Read" in init["tools"] and init["model"] == "claude-sonnet-5-5"
    assert init["session_id"] == lines[-1]["session_id"]
    assert lines[2]["message"]["content"][0]["type"] == "tool_result"


def test_piped_stdin_is_appended_and_dash_reads_the_prompt(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(text_reply("explained"), text_reply("from stdin"))
    done = run(devagent_cmd, ["-p", "explain"], devagent_env, repo, stdin="Traceback: boom\n")
    assert done.returncode == 0, done.stderr
    assert fake_api.requests[0].last_user_text() == "explain\n\nTraceback: boom\n"
    done = run(devagent_cmd, ["run", "-"], devagent_env, repo, stdin="the whole prompt")
    assert done.stdout == "from stdin\n"
    assert fake_api.requests[1].last_user_text() == "the whole prompt"


def test_max_turns_exits_3(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(tool_reply(tool_call("LS", {"path": "."})))
    args = ["-p", "q", "--max-turns", "1", "--output-format", "json"]
    done = run(devagent_cmd, args, devagent_env, repo)
    assert done.returncode == 3
    assert json.loads(done.stdout)["subtype"] == "error_max_turns"


def test_overloaded_twice_then_success(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(
        http_error(529, retry_after_ms=10), http_error(529, retry_after_ms=10), text_reply("ok")
    )
    done = run(devagent_cmd, ["-p", "q"], devagent_env, repo)
    assert done.returncode == 0 and done.stdout == "ok\n"
    assert len(fake_api.requests) == 3 and done.stderr.count("retrying") == 2


def test_stream_dropped_mid_tool_use_fails_cleanly_with_exit_1(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    victim = repo / "build"
    victim.mkdir()
    fake_api.enqueue(*(dropped_mid_tool_use("Bash", {"command": "rm -rf build"}) for _ in range(3)))
    done = run(devagent_cmd, ["-p", "q"], devagent_env, repo)
    assert done.returncode == 1
    assert "incomplete" in done.stderr and "no tool was run" in done.stderr
    assert victim.is_dir() and len(fake_api.requests) == 3


def _session_files(env: dict[str, str]) -> list[Path]:
    return sorted(Path(env["DEVAGENT_HOME"]).glob("sessions/*/*.jsonl"))


def test_transcript_is_written_and_continue_resumes_it(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(text_reply("first answer"), text_reply("second answer"))
    first = run(
        devagent_cmd, ["-p", "first question", "--output-format", "json"], devagent_env, repo
    )
    [path] = _session_files(devagent_env)
    assert path.stem == json.loads(first.stdout)["session_id"]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert records[0]["schema_version"] == 1
    done = run(devagent_cmd, ["-p", "and then?", "--continue"], devagent_env, repo)
    assert done.stdout == "second answer\n"
    texts = [m["content"] for m in fake_api.requests[1].messages]
    assert texts[0] == "first question" and texts[-1][0]["text"] == "and then?"


def test_resume_takes_a_session_id_not_a_path_to_another_project(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(text_reply("first answer"))
    first = run(devagent_cmd, ["-p", "first", "--output-format", "json"], devagent_env, repo)
    [path] = _session_files(devagent_env)
    elsewhere = path.parent.parent / "other-project"
    elsewhere.mkdir()
    path.rename(elsewhere / path.name)
    sneaky = f"../other-project/{json.loads(first.stdout)['session_id']}"
    done = run(devagent_cmd, ["-p", "second", "--resume", sneaky], devagent_env, repo)
    assert done.returncode == 2 and f"No session {sneaky} for this project" in done.stderr
    assert len(fake_api.requests) == 1


def test_a_session_open_in_another_process_is_not_resumed(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(text_reply("first answer"))
    first = run(devagent_cmd, ["-p", "first", "--output-format", "json"], devagent_env, repo)
    session_id = json.loads(first.stdout)["session_id"]
    [path] = _session_files(devagent_env)
    before = path.read_bytes()
    busy = (
        f"devagent: session {session_id} is open in another devagent process; "
        "wait for it to finish or start a new session.\n"
    )
    with lock_held_elsewhere(path):
        for how in (["--resume", session_id], ["--continue"]):
            done = run(devagent_cmd, ["-p", "second", *how], devagent_env, repo)
            assert (done.returncode, done.stdout, done.stderr) == (2, "", busy)
            assert path.read_bytes() == before
    assert len(fake_api.requests) == 1 and _session_files(devagent_env) == [path]
    fake_api.enqueue(text_reply("second answer"))
    done = run(devagent_cmd, ["-p", "second", "--resume", session_id], devagent_env, repo)
    assert done.returncode == 0 and done.stdout == "second answer\n"
    assert path.read_bytes().startswith(before)


def _wait_for_request(fake: FakeAPI, count: int = 1, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while len(fake.requests) < count:
        assert time.monotonic() < deadline, "devagent never reached the API"
        time.sleep(0.05)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signals_exit_with_their_codes_and_flush_the_transcript(
    devagent_cmd: list[str],
    devagent_env: dict[str, str],
    repo: Path,
    fake_api: FakeAPI,
    sig: signal.Signals,
    code: int,
) -> None:
    fake_api.enqueue(stalled(8.0))
    proc = subprocess.Popen(
        [*devagent_cmd, "-p", "a question that hangs"],
        env=devagent_env,
        cwd=repo,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_request(fake_api)
        os.kill(proc.pid, sig)
        assert proc.wait(timeout=10) == code
    finally:
        proc.kill()
        proc.communicate()
    [path] = _session_files(devagent_env)
    assert "a question that hangs" in path.read_text()


def test_stdin_over_ten_megabytes_is_refused(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path
) -> None:
    done = run(devagent_cmd, ["-p", "explain"], devagent_env, repo, stdin="x" * (10 * 2**20 + 1))
    assert done.returncode == 2 and "10 MB" in done.stderr


def test_hostile_git_config_runs_nothing_while_building_the_prompt(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    pwned = repo.parent / "fsmonitor-ran"
    subprocess.run(
        ["git", "-C", str(repo), "config", "core.fsmonitor", f"touch {pwned}; false"], check=True
    )
    fake_api.enqueue(text_reply("ok"))
    done = run(devagent_cmd, ["-p", "q"], devagent_env, repo)
    assert done.returncode == 0, done.stderr
    assert "Git branch:" in fake_api.requests[0].system_text()
    assert not pwned.exists()


def assert_tool_pairs(messages: list[dict[str, Any]]) -> None:
    """Each message's tool_results answer exactly the tool_uses of the message before it."""

    def ids(message: dict[str, Any], kind: str, key: str) -> list[str]:
        content = message.get("content")
        if not isinstance(content, list):
            return []
        return sorted(b[key] for b in content if b.get("type") == kind)

    for before, after in zip([{}, *messages], [*messages, {}], strict=True):
        assert ids(before, "tool_use", "id") == ids(after, "tool_result", "tool_use_id")


def _transcript_records(env: dict[str, str]) -> list[dict[str, Any]]:
    [path] = _session_files(env)
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_long_run_compacts_before_the_window_fills_and_finishes(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    # The third reply's request held 792k tokens of the 1M window: over three quarters, so
    # the fourth request is preceded by a summary of the turn's older tool rounds.
    full = Usage(input_tokens=2_000, cache_read_input_tokens=790_000, output_tokens=50)
    fake_api.enqueue(
        tool_reply(tool_call("Read", {"file_path": "src/config.py"})),
        tool_reply(tool_call("Grep", {"pattern": "parse_config"})),
        tool_reply(tool_call("LS", {"path": "src"}), usage=full),
        text_reply("SUMMARY: config.py read; parse_config found in src/config.py."),
        text_reply("parse_config lives in src/config.py:1."),
    )
    args = ["-p", "Where is the config parsed? Never edit files.", "--output-format", "json"]
    done = run(devagent_cmd, args, devagent_env, repo)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["subtype"], result["result"]) == (
        "success",
        "parse_config lives in src/config.py:1.",
    )
    assert result["num_turns"] == 4  # the summary is not a turn
    assert result["usage"]["output_tokens"] == 5 * 20 + 30  # the summary's tokens count too
    assert "The context is nearly full" in done.stderr and "Compacted" in done.stderr
    summary, after = fake_api.requests[3], fake_api.requests[4]
    assert "write a summary of the conversation" in summary.last_user_text()
    opening = after.messages[0]["content"][0]["text"]
    assert opening.startswith("[This conversation was compacted")
    assert "Where is the config parsed? Never edit files." in opening
    assert "SUMMARY: config.py read" in opening
    # The turn's latest tool round is kept verbatim after the summary; older ones are in it.
    assert [m["role"] for m in after.messages] == ["user", "assistant", "user"]
    assert after.messages[1]["content"][0]["name"] == "LS"
    assert after.messages[2]["content"][0]["type"] == "tool_result"
    assert [m["role"] for m in summary.messages] == ["user", "assistant"] * 2 + ["user"]
    for request in fake_api.requests:
        assert_tool_pairs(request.messages)
    records = _transcript_records(devagent_env)
    [compaction] = [r for r in records if r["type"] == "compaction"]
    assert compaction["messages"][0]["content"][0]["text"] == opening


def test_a_run_refused_as_too_long_compacts_once_and_resumes(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(
        tool_reply(tool_call("Read", {"file_path": "src/config.py"})),
        tool_reply(tool_call("LS", {"path": "src"})),
        http_error(400, message="prompt is too long: 1000123 tokens > 1000000 maximum"),
        text_reply("SUMMARY: config.py read, src listed."),
        text_reply("Done."),
    )
    args = ["-p", "look around", "--output-format", "json"]
    done = run(devagent_cmd, args, devagent_env, repo)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["subtype"], result["result"], result["num_turns"]) == ("success", "Done.", 3)
    assert "no longer fits the context window" in done.stderr
    failed, retried = fake_api.requests[2], fake_api.requests[4]
    assert retried.messages[0]["content"][0]["text"].startswith("[This conversation was compacted")
    assert retried.messages[1:] == failed.messages[3:]  # the last tool round, verbatim
    for request in fake_api.requests:
        assert_tool_pairs(request.messages)
