"""The MCP package's pieces one at a time: config files, variable expansion, approvals, tool
names, result conversion, permission rules and persona narrowing. No SDK, no server."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from devagent.approval import PermissionRequest
from devagent.mcp.adapter import assign_names, cap, output_limit, tool_name
from devagent.mcp.approvals import Gate, answer_for
from devagent.mcp.config import ExpandError, expand, load_servers
from devagent.mcp.servers import McpServers
from devagent.permissions import PermissionEngine, Rule
from devagent.personas.tools import narrow_tools
from devagent.trust import trust


def _write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) if not isinstance(data, str) else data)
    return path


# -- configuration ------------------------------------------------------------------------


def test_expand_variables_with_and_without_defaults() -> None:
    env = {"HOST": "db.local", "EMPTY": ""}
    assert expand("${HOST}:${PORT:-5432}", env) == "db.local:5432"
    assert expand("${EMPTY:-fallback}", env) == "fallback"
    assert expand("$HOST ${HOST}", env) == "$HOST db.local"  # only the braced form expands
    with pytest.raises(ExpandError, match=r"\$\{TOKEN\} is not set"):
        expand("Bearer ${TOKEN}", env)


def test_sources_in_order_a_later_one_wins_and_strict_keeps_only_flags(tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    _write(home / "mcp.json", {"mcpServers": {"a": {"command": "user-a"}, "b": {"command": "ub"}}})
    _write(work / ".mcp.json", {"mcpServers": {"a": {"command": "project-a"}}})
    flag = _write(tmp_path / "f.json", {"mcpServers": {"c": {"type": "sse", "url": "http://x"}}})
    loaded = load_servers(work, home, {}, [flag])
    assert {n: (s.scope, s.target()) for n, s in loaded.servers.items()} == {
        "b": ("user", "ub"),
        "a": ("project", "project-a"),
        "c": ("flag", "http://x"),
    }
    strict = load_servers(work, home, {}, [flag], strict=True)
    assert list(strict.servers) == ["c"] and not strict.problems


def test_every_field_is_expanded(tmp_path: Path) -> None:
    entry = {
        "type": "stdio",
        "command": "${BIN:-node}",
        "args": ["--root", "${ROOT}"],
        "env": {"KEY": "${KEY:-none}"},
    }
    web = {"type": "http", "url": "https://${HOST}/mcp", "headers": {"X-Key": "${KEY}"}}
    _write(tmp_path / ".mcp.json", {"mcpServers": {"s": entry, "w": web}})
    env = {"ROOT": "/srv", "HOST": "h.example", "KEY": "k1"}
    servers = load_servers(tmp_path, tmp_path / "home", env).servers
    assert (servers["s"].command, servers["s"].args) == ("node", ("--root", "/srv"))
    assert servers["s"].env == (("KEY", "k1"),)
    assert servers["w"].url == "https://h.example/mcp"
    assert servers["w"].headers == (("X-Key", "k1"),)


def test_broken_json_names_file_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path / ".mcp.json", '{\n  "mcpServers": {\n    "a": {"command": "x",}\n')
    [problem] = load_servers(tmp_path, tmp_path / "home", {}).problems
    assert str(problem).startswith(f"{path}:3:")
    assert "invalid JSON" in str(problem)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("not an object", "an entry must be an object"),
        ({"args": ["x"]}, '"type" must be one of stdio, http, sse'),
        ({"command": ""}, '"command" must be a non-empty string'),
        ({"command": "x", "args": "one two"}, '"args" must be a list of strings'),
        ({"command": "x", "env": {"A": 1}}, '"env" must be an object of string values'),
        ({"type": "http"}, '"url" must be a non-empty string'),
        ({"type": "websocket", "url": "ws://x"}, '"type" must be one of'),
    ],
)
def test_a_bad_entry_is_named_with_its_position_and_the_others_load(
    tmp_path: Path, entry: object, message: str
) -> None:
    path = _write(tmp_path / ".mcp.json", {"mcpServers": {"good": {"command": "ok"}, "bad": entry}})
    loaded = load_servers(tmp_path, tmp_path / "home", {})
    assert list(loaded.servers) == ["good"]
    [problem] = loaded.problems
    assert problem.where == f"{path}:6:5"  # where "bad" is written
    assert problem.message.startswith("server 'bad': ") and message in problem.message


def test_mcp_servers_that_is_not_an_object(tmp_path: Path) -> None:
    path = _write(tmp_path / ".mcp.json", '{"mcpServers": ["a"]}')
    [problem] = load_servers(tmp_path, tmp_path / "home", {}).problems
    assert str(problem) == f'{path}:1:2: "mcpServers" must be an object of servers by name'


def test_a_missing_flag_file_is_a_problem_a_missing_project_file_is_not(tmp_path: Path) -> None:
    loaded = load_servers(tmp_path, tmp_path / "home", {}, [tmp_path / "nope.json"])
    assert [str(p) for p in loaded.problems] == [f"{tmp_path / 'nope.json'}: no such file"]


# -- approvals ---------------------------------------------------------------------------


def test_project_servers_wait_for_an_answer_that_is_kept_per_definition(tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    _write(work / ".mcp.json", {"mcpServers": {"p": {"command": "run-p", "args": ["1"]}}})
    _write(home / "mcp.json", {"mcpServers": {"u": {"command": "run-u"}}})
    chat = McpServers.load(work, home, {}, interactive=True)
    assert chat.verdicts == {"u": "approved", "p": "unasked"}
    [spec] = chat.to_ask()
    chat.answer(spec, True)
    assert answer_for(spec, work, home) == "approved"
    assert McpServers.load(work, home, {}, interactive=True).verdicts["p"] == "approved"
    # A changed argument is another definition: asked again.
    _write(work / ".mcp.json", {"mcpServers": {"p": {"command": "run-p", "args": ["2"]}}})
    assert McpServers.load(work, home, {}, interactive=True).verdicts["p"] == "unasked"


def test_one_shot_runs_project_servers_only_in_a_trusted_folder(tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    _write(work / ".mcp.json", {"mcpServers": {"p": {"command": "run-p"}}})
    once = McpServers.load(work, home, {})
    assert once.verdicts == {"p": "skipped"} and not once.approved()
    assert "this folder is not trusted" in once.warnings()[0]
    assert once.tools() == []  # nothing to start, the SDK is not even imported
    trust(work, home)
    assert McpServers.load(work, home, {}).verdicts == {"p": "approved"}
    assert Gate(work, home, interactive=False).verdict(once.loaded.servers["p"]) == "approved"


def test_the_sdk_is_not_imported_for_a_project_without_servers(tmp_path: Path) -> None:
    import subprocess

    code = (
        "import sys, os\nfrom pathlib import Path\nfrom devagent.mcp import McpServers\n"
        f"s = McpServers.load(Path({str(tmp_path)!r}), Path({str(tmp_path / 'h')!r}), {{}})\n"
        "s.start(background=False); print(s.tools(), 'mcp' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] False"


# -- names, results, limits ----------------------------------------------------------------


def test_tool_names_are_safe_short_and_unique() -> None:
    assert tool_name("context7", "resolve-library-id") == "mcp__context7__resolve-library-id"
    assert tool_name("my server", "get.docs/v2") == "mcp__my_server__get_docs_v2"
    long = tool_name("s", "t" * 100)
    assert len(long) == 64 and long.startswith("mcp__s__ttt")
    names = assign_names([("a b", "x"), ("a_b", "x"), ("a.b", "x")])
    assert sorted(names.values()) == ["mcp__a_b__x", "mcp__a_b__x_2", "mcp__a_b__x_3"]
    assert names == assign_names(list(reversed(list(names))))  # the same, whatever the order


def test_output_cap_and_its_variable() -> None:
    assert output_limit({}) == 25_000
    assert output_limit({"MAX_MCP_OUTPUT_TOKENS": "1000"}) == 1000
    assert output_limit({"MAX_MCP_OUTPUT_TOKENS": "lots"}) == 25_000
    assert cap("short", 10) == "short"
    cut = cap("y" * 100, 10)
    assert cut.startswith("y" * 40 + "\n\n[MCP output cut: about 25 tokens, over the limit of 10")


# -- permissions and personas ----------------------------------------------------------------


def _engine(tmp_path: Path, mode: str = "default", **rules: list[str]) -> PermissionEngine:
    parsed = {kind: [Rule.parse(r, "test") for r in texts] for kind, texts in rules.items()}
    return PermissionEngine(tmp_path, mode=mode, **parsed)  # type: ignore[arg-type]


def _request(name: str, read_only: bool = False) -> PermissionRequest:
    return PermissionRequest(name, {}, read_only=read_only, kind="mcp")


def test_server_and_tool_rules(tmp_path: Path) -> None:
    engine = _engine(tmp_path, allow=["mcp__docs"], deny=["mcp__docs__drop"])
    assert engine.decide(_request("mcp__docs__search")).behavior == "allow"
    assert engine.decide(_request("mcp__docs__drop")).behavior == "deny"
    assert engine.decide(_request("mcp__docsx__search")).behavior == "ask"  # another server
    assert engine.decide(_request("mcp__other__search")).behavior == "ask"


def test_read_only_hint_still_asks_but_lets_a_tool_through_plan_mode(tmp_path: Path) -> None:
    assert _engine(tmp_path).decide(_request("mcp__s__look", True)).behavior == "ask"
    plan = _engine(tmp_path, "plan", allow=["mcp__s"])
    assert plan.decide(_request("mcp__s__look", True)).behavior == "allow"
    assert plan.decide(_request("mcp__s__write")).behavior == "deny"


def test_persona_tools_name_mcp_tools_or_whole_servers() -> None:
    available = ["Read", "mcp__docs__search", "mcp__docs__fetch", "mcp__git__log"]
    offered, missing = narrow_tools(["Read", "mcp__docs__search", "mcp__x__y"], [], available)
    assert offered == ["Read", "mcp__docs__search"] and missing == ["mcp__x__y"]
    offered, missing = narrow_tools(["mcp__docs"], [], available)
    assert offered == ["mcp__docs__search", "mcp__docs__fetch"] and missing == []


def test_lists_and_logs_mask_the_secrets_a_variable_put_in_a_target(tmp_path: Path) -> None:
    stdio = {"command": "srv", "args": ["--token", "${T}", "--api-key=${T}", "--port", "8"]}
    web = {"type": "http", "url": "https://u:${T}@h.example/mcp?apiKey=${T}&region=eu"}
    plain = {"type": "sse", "url": "https://h.example/sse?region=eu"}
    _write(tmp_path / ".mcp.json", {"mcpServers": {"s": stdio, "w": web, "p": plain}})
    servers = load_servers(tmp_path, tmp_path / "home", {"T": "s3cr3t"}).servers
    assert servers["s"].target() == "srv --token s3cr3t --api-key=s3cr3t --port 8"
    assert servers["s"].shown_target() == "srv --token '***' '--api-key=***' --port 8"
    assert servers["w"].shown_target() == "https://u:***@h.example/mcp?apiKey=***&region=eu"
    assert servers["p"].shown_target() == servers["p"].target()
