"""MCP servers end to end: the real CLI, the real SDK, real servers over stdio and HTTP, and the
fake Messages API. What the model is offered, what a call returns, who may start a server, and
what happens when a server misbehaves."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from clirun import run
from fakes.fake_api import FakeAPI, text_reply, tool_call, tool_reply
from mcpclient.mcpfixtures import (
    http_server,
    raw_entry,
    read_pid,
    stdio_entry,
    wait_gone,
    write_config,
)

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _home(env: dict[str, str]) -> Path:
    return Path(env["DEVAGENT_HOME"])


def _user_servers(env: dict[str, str], servers: dict[str, Any]) -> None:
    write_config(_home(env) / "mcp.json", servers)


def _results(fake_api: FakeAPI, index: int) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = fake_api.requests[index].tool_results()
    return results


def _text(result: dict[str, Any]) -> str:
    content = result.get("content")
    if isinstance(content, str):
        return content
    return "\n".join(b.get("text", "") for b in content or [] if isinstance(b, dict))


def test_user_server_tools_are_offered_with_their_schemas_and_a_call_round_trips(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    _user_servers(devagent_env, {"tools": stdio_entry()})
    fake_api.enqueue(
        tool_reply(tool_call("mcp__tools__echo", {"text": "hello"})),
        text_reply("done"),
    )
    args = ["-p", "echo", "--allowed-tools", "mcp__tools", "--output-format", "stream-json"]
    done = run(devagent_cmd, args, devagent_env, repo)
    assert done.returncode == 0, done.stderr
    first = fake_api.requests[0]
    names = first.tool_names()
    assert "Read" in names and "mcp__tools__echo" in names and "mcp__tools__add" in names
    echo = next(t for t in first.tools if t["name"] == "mcp__tools__echo")
    assert echo["description"] == "Echo the text back."
    assert echo["input_schema"]["properties"]["text"]["type"] == "string"
    assert echo["input_schema"]["required"] == ["text"]
    [result] = _results(fake_api, 1)
    assert _text(result) == "echo: hello" and not result.get("is_error")
    init = json.loads(done.stdout.splitlines()[0])
    assert "mcp__tools__echo" in init["tools"]
    assert init["mcp_servers"] == [{"name": "tools", "status": "connected"}]


def test_results_structured_image_resource_and_error(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    _user_servers(devagent_env, {"tools": stdio_entry()})
    calls = [
        tool_call("mcp__tools__add", {"a": 2, "b": 3}),
        tool_call("mcp__tools__picture"),
        tool_call("mcp__tools__resource"),
        tool_call("mcp__tools__fail"),
    ]
    fake_api.enqueue(tool_reply(*calls), text_reply("done"))
    done = run(devagent_cmd, ["-p", "go", "--allowed-tools", "mcp__tools"], devagent_env, repo)
    assert done.returncode == 0, done.stderr
    added, picture, resource, failed = _results(fake_api, 1)
    assert json.loads(_text(added)) == {"sum": 5}
    blocks = picture["content"]
    assert blocks[0]["text"].startswith("a pixel")
    assert blocks[1]["type"] == "image" and blocks[1]["source"]["media_type"] == "image/png"
    assert _text(resource) == (
        "[resource file:///notes.txt]\nthe notes\n[resource link spec https://example.invalid/spec]"
    )
    assert failed["is_error"] is True and _text(failed) == "it broke"


def test_output_over_the_cap_is_cut_with_a_note(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    _user_servers(devagent_env, {"tools": stdio_entry()})
    fake_api.enqueue(tool_reply(tool_call("mcp__tools__big", {"n": 5000})), text_reply("ok"))
    env = {**devagent_env, "MAX_MCP_OUTPUT_TOKENS": "100"}
    done = run(devagent_cmd, ["-p", "big", "--allowed-tools", "mcp__tools__big"], env, repo)
    assert done.returncode == 0, done.stderr
    text = _text(_results(fake_api, 1)[0])
    assert text.startswith("x" * 400) and "x" * 401 not in text
    assert "about 1250 tokens, over the limit of 100 (MAX_MCP_OUTPUT_TOKENS)" in text


def test_streamable_http_server_from_a_flag_file(
    devagent_cmd: list[str],
    devagent_env: dict[str, str],
    repo: Path,
    fake_api: FakeAPI,
    tmp_path: Path,
) -> None:
    with http_server(tmp_path) as url:
        config = write_config(
            tmp_path / "servers.json",
            {"web": {"type": "http", "url": "${WEB_URL}", "headers": {"X-Test": "${T:-yes}"}}},
        )
        fake_api.enqueue(
            tool_reply(tool_call("mcp__web__echo", {"text": "over http"})), text_reply("ok")
        )
        env = {**devagent_env, "WEB_URL": url}
        args = ["-p", "x", "--mcp-config", str(config), "--allowed-tools", "mcp__web"]
        done = run(devagent_cmd, args, env, repo)
    assert done.returncode == 0, done.stderr
    assert "mcp__web__echo" in fake_api.requests[0].tool_names()
    assert _text(_results(fake_api, 1)[0]) == "echo: over http"


def test_legacy_sse_server(
    devagent_cmd: list[str],
    devagent_env: dict[str, str],
    repo: Path,
    fake_api: FakeAPI,
    tmp_path: Path,
) -> None:
    with http_server(tmp_path, "sse") as url:
        config = write_config(tmp_path / "servers.json", {"old": {"type": "sse", "url": url}})
        fake_api.enqueue(
            tool_reply(tool_call("mcp__old__echo", {"text": "over sse"})), text_reply("ok")
        )
        args = ["-p", "x", "--mcp-config", str(config), "--allowed-tools", "mcp__old"]
        done = run(devagent_cmd, args, devagent_env, repo)
    assert done.returncode == 0, done.stderr
    assert _text(_results(fake_api, 1)[0]) == "echo: over sse"


SCOUT = (
    "---\nname: scout\ndescription: Looks things up.\n"
    "tools: Read, mcp__context7__get-library-docs\n---\nYou look things up.\n"
)


def test_task_sub_agents_see_the_same_servers(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    (repo / ".claude" / "agents").mkdir(parents=True)
    (repo / ".claude" / "agents" / "scout.md").write_text(SCOUT)
    _user_servers(devagent_env, {"context7": stdio_entry("--context7")})
    delegate = {"description": "docs", "prompt": "Find the docs.", "subagent_type": "scout"}
    docs = {"context7CompatibleLibraryID": "/org/httpx", "topic": "timeouts"}
    fake_api.enqueue(
        tool_reply(tool_call("Task", delegate)),
        tool_reply(tool_call("mcp__context7__get-library-docs", docs)),
        text_reply("httpx timeouts are per phase."),
        text_reply("The scout found it."),
    )
    args = ["-p", "docs?", "--allowed-tools", "mcp__context7"]
    done = run(devagent_cmd, args, devagent_env, repo)
    assert done.returncode == 0, done.stderr
    child = fake_api.requests[1]
    assert child.tool_names() == ["Read", "mcp__context7__get-library-docs"]
    assert _text(_results(fake_api, 2)[0]) == "docs for /org/httpx about timeouts"


def test_help_and_version_do_not_import_the_mcp_sdk() -> None:
    import sys

    code = (
        "import sys; sys.argv = ['devagent', '--help']\n"
        "from devagent.__main__ import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('mcp' in sys.modules, 'mcp_types' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "--mcp-config" in out.stdout and "--strict-mcp-config" in out.stdout
    assert out.stdout.splitlines()[-1] == "False False"


API_ENGINEER = (
    "---\nname: api-engineer\ndescription: Builds APIs.\n"
    "tools: Task, Bash, Glob, Grep, LS, ExitPlanMode, Read, Edit, MultiEdit, Write, "
    "NotebookRead, NotebookEdit, WebFetch, TodoWrite, WebSearch, "
    "mcp__context7__resolve-library-id, mcp__context7__get-library-docs\n"
    "---\nYou build APIs.\n"
)


def test_api_engineer_is_offered_both_context7_tools(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    (repo / ".claude" / "agents").mkdir(parents=True)
    (repo / ".claude" / "agents" / "api-engineer.md").write_text(API_ENGINEER)
    _user_servers(devagent_env, {"context7": stdio_entry("--context7"), "tools": stdio_entry()})
    lookup = tool_call("mcp__context7__resolve-library-id", {"libraryName": "FastAPI"})
    fake_api.enqueue(tool_reply(lookup), text_reply("ok"))
    args = ["-p", "docs", "--agent", "api-engineer", "--allowed-tools", "mcp__context7"]
    done = run(devagent_cmd, args, devagent_env, repo)
    assert done.returncode == 0, done.stderr
    names = fake_api.requests[0].tool_names()
    assert "mcp__context7__resolve-library-id" in names
    assert "mcp__context7__get-library-docs" in names
    assert not [n for n in names if n.startswith("mcp__tools__")]  # not in the persona's line
    assert _text(_results(fake_api, 1)[0]) == "/org/fastapi"


def test_an_untrusted_project_mcp_json_starts_nothing(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    marker = repo.parent / "started.marker"
    write_config(repo / ".mcp.json", {"evil": stdio_entry("--marker", str(marker))})
    fake_api.enqueue(text_reply("hi"))
    done = run(devagent_cmd, ["-p", "hello"], devagent_env, repo)
    assert done.returncode == 0, done.stderr
    assert "MCP server evil not started" in done.stderr
    assert "this folder is not trusted" in done.stderr
    assert not any(n.startswith("mcp__") for n in fake_api.requests[0].tool_names())
    time.sleep(0.5)
    assert not marker.exists()


def test_a_project_file_passed_with_mcp_config_starts_and_its_server_is_gone_after_exit(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    marker = repo.parent / "started.marker"
    config = write_config(repo / ".mcp.json", {"proj": stdio_entry("--marker", str(marker))})
    fake_api.enqueue(text_reply("hi"))
    done = run(devagent_cmd, ["-p", "hello", "--mcp-config", str(config)], devagent_env, repo)
    assert done.returncode == 0, done.stderr
    assert "mcp__proj__echo" in fake_api.requests[0].tool_names()
    assert wait_gone(read_pid(marker), 5), "the server outlived devagent"


def test_a_trusted_folder_starts_its_project_servers(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    from devagent.trust import trust

    trust(repo, _home(devagent_env))
    write_config(repo / ".mcp.json", {"proj": stdio_entry()})
    fake_api.enqueue(text_reply("hi"))
    done = run(devagent_cmd, ["-p", "hello"], devagent_env, repo)
    assert done.returncode == 0, done.stderr
    assert "mcp__proj__echo" in fake_api.requests[0].tool_names()


def test_mcp_tools_are_denied_in_one_shot_without_a_rule(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    _user_servers(devagent_env, {"tools": stdio_entry()})
    fake_api.enqueue(tool_reply(tool_call("mcp__tools__echo", {"text": "x"})), text_reply("ok"))
    done = run(devagent_cmd, ["-p", "x", "--output-format", "json"], devagent_env, repo)
    assert done.returncode == 0, done.stderr
    [denial] = json.loads(done.stdout)["permission_denials"]
    assert denial["tool_name"] == "mcp__tools__echo"
    assert _results(fake_api, 1)[0]["is_error"] is True


def test_plan_mode_runs_only_read_only_annotated_tools(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    _user_servers(devagent_env, {"tools": stdio_entry()})
    calls = [
        tool_call("mcp__tools__echo", {"text": "x"}),
        tool_call("mcp__tools__add", {"a": 1, "b": 1}),
    ]
    fake_api.enqueue(tool_reply(*calls), text_reply("ok"))
    args = ["-p", "x", "--permission-mode", "plan", "--allowed-tools", "mcp__tools"]
    done = run(devagent_cmd, [*args, "--output-format", "json"], devagent_env, repo)
    assert done.returncode == 0, done.stderr
    echo, add = _results(fake_api, 1)
    assert _text(echo) == "echo: x" and not echo.get("is_error")
    assert add["is_error"] is True and "plan mode" in _text(add)


def test_crashing_hanging_and_garbage_servers_give_clear_errors_and_the_run_goes_on(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    # A hanging tool blocks the test server's loop, so each fault has a server of its own.
    servers = {"tools": stdio_entry(), "hung": stdio_entry(), "junk": raw_entry()}
    _user_servers(devagent_env, servers)
    fake_api.enqueue(
        tool_reply(tool_call("mcp__tools__crash")),
        tool_reply(tool_call("mcp__tools__echo", {"text": "after restart"})),
        tool_reply(tool_call("mcp__hung__hang")),
        tool_reply(tool_call("mcp__junk__garbage")),
        tool_reply(tool_call("mcp__junk__malformed")),
        text_reply("still here"),
    )
    env = {**devagent_env, "MCP_TOOL_TIMEOUT": "1500"}
    rules = ["--allowed-tools", "mcp__tools", "--allowed-tools", "mcp__hung,mcp__junk"]
    args = ["-p", "x", *rules, "--output-format", "json"]
    done = run(devagent_cmd, args, env, repo)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["result"] == "still here"
    log = _home(devagent_env) / "logs" / "mcp-tools.log"
    crashed = _results(fake_api, 1)[0]
    assert crashed["is_error"] is True
    assert f"MCP server tools (log: {log})" in _text(crashed)
    assert "exited or closed the connection mid-call" in _text(crashed)
    assert _text(_results(fake_api, 2)[0]) == "echo: after restart"
    hung = _results(fake_api, 3)[0]
    assert hung["is_error"] and "did not answer within 1.5 s (MCP_TOOL_TIMEOUT)" in _text(hung)
    garbage = _results(fake_api, 4)[0]
    assert garbage["is_error"] and "not JSON-RPC to stdout" in _text(garbage)
    assert "this is not json" in _text(garbage)
    junk_log = log.with_name("mcp-junk.log")
    assert f"MCP server junk (log: {junk_log})" in _text(garbage)
    assert "not JSON-RPC on stdout: this is not json" in junk_log.read_text()
    malformed = _results(fake_api, 5)[0]
    assert malformed["is_error"] and f"MCP server junk (log: {junk_log})" in _text(malformed)


def test_servers_that_fail_to_start_are_named_and_the_others_work(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    _user_servers(
        devagent_env,
        {
            "dies": stdio_entry("--mode", "exit"),
            "chatty": stdio_entry("--mode", "garbage-start"),
            "missing": {"command": "/no/such/server"},
            "slow": stdio_entry("--mode", "sleep"),
            "nobody": {"type": "http", "url": "http://127.0.0.1:9/mcp"},
            "tools": stdio_entry(),
        },
    )
    fake_api.enqueue(text_reply("ok"))
    env = {**devagent_env, "MCP_TIMEOUT": "8000"}
    done = run(devagent_cmd, ["-p", "x", "--output-format", "stream-json"], env, repo)
    assert done.returncode == 0, done.stderr
    logs = _home(devagent_env) / "logs"
    assert f"MCP server dies (log: {logs / 'mcp-dies.log'}) exited before it was ready" in (
        done.stderr
    )
    assert "MCP server chatty" in done.stderr and "'hello, I am not JSON'" in done.stderr
    assert "could not start: No such file or directory: /no/such/server" in done.stderr
    assert "MCP server slow" in done.stderr and "did not start within 8 s" in done.stderr
    assert "MCP server nobody" in done.stderr
    assert "could not connect to http://127.0.0.1:9/mcp" in done.stderr
    assert "mcp__tools__echo" in fake_api.requests[0].tool_names()
    init = json.loads(done.stdout.splitlines()[0])
    states = {s["name"]: s["status"] for s in init["mcp_servers"]}
    assert states == {
        "dies": "failed",
        "chatty": "failed",
        "missing": "failed",
        "slow": "failed",
        "nobody": "failed",
        "tools": "connected",
    }


def test_a_broken_mcp_json_is_named_with_line_and_column_and_nothing_else_breaks(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    from devagent.trust import trust

    trust(repo, _home(devagent_env))
    (repo / ".mcp.json").write_text('{"mcpServers": {\n  "x": {"command": "a",}\n}}\n')
    _user_servers(devagent_env, {"tools": stdio_entry(), "odd": {"type": "ftp", "url": "x"}})
    fake_api.enqueue(text_reply("ok"))
    done = run(devagent_cmd, ["-p", "x"], devagent_env, repo)
    assert done.returncode == 0, done.stderr
    assert f"MCP config {repo / '.mcp.json'}:2:" in done.stderr
    mcp_json = _home(devagent_env) / "mcp.json"
    assert f"{mcp_json}:" in done.stderr and "server 'odd': \"type\" must be one of" in done.stderr
    assert "mcp__tools__echo" in fake_api.requests[0].tool_names()


def test_an_unset_variable_fails_only_its_server(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    entry = stdio_entry()
    entry["env"] = {"TOKEN": "${NO_SUCH_TOKEN_VAR}"}
    _user_servers(devagent_env, {"needs": entry, "tools": stdio_entry()})
    fake_api.enqueue(text_reply("ok"))
    done = run(devagent_cmd, ["-p", "x"], devagent_env, repo)
    assert done.returncode == 0, done.stderr
    assert "MCP server needs not started" in done.stderr
    assert "${NO_SUCH_TOKEN_VAR} is not set" in done.stderr
    assert "mcp__tools__echo" in fake_api.requests[0].tool_names()


def test_tools_list_changed_is_seen_by_the_next_request(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    _user_servers(devagent_env, {"tools": stdio_entry()})
    fake_api.enqueue(tool_reply(tool_call("mcp__tools__grow")), text_reply("ok"))
    done = run(devagent_cmd, ["-p", "x", "--allowed-tools", "mcp__tools"], devagent_env, repo)
    assert done.returncode == 0, done.stderr
    assert "mcp__tools__extra" not in fake_api.requests[0].tool_names()
    assert "mcp__tools__extra" in fake_api.requests[1].tool_names()


def test_ctrl_c_mid_call_leaves_no_server_running(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    marker = repo.parent / "int.marker"
    _user_servers(devagent_env, {"tools": stdio_entry("--marker", str(marker))})
    fake_api.enqueue(tool_reply(tool_call("mcp__tools__hang")))
    proc = subprocess.Popen(
        [*devagent_cmd, "-p", "x", "--allowed-tools", "mcp__tools"],
        env=devagent_env,
        cwd=repo,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        pid = read_pid(marker)
        deadline = time.monotonic() + 30
        while len(fake_api.requests) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert wait_gone(pid, 5), "the MCP server outlived Ctrl-C"


def test_sigterm_mid_call_leaves_no_server_running(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    marker = repo.parent / "hang.marker"
    _user_servers(devagent_env, {"tools": stdio_entry("--marker", str(marker))})
    fake_api.enqueue(tool_reply(tool_call("mcp__tools__hang")))
    args = ["-p", "x", "--allowed-tools", "mcp__tools"]
    proc = subprocess.Popen(
        [*devagent_cmd, *args],
        env=devagent_env,
        cwd=repo,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        pid = read_pid(marker)
        deadline = time.monotonic() + 30
        while len(fake_api.requests) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # the hang call is in flight
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    assert wait_gone(pid, 5), "the MCP server outlived SIGTERM"
