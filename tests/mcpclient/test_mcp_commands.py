"""`devagent mcp list|get|add|remove` through the real CLI, on real files and real servers."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from clirun import run
from mcpclient.mcpfixtures import stdio_entry, write_config

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _home(env: dict[str, str]) -> Path:
    return Path(env["DEVAGENT_HOME"])


def test_add_writes_claude_codes_format_and_list_shows_it_untrusted(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path
) -> None:
    done = run(
        devagent_cmd,
        ["mcp", "add", "docs", "--", "npx", "-y", "@acme/docs-server", "--port", "0"],
        devagent_env,
        repo,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"Added MCP server docs (stdio) in {repo / '.mcp.json'}.\n"
    written = json.loads((repo / ".mcp.json").read_text())
    assert written == {
        "mcpServers": {
            "docs": {"command": "npx", "args": ["-y", "@acme/docs-server", "--port", "0"]}
        }
    }
    listed = run(devagent_cmd, ["mcp", "list"], devagent_env, repo)
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()
    assert header.split() == ["NAME", "SCOPE", "TRANSPORT", "STATE", "TOOLS", "TARGET"]
    assert row.split()[:4] == ["docs", "project", "stdio", "skipped"]
    assert "npx -y @acme/docs-server --port 0" in row
    assert "this folder is not trusted" in listed.stderr  # nothing was started


def test_add_http_with_headers_to_user_scope_then_remove(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path
) -> None:
    args = ["mcp", "add", "--scope", "user", "--transport", "http", "api"]
    args += ["https://mcp.example.invalid/v1", "--header", "Authorization: Bearer ${TOKEN}"]
    done = run(devagent_cmd, args, devagent_env, repo)
    assert done.returncode == 0, done.stderr
    user_file = _home(devagent_env) / "mcp.json"
    assert json.loads(user_file.read_text())["mcpServers"]["api"] == {
        "type": "http",
        "url": "https://mcp.example.invalid/v1",
        "headers": {"Authorization": "Bearer ${TOKEN}"},
    }
    removed = run(devagent_cmd, ["mcp", "remove", "api"], devagent_env, repo)
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout == f"Removed MCP server api from {user_file}.\n"
    assert json.loads(user_file.read_text()) == {"mcpServers": {}}


def test_list_and_get_start_user_servers_and_report_their_tools(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path
) -> None:
    write_config(
        _home(devagent_env) / "mcp.json",
        {"tools": stdio_entry(), "dies": stdio_entry("--mode", "exit")},
    )
    listed = run(devagent_cmd, ["mcp", "list"], devagent_env, repo)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line.split() for line in listed.stdout.splitlines()[1:]}
    assert rows["tools"][1:5] == ["user", "stdio", "ready", "9"]
    assert rows["dies"][1:5] == ["user", "stdio", "failed", "0"]
    got = run(devagent_cmd, ["mcp", "get", "tools"], devagent_env, repo)
    assert got.returncode == 0, got.stderr
    assert "state:      ready\n" in got.stdout
    assert "tools:      echo, add, picture, fail, big, crash, hang, grow, resource\n" in got.stdout
    log = _home(devagent_env) / "logs" / "mcp-dies.log"
    failed = run(devagent_cmd, ["mcp", "get", "dies"], devagent_env, repo)
    assert f"detail:     MCP server dies (log: {log}) exited before it was ready\n" in failed.stdout


def test_bad_arguments_and_unknown_names_are_usage_errors(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path
) -> None:
    unknown = run(devagent_cmd, ["mcp", "get", "nope"], devagent_env, repo)
    assert unknown.returncode == 2 and "no MCP server named 'nope'" in unknown.stderr
    gone = run(devagent_cmd, ["mcp", "remove", "nope"], devagent_env, repo)
    assert gone.returncode == 2 and "no MCP server named 'nope'" in gone.stderr
    args = ["mcp", "add", "--transport", "http", "x", "http://a", "--header", "no-colon"]
    header = run(devagent_cmd, args, devagent_env, repo)
    assert header.returncode == 2 and "'no-colon' is not KEY:VALUE" in header.stderr
    two_urls = run(
        devagent_cmd, ["mcp", "add", "--transport", "sse", "x", "http://a", "http://b"],
        devagent_env, repo,
    )  # fmt: skip
    assert two_urls.returncode == 2 and "takes one URL" in two_urls.stderr
    assert not (repo / ".mcp.json").exists()


def test_a_broken_file_is_named_and_left_as_it_is(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path
) -> None:
    broken = '{"mcpServers": {\n  "a": {"command": "x"}\n  "b": {}\n}}\n'
    (repo / ".mcp.json").write_text(broken)
    done = run(devagent_cmd, ["mcp", "add", "c", "--", "cmd"], devagent_env, repo)
    assert done.returncode == 1
    assert f"{repo / '.mcp.json'}:3:3: invalid JSON" in done.stderr
    assert (repo / ".mcp.json").read_text() == broken
    listed = run(devagent_cmd, ["mcp", "list"], devagent_env, repo)
    assert listed.returncode == 0
    assert f"warning: MCP config {repo / '.mcp.json'}:3:3: invalid JSON" in listed.stderr


API_ENGINEER = (
    "---\nname: api-engineer\ndescription: Builds APIs.\n"
    "tools: Read, mcp__context7__resolve-library-id, mcp__context7__get-library-docs\n"
    "---\nYou build APIs.\n"
)


def test_agents_show_and_lint_with_and_without_the_server(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path
) -> None:
    persona = repo / ".claude" / "agents" / "api-engineer.md"
    persona.parent.mkdir(parents=True)
    persona.write_text(API_ENGINEER)
    shown = run(devagent_cmd, ["agents", "show", "api-engineer"], devagent_env, repo)
    assert (
        "unavailable:  mcp__context7__resolve-library-id, mcp__context7__get-library-docs "
        "(MCP server context7 is not configured)\n" in shown.stdout
    )
    linted = run(devagent_cmd, ["agents", "lint", str(persona)], devagent_env, repo)
    assert "warning: MCP server context7 is not configured (its tools are skipped)" in (
        linted.stdout
    )
    write_config(_home(devagent_env) / "mcp.json", {"context7": stdio_entry("--context7")})
    shown = run(devagent_cmd, ["agents", "show", "api-engineer"], devagent_env, repo)
    assert (
        "effective:    Read, mcp__context7__resolve-library-id, mcp__context7__get-library-docs\n"
        in shown.stdout
    )
    assert "unavailable:  -\n" in shown.stdout
    linted = run(devagent_cmd, ["agents", "lint", str(persona)], devagent_env, repo)
    assert linted.returncode == 0 and "context7" not in linted.stdout


def test_list_and_get_do_not_print_a_secret_from_a_variable(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path
) -> None:
    url = "http://127.0.0.1:9/mcp?token=${DOCS_TOKEN}"
    write_config(_home(devagent_env) / "mcp.json", {"docs": {"type": "http", "url": url}})
    env = {**devagent_env, "DOCS_TOKEN": "s3cr3t-value"}
    listed = run(devagent_cmd, ["mcp", "list"], env, repo)
    got = run(devagent_cmd, ["mcp", "get", "docs"], env, repo)
    assert "http://127.0.0.1:9/mcp?token=***" in listed.stdout
    assert "url:    http://127.0.0.1:9/mcp?token=***\n" in got.stdout
    shown = listed.stdout + listed.stderr + got.stdout + got.stderr
    assert "s3cr3t-value" not in shown
    assert "could not connect to http://127.0.0.1:9/mcp?token=***" in got.stdout
    assert "Task was destroyed" not in got.stderr
