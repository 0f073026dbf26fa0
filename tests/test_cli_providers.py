"""Choosing a provider through the real CLI: ``--model PROFILE:MODEL``, ``DEVAGENT_MODEL``,
settings and personas, keys, prices and the unknown cost, against a fake Chat Completions
server over real HTTP."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clirun import run
from fakes.fake_api import FakeAPI, JSONResponse
from fakes.fake_api import text_reply as anthropic_text
from fakes.fake_openai import (
    FakeOpenAI,
    Usage,
    call,
    chat_reply,
    cut_mid_tool_call,
    http_error,
    in_stream_error,
    tool_calls_reply,
)

SOURCE = "def parse_config(path):\n    return {}\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "config.py").write_text(SOURCE)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake
        fake.assert_all_consumed()


@pytest.fixture
def env(devagent_env: dict[str, str], fake_openai: FakeOpenAI) -> dict[str, str]:
    """The CLI's environment: Ollama at the fake server, no Anthropic key."""
    values = {k: v for k, v in devagent_env.items() if k != "ANTHROPIC_API_KEY"}
    values["OLLAMA_HOST"] = fake_openai.base_url
    return values


def write_settings(home: Path, settings: dict[str, Any]) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.json").write_text(json.dumps(settings))


def result_of(stdout: str) -> dict[str, Any]:
    data = json.loads(stdout)
    assert isinstance(data, dict)
    return data


def test_read_edit_answer_loop_through_ollama(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_openai: FakeOpenAI
) -> None:
    path = str(repo / "src" / "config.py")
    edit = {"file_path": path, "old_string": "return {}", "new_string": "return {'ok': True}"}
    fake_openai.enqueue(
        tool_calls_reply(call("Read", {"file_path": path}, chunks=5)),
        tool_calls_reply(call("Edit", edit, chunks=7), usage=None),
        chat_reply("Changed parse_config to return ok."),
    )
    args = ["-p", "fix it", "--model", "ollama:qwen3-coder:30b", "--output-format", "json"]
    done = run(devagent_cmd, [*args, "--permission-mode", "acceptEdits"], env, repo)
    assert done.returncode == 0, done.stderr
    result = result_of(done.stdout)
    assert result["result"] == "Changed parse_config to return ok."
    assert result["subtype"] == "success" and result["num_turns"] == 3
    assert result["total_cost_usd"] is None  # no price known: unknown, never 0
    assert (repo / "src" / "config.py").read_text() == SOURCE.replace("{}", "{'ok': True}")
    first, second, third = fake_openai.requests
    assert first.path == "/v1/chat/completions"
    assert {r.model for r in fake_openai.requests} == {"qwen3-coder:30b"}
    assert "authorization" not in {k.lower() for k in first.headers}
    assert "parse_config" in json.dumps(second.messages[-1])  # Read's result went back
    assert third.messages[-1]["role"] == "tool"


