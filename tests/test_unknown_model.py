"""A model name the API does not know (HTTP 404) is a usage error suggesting the closest alias."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from clirun import run
from devagent.config import closest_alias, unknown_model_message
from fakes.fake_api import FakeAPI, http_error


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("sonet", "sonnet"), ("Sonnett", "sonnet"), ("opsu", "opus"), ("haiky", "haiku")],
)
def test_closest_alias(typed: str, meant: str) -> None:
    assert closest_alias(typed) == meant


def test_no_alias_is_suggested_for_a_name_like_none_of_them() -> None:
    assert closest_alias("claude-sonnet-9-9") is None
    message = unknown_model_message("gpt-7")
    assert "Did you mean" not in message
    assert message.endswith("Use --model with an alias (haiku, opus, sonnet) or a full model id.")


def test_settings_aliases_are_suggested_too() -> None:
    assert closest_alias("fastt", {"fast": "claude-haiku-5-5"}) == "fast"


def test_a_404_for_the_model_exits_2_suggesting_the_alias(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(http_error(404, "not_found_error", "model: sonet"))
    done = run(devagent_cmd, ["-p", "hi", "--model", "sonet"], devagent_env, repo)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert "The API does not know the model 'sonet' (HTTP 404). Did you mean sonnet?" in (
        done.stderr
    )
    assert len(fake_api.requests) == 1 and fake_api.requests[0].json["model"] == "sonet"


def test_json_output_reports_it_as_an_error_result(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(http_error(404, "not_found_error", "model: opsu"))
    args = ["-p", "hi", "--model", "opsu", "--output-format", "json"]
    done = run(devagent_cmd, args, devagent_env, repo)
    assert done.returncode == 2
    result = json.loads(done.stdout)
    assert result["is_error"] is True and "Did you mean opus?" in result["result"]


def test_a_404_that_is_not_about_the_model_stays_a_runtime_failure(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(http_error(404, "not_found_error", "Not found"))
    done = run(devagent_cmd, ["-p", "hi"], devagent_env, repo)
    assert done.returncode == 1
    assert "HTTP 404" in done.stderr and "Did you mean" not in done.stderr
