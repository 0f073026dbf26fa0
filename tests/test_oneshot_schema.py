"""`-p --output-format json|stream-json` as Claude Code scripts read it: every key devagent
printed before, plus Claude Code's (stop_reason, duration_api_ms, uuid, modelUsage; the init
line's cwd, permissionMode, mcp_servers, slash_commands, agents, skills, apiKeySource and the
version), validated against the JSON Schema in tests/schemas/."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from clirun import run
from devagent import __version__
from fakes.fake_api import FakeAPI, Usage, http_error, text_reply, tool_call, tool_reply

SCHEMA: dict[str, Any] = json.loads(
    (Path(__file__).parent / "schemas" / "oneshot-output.schema.json").read_text()
)
MODEL = "claude-sonnet-4-5"


def validator(definition: str | None = None) -> jsonschema.Draft202012Validator:
    """The whole schema, or one of its definitions (``result``, ``init``, ...)."""
    schema = (
        SCHEMA if definition is None else {**SCHEMA, "oneOf": [{"$ref": f"#/$defs/{definition}"}]}
    )
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def errors(definition: str | None, document: object) -> list[str]:
    return [e.message for e in validator(definition).iter_errors(document)]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("print('hi')\n")
    skill = root / ".claude" / "skills" / "explain"
    skill.mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: explain\ndescription: Explain code.\n---\nDo it.")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.fixture
def env(devagent_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return {**devagent_env, "HOME": str(home), "DEVAGENT_MODEL": MODEL}


def test_json_result_has_claude_codes_keys_with_the_right_types(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(
        tool_reply(tool_call("Read", {"file_path": "src/app.py"}), usage=Usage(100, 10)),
        text_reply("answer", usage=Usage(200, 20, cache_read_input_tokens=50)),
    )
    done = run(devagent_cmd, ["-p", "q", "--output-format", "json"], env, repo)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert errors("result", result) == []
    assert result["stop_reason"] == "end_turn"
    assert 0 <= result["duration_api_ms"] <= result["duration_ms"]
    [(model, used)] = result["modelUsage"].items()
    assert model == MODEL
    assert (used["inputTokens"], used["outputTokens"], used["cacheReadInputTokens"]) == (
        300,
        30,
        50,
    )
    assert used["costUSD"] == result["total_cost_usd"] and used["costUSD"] > 0
    assert used["contextWindow"] >= 200_000 and used["webSearchRequests"] == 0
    fake_api.enqueue(text_reply("again"))
    again = json.loads(run(devagent_cmd, ["-p", "q2", "--output-format", "json"], env, repo).stdout)
    assert again["uuid"] != result["uuid"]


def test_a_failed_run_still_prints_every_key(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(http_error(400, message="bad request body"))
    done = run(devagent_cmd, ["-p", "q", "--output-format", "json"], env, repo)
    assert done.returncode == 1
    result = json.loads(done.stdout)
    assert errors("result", result) == []
    assert result["subtype"] == "error_during_execution" and result["stop_reason"] is None
    assert result["modelUsage"] == {}


def test_stream_json_lines_validate_and_the_init_line_says_where_and_how_it_runs(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(tool_reply(tool_call("Read", {"file_path": "src/app.py"})), text_reply("ok"))
    args = ["-p", "q", "--output-format", "stream-json", "--permission-mode", "acceptEdits"]
    done = run(devagent_cmd, args, env, repo)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(x["type"], x.get("subtype")) for x in lines] == [
        ("system", "init"),
        ("assistant", None),
        ("user", None),
        ("assistant", None),
        ("result", "success"),
    ]
    for line in lines:
        assert errors(None, line) == [], line
    init = lines[0]
    assert errors("init", init) == []
    assert init["session_id"] == lines[-1]["session_id"] and init["model"] == MODEL
    assert init["agent"] is None and "Read" in init["tools"] and "Skill" in init["tools"]
    assert init["cwd"] == str(repo) and init["permissionMode"] == "acceptEdits"
    assert init["skills"] == ["explain"] and init["slash_commands"] == ["explain"]
    listed = run(devagent_cmd, ["agents", "list", "--format", "json"], env, repo)
    assert init["agents"] == [a["name"] for a in json.loads(listed.stdout)["agents"]]
    assert "code-reviewer" in init["agents"]
    assert init["mcp_servers"] == [] and init["apiKeySource"] == "ANTHROPIC_API_KEY"
    assert init["devagent_version"] == __version__
    assert init["sandbox"]["mode"] == "workspace-write"
    fake_api.enqueue(text_reply("ok"))
    off = run(devagent_cmd, [*args, "--sandbox", "off"], env, repo)
    assert json.loads(off.stdout.splitlines()[0])["sandbox"] == {"mode": "off", "active": False}


def test_the_schema_rejects_output_missing_a_key_or_of_the_wrong_type() -> None:
    result = {
        "type": "result",
        "subtype": "success",
        "is_error": False,
        "result": "x",
        "num_turns": 1,
        "session_id": "s",
        "duration_ms": 5,
        "total_cost_usd": 0.1,
        "usage": {
            "input_tokens": 1,
            "output_tokens": 1,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
        "permission_denials": [],
        "stop_reason": "end_turn",
        "duration_api_ms": 4,
        "uuid": "6f1c1b0e-4a7e-4d44-9f3c-2d6f0b1e8a11",
        "modelUsage": {},
    }
    assert errors("result", result) == []
    assert errors("result", {k: v for k, v in result.items() if k != "modelUsage"})
    assert errors("result", {**result, "uuid": "not-a-uuid"})
    assert errors("result", {**result, "modelUsage": {MODEL: {"inputTokens": 1}}})
    assert errors("result", {**result, "duration_api_ms": "4"})