def test_stream_json_names_the_profile_model_and_an_unknown_cost(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(chat_reply("hi there"))
    args = ["-p", "hi", "--model", "ollama:llama3.2", "--output-format", "stream-json"]
    done = run(devagent_cmd, args, env, repo)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[0]["type"] == "system" and lines[0]["model"] == "ollama:llama3.2"
    assert lines[-1]["type"] == "result" and lines[-1]["total_cost_usd"] is None
    assert lines[-1]["usage"]["input_tokens"] == 10


def test_a_price_in_settings_gives_the_cost(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    fake_openai: FakeOpenAI,
    devagent_home: Path,
) -> None:
    prices = {"llama3.2": {"input": 1.0, "output": 2.0}}
    write_settings(devagent_home, {"providers": {"ollama": {"prices": prices}}})
    fake_openai.enqueue(chat_reply("ok", usage=Usage(prompt_tokens=1000, completion_tokens=500)))
    args = ["-p", "hi", "--model", "ollama:llama3.2", "--output-format", "json"]
    done = run(devagent_cmd, args, env, repo)
    assert done.returncode == 0, done.stderr
    assert result_of(done.stdout)["total_cost_usd"] == pytest.approx(0.002)
    assert fake_openai.requests[0].path == "/v1/chat/completions"  # base URL kept


@pytest.mark.parametrize("window", [4096, None])
def test_a_context_window_in_settings_drives_compaction_and_model_usage(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    fake_openai: FakeOpenAI,
    devagent_home: Path,
    window: int | None,
) -> None:
    # The third request held 3,500 tokens: over three quarters of a 4,096-token window, so
    # the fourth request is a summary; the default window is far from full at that size.
    if window is not None:
        windows = {"llama3.2": window, "*": 1_000_000}
        write_settings(devagent_home, {"providers": {"ollama": {"context_windows": windows}}})
    full = Usage(prompt_tokens=3_500, completion_tokens=20)
    summary = [chat_reply("SUMMARY: config.py read.")] if window else []
    fake_openai.enqueue(
        tool_calls_reply(call("Read", {"file_path": "src/config.py"})),
        tool_calls_reply(call("Grep", {"pattern": "parse_config"})),
        tool_calls_reply(call("LS", {"path": "src"}), usage=full),
        *summary,
        chat_reply("parse_config lives in src/config.py:1."),
    )
    args = ["-p", "Where is the config parsed?", "--model", "ollama:llama3.2"]
    done = run(devagent_cmd, [*args, "--output-format", "json"], env, repo)
    assert done.returncode == 0, done.stderr
    result = result_of(done.stdout)
    assert result["result"] == "parse_config lives in src/config.py:1."
    # The summary request counts too, under the profile's name: each entry has the window.
    seen = {used["contextWindow"] for used in result["modelUsage"].values()}
    assert seen == {window or 200_000}
    last = json.dumps(fake_openai.requests[-1].messages)
    if window is None:
        assert len(fake_openai.requests) == 4 and "compacted" not in last
        return
    assert "The context is nearly full" in done.stderr
    assert "write a summary of the conversation" in json.dumps(fake_openai.requests[3].messages)
    assert "[This conversation was compacted" in last and "SUMMARY: config.py read." in last


def test_unknown_profile_exits_2_naming_the_known_ones(
    devagent_cmd: list[str], env: dict[str, str], repo: Path
) -> None:
    done = run(devagent_cmd, ["-p", "hi", "--model", "olama:qwen3"], env, repo)
    assert done.returncode == 2
    assert "Unknown provider profile 'olama'" in done.stderr
    for name in ("llamacpp", "lmstudio", "ollama", "openai", "openrouter", "vllm"):
        assert name in done.stderr
    assert done.stdout == ""


def test_missing_key_variable_exits_2_naming_it(
    devagent_cmd: list[str], env: dict[str, str], repo: Path
) -> None:
    done = run(devagent_cmd, ["-p", "hi", "--model", "openrouter:qwen/qwen3-coder"], env, repo)
    assert done.returncode == 2
    assert "OPENROUTER_API_KEY is not set" in done.stderr
    done = run(devagent_cmd, ["-p", "hi", "--model", "openai:gpt-5"], env, repo)
    assert done.returncode == 2 and "OPENAI_API_KEY is not set" in done.stderr


def test_openai_key_and_base_url_come_from_the_environment(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(chat_reply("from openai"))
    env = {**env, "OPENAI_API_KEY": "sk-openai-test", "OPENAI_BASE_URL": fake_openai.v1_url}
    done = run(devagent_cmd, ["-p", "hi", "--model", "openai:gpt-5-mini"], env, repo)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "from openai"
    request = fake_openai.requests[0]
    assert request.headers["authorization"] == "Bearer sk-openai-test"
    assert request.model == "gpt-5-mini"
    assert request.json["max_completion_tokens"] > 0 and "max_tokens" not in request.json


def test_a_user_profile_from_settings(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    fake_openai: FakeOpenAI,
    devagent_home: Path,
) -> None:
    profile = {
        "type": "openai",
        "base_url": fake_openai.v1_url,
        "api_key_env": "GATEWAY_KEY",
        "headers": {"X-Title": "devagent"},
        "prices": {"*": {"input": 0, "output": 0}},
    }
    write_settings(devagent_home, {"providers": {"gateway": profile}})
    fake_openai.enqueue(chat_reply("via gateway"))
    args = ["-p", "hi", "--model", "gateway:big-model", "--output-format", "json"]
    done = run(devagent_cmd, args, {**env, "GATEWAY_KEY": "gw-secret"}, repo)
    assert done.returncode == 0, done.stderr
    assert result_of(done.stdout)["total_cost_usd"] == 0  # priced at 0 on purpose
    request = fake_openai.requests[0]
    assert request.headers["authorization"] == "Bearer gw-secret"
    assert request.headers["x-title"] == "devagent"
    missing = run(devagent_cmd, ["-p", "hi", "--model", "gateway:big-model"], env, repo)
    assert missing.returncode == 2 and "GATEWAY_KEY is not set" in missing.stderr


@pytest.mark.parametrize(
    ("profile", "problem"),
    [
        ({"type": "grpc", "base_url": "http://x"}, 'must be "openai" or "anthropic"'),
        ({"type": "openai"}, 'needs a "base_url"'),
        ({"base_url": "http://x", "api_key_env": "sk-live-123"}, "must name an environment"),
        ({"base_url": "ftp://x"}, "must be an http:// or https:// URL"),
        ({"base_url": "http://x", "prices": {"m": {"input": 1}}}, '"input" and "output"'),
        ({"base_url": "http://x", "colour": "red"}, "unknown field(s) colour"),
        ({"base_url": "http://x", "context_windows": {"m": "32k"}}, "context_windows.m must"),
    ],
)
def test_a_broken_profile_is_a_usage_error(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    devagent_home: Path,
    profile: dict[str, Any],
    problem: str,
) -> None:
    write_settings(devagent_home, {"providers": {"mine": profile}})
    done = run(devagent_cmd, ["-p", "hi", "--model", "mine:m"], env, repo)
    assert done.returncode == 2
    assert '"providers.mine' in done.stderr and problem in done.stderr


def test_precedence_flag_persona_environment_settings(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    fake_openai: FakeOpenAI,
    devagent_home: Path,
) -> None:
    write_settings(devagent_home, {"model": "ollama:from-settings"})
    agents = repo / ".devagent" / "agents"
    agents.mkdir(parents=True)
    (agents / "local.md").write_text(
        "---\nname: local\ndescription: runs locally\nmodel: ollama:from-persona\n---\nHelp.\n"
    )
    cases = [
        ([], {}, "from-settings"),
        ([], {"DEVAGENT_MODEL": "ollama:from-env"}, "from-env"),
        (["--agent", "local"], {"DEVAGENT_MODEL": "ollama:from-env"}, "from-persona"),
        (["--agent", "local", "--model", "ollama:from-flag"], {}, "from-flag"),
    ]
    for args, extra, expected in cases:
        fake_openai.enqueue(chat_reply("ok"))
        done = run(devagent_cmd, ["-p", "hi", *args], {**env, **extra}, repo)
        assert done.returncode == 0, (args, done.stderr)
        assert fake_openai.requests[-1].model == expected, args


def test_aliases_keep_meaning_anthropic(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(anthropic_text("from claude"))
    done = run(devagent_cmd, ["-p", "hi", "--model", "haiku"], devagent_env, repo)
    assert done.returncode == 0, done.stderr
    assert fake_api.requests[0].model == "claude-haiku-5-5"
    assert fake_api.requests[0].path.endswith("/v1/messages")


def test_budget_needs_a_known_price(
    devagent_cmd: list[str],
    env: dict[str, str],
    repo: Path,
    fake_openai: FakeOpenAI,
    devagent_home: Path,
) -> None:
    args = ["-p", "hi", "--model", "ollama:qwen3", "--max-budget-usd", "1"]
    done = run(devagent_cmd, args, env, repo)
    assert done.returncode == 2
    assert "--max-budget-usd needs a price for ollama:qwen3" in done.stderr
    assert '"providers.ollama.prices"' in done.stderr
    write_settings(
        devagent_home, {"providers": {"ollama": {"prices": {"qwen3": {"input": 1, "output": 1}}}}}
    )
    fake_openai.enqueue(chat_reply("within budget"))
    done = run(devagent_cmd, args, env, repo)
    assert done.returncode == 0, done.stderr


def test_an_untrusted_repository_cannot_add_or_move_a_profile(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_openai: FakeOpenAI
) -> None:
    settings = repo / ".devagent" / "settings.json"
    settings.parent.mkdir()
    moved = {"base_url": "http://127.0.0.1:9/v1", "api_key_env": "OPENAI_API_KEY"}
    settings.write_text(json.dumps({"providers": {"ollama": moved}}))
    fake_openai.enqueue(chat_reply("still the real ollama"))
    done = run(devagent_cmd, ["-p", "hi", "--model", "ollama:qwen3"], env, repo)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "still the real ollama"
    assert "ignored providers because this folder is not trusted" in done.stderr


def test_no_key_and_no_ollama_names_both_choices(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path
) -> None:
    env = {k: v for k, v in devagent_env.items() if k != "ANTHROPIC_API_KEY"}
    done = run(devagent_cmd, ["-p", "hi"], env, repo)  # OLLAMA_HOST is a closed port
    assert done.returncode == 2
    assert "export ANTHROPIC_API_KEY=<your key>" in done.stderr
    assert "--model ollama:MODEL" in done.stderr and "nothing answers at" in done.stderr
    assert done.stderr.count("\n") == 1


def test_no_key_with_ollama_running_lists_its_models(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_openai: FakeOpenAI
) -> None:
    tags = {"models": [{"name": "qwen3-coder:30b"}, {"name": "llama3.2:latest"}]}
    fake_openai.enqueue(JSONResponse(tags))
    done = run(devagent_cmd, ["-p", "hi"], env, repo)
    assert done.returncode == 2
    assert "export ANTHROPIC_API_KEY=<your key>" in done.stderr
    assert "--model ollama:MODEL (its models: qwen3-coder:30b, llama3.2:latest)" in done.stderr
    assert fake_openai.requests[0].path == "/api/tags"


def test_faults_of_a_chat_completions_server_through_the_cli(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_openai: FakeOpenAI
) -> None:
    (repo / "notes.md").write_text("naïve café ☕ notes\n")
    marker = repo / "ran-the-cut-call"
    reads = tool_calls_reply(
        call("Read", {"file_path": "src/config.py"}, chunks=9),
        call("Read", {"file_path": "notes.md"}, chunks=7),
        interleave=True,
        usage=None,
    ).with_faults(split_awkwardly=True, done=False)
    fake_openai.enqueue(
        http_error(429, retry_after_ms=10),
        cut_mid_tool_call("Bash", {"command": f"touch {marker}"}, fragments_sent=2),
        reads,
        in_stream_error(after=2),
        chat_reply("Both files read: café noted.", chunks=5).with_faults(split_awkwardly=True),
    )
    args = ["-p", "read both", "--model", "ollama:qwen3", "--output-format", "json"]
    done = run(devagent_cmd, args, env, repo)
    assert done.returncode == 0, done.stderr
    result = result_of(done.stdout)
    assert result["result"] == "Both files read: café noted."
    assert result["num_turns"] == 2 and result["total_cost_usd"] is None
    assert not marker.exists()  # the call cut mid-arguments never ran
    assert len(fake_openai.requests) == 5
    results = [m for m in fake_openai.requests[3].messages if m["role"] == "tool"]
    assert len(results) == 2
    assert "parse_config" in results[0]["content"] and "naïve café ☕" in results[1]["content"]
    assert fake_openai.requests[4].messages == fake_openai.requests[3].messages


def test_review_through_a_profile_model_reports_an_unknown_cost(
    devagent_cmd: list[str], env: dict[str, str], repo: Path, fake_openai: FakeOpenAI
) -> None:
    finding = {
        "title": "Returns an empty dict",
        "body": "parse_config ignores its path.",
        "priority": 2,
        "confidence": 0.9,
        "file_path": "src/config.py",
        "line_start": 2,
        "line_end": 2,
    }
    fake_openai.enqueue(
        tool_calls_reply(call("ReportFinding", finding)),
        chat_reply("One problem."),
    )
    args = ["review", "src/config.py", "--model", "ollama:qwen3", "--format", "json"]
    done = run(devagent_cmd, args, env, repo)
    assert done.returncode == 0, done.stderr
    report = result_of(done.stdout)
    assert [f["title"] for f in report["findings"]] == ["Returns an empty dict"]
    assert "output tokens; unknown" in done.stderr and "$0.0000" not in done.stderr
    budget = run(devagent_cmd, [*args, "--max-budget-usd", "1"], env, repo)
    assert budget.returncode == 2 and "--max-budget-usd needs a price" in budget.stderr
