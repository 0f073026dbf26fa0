"""Provider profiles: names, settings entries, prices and the unknown cost."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from devagent.agent import Spend
from devagent.compaction import model_window, needs_compaction
from devagent.config import Price, cost_text, is_known_model, price_for
from devagent.errors import UsageError
from devagent.llm.base import reply_cost
from devagent.llm.cloud import Cloud, cloud_model_id, cloud_provider, make_cloud_model
from devagent.llm.providers import (
    BUILTIN_PROFILES,
    NamedModel,
    Providers,
    api_key,
    make_profile_model,
    ollama_root_url,
    parse_profile,
    split_spec,
)
from devagent.llm.scripted import ScriptedModel, text_reply
from devagent.messages import Usage
from devagent.session import Transcript, UsageLog, spent


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("ollama:qwen3-coder", ("ollama", "qwen3-coder")),
        ("ollama:qwen3-coder:30b", ("ollama", "qwen3-coder:30b")),
        ("openrouter:qwen/qwen3-coder", ("openrouter", "qwen/qwen3-coder")),
        ("sonnet", None),
        ("claude-sonnet-5-5", None),
        ("anthropic.claude-sonnet-5-5-v1:0", None),  # a Bedrock id stays a bare id
        ("us.anthropic.claude-sonnet-5-5-v1:0", None),
    ],
)
def test_split_spec(name: str, parts: tuple[str, str] | None) -> None:
    assert split_spec(name) == parts


def test_built_in_profiles() -> None:
    assert sorted(BUILTIN_PROFILES) == [
        "llamacpp",
        "lmstudio",
        "ollama",
        "openai",
        "openrouter",
        "vllm",
    ]
    assert BUILTIN_PROFILES["ollama"].url({}) == "http://localhost:11434/v1"
    assert BUILTIN_PROFILES["openrouter"].api_key_env == "OPENROUTER_API_KEY"
    openai = BUILTIN_PROFILES["openai"]
    assert openai.url({"OPENAI_BASE_URL": "http://127.0.0.1:5/v1"}) == "http://127.0.0.1:5/v1"
    assert all(p.type == "openai" for p in BUILTIN_PROFILES.values())


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("localhost", "http://localhost:11434"),
        ("0.0.0.0:8000", "http://0.0.0.0:8000"),
        ("https://ollama.example:443/", "https://ollama.example:443"),
        ("http://127.0.0.1:9", "http://127.0.0.1:9"),
        ("[::1]", "http://[::1]:11434"),
    ],
)
def test_ollama_host_is_read_as_ollama_reads_it(host: str, url: str) -> None:
    assert ollama_root_url(host) == url


def test_an_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(UsageError) as caught:
        Providers().target("olama:qwen3")
    assert "Unknown provider profile 'olama'" in str(caught.value)
    assert "llamacpp, lmstudio, ollama, openai, openrouter, vllm" in str(caught.value)


def test_a_profile_without_a_model_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="No model after ollama:"):
        Providers().target("ollama:")


def test_a_settings_entry_changes_only_what_it_gives() -> None:
    entry = {"prices": {"*": {"input": 0, "output": 0}}}
    providers = Providers.from_settings({"ollama": ("settings.json", entry)})
    ollama = providers.profiles["ollama"]
    assert ollama.url({"OLLAMA_HOST": "h:1"}) == "http://h:1/v1"  # still moved by OLLAMA_HOST
    assert providers.price("ollama:anything") == Price(0, 0, 0, 0)
    assert Providers().price("ollama:anything") is None


def test_prices_default_cache_rates_to_the_input_rate() -> None:
    entry = {"base_url": "http://h/v1", "prices": {"m": {"input": 2, "output": 8}}}
    providers = Providers.from_settings({"mine": ("s", entry)})
    assert providers.price("mine:m") == Price(2.0, 8.0, 2.0, 2.0)
    assert providers.price("mine:other") is None


def test_an_anthropic_profile_prices_claude_ids_at_list_price() -> None:
    entry = {"type": "anthropic", "base_url": "http://proxy"}
    providers = Providers.from_settings({"proxy": ("s", entry)})
    assert providers.price("proxy:claude-sonnet-5-5") == price_for("claude-sonnet-5-5")
    assert providers.price("proxy:llama") is None


def test_a_context_window_is_the_model_s_own_else_the_star_else_the_default() -> None:
    windows = {"qwen3-coder": 32768, "*": 8192}
    providers = Providers.from_settings({"ollama": ("s", {"context_windows": windows})})
    own, other = providers.target("ollama:qwen3-coder"), providers.target("ollama:llama3.2")
    assert own is not None and other is not None
    assert (own.context_window, other.context_window) == (32768, 8192)
    model = make_profile_model(own, {})
    assert model.context_window == 32768 and model_window(model) == 32768
    assert needs_compaction(Usage(input_tokens=25_000), model.name, window=model_window(model))
    assert not needs_compaction(Usage(input_tokens=25_000), model.name)  # the default: 200k
    plain = Providers().target("ollama:qwen3-coder")
    assert plain is not None and model_window(make_profile_model(plain, {})) == 200_000
    # An entry changing a profile adds to the windows it already has.
    merged = parse_profile("ollama", {"context_windows": {"llama3.2": 4096}}, "s", own.profile)
    assert (merged.context_window("llama3.2"), merged.context_window("x")) == (4096, 8192)
    assert merged.context_window("qwen3-coder") == 32768


@pytest.mark.parametrize(
    "windows",
    [{"m": "32k"}, {"m": 0}, {"m": 512}, {"m": 4096.5}, {"m": True}, [], {}, 32768],
)
def test_a_broken_context_window_names_the_file_and_field(windows: object) -> None:
    entry = {"base_url": "http://h/v1", "context_windows": windows}
    with pytest.raises(UsageError) as caught:
        Providers.from_settings({"mine": ("user-settings.json", entry)})
    message = str(caught.value)
    assert message.startswith('user-settings.json: "providers.mine".context_windows')
    assert "token" in message


def test_the_key_comes_from_the_variable_the_profile_names() -> None:
    target = Providers().target("openrouter:x")
    assert target is not None
    with pytest.raises(UsageError, match="OPENROUTER_API_KEY is not set"):
        api_key(target, {})
    assert api_key(target, {"OPENROUTER_API_KEY": " k "}) == "k"
    local = Providers().target("vllm:x")
    assert local is not None and api_key(local, {}) is None


def test_a_profile_model_is_named_and_priced_by_its_profile() -> None:
    target = Providers().target("ollama:qwen3")
    assert target is not None
    model = make_profile_model(target, {})
    assert model.name == "ollama:qwen3" and model.price is None


def test_reply_cost_unknown_for_an_unpriced_model_and_list_price_otherwise() -> None:
    reply = text_reply("hi", usage=Usage(1_000_000, 0))
    inner = ScriptedModel([])
    assert reply_cost(NamedModel("ollama:q", None, inner), reply) is None
    assert reply_cost(NamedModel("x:q", Price(1, 1, 1, 1), inner), reply) == 1.0
    reply.model = "claude-sonnet-5-5"
    assert reply_cost(inner, reply) == price_for("claude-sonnet-5-5").input


def test_spend_keeps_the_unknown_part_apart() -> None:
    spend = Spend()
    spend.charge(Usage(10, 5), 0.25)
    assert spend.cost_text == "$0.2500" and not spend.unpriced
    spend.charge(Usage(10, 5), None)
    assert spend.unpriced and spend.cost_usd == 0.25
    assert spend.cost_text == "$0.2500 + unknown"
    parent = Spend()
    parent.absorb(spend)
    assert parent.unpriced and parent.cost_usd == 0.25 and parent.usage.input_tokens == 20


def test_cost_text_never_says_zero_for_unknown() -> None:
    assert cost_text(0.0, unpriced=True) == "unknown"
    assert cost_text(0.0) == "$0.0000"


def test_personas_may_name_a_profile_model() -> None:
    assert is_known_model("ollama:qwen3-coder")
    assert not is_known_model("qwen3-coder")


def test_a_transcript_remembers_that_the_cost_is_unknown(tmp_path: Path) -> None:
    transcript = Transcript(tmp_path / "s.jsonl", {"session_id": "s"})
    log = UsageLog()
    log.record(transcript, Usage(10, 5), 0.0, Usage(10, 5), unpriced=True)
    transcript.close()
    records = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text().splitlines()]
    usage = [r for r in records if r.get("type") == "usage"]
    assert usage and usage[0]["cost_unknown"] is True
    found = spent(records)
    assert found is not None and found.unpriced and found.usage.input_tokens == 10


@pytest.mark.parametrize(
    ("cloud", "model", "sent"),
    [
        ("bedrock", "claude-sonnet-5-5", "anthropic.claude-sonnet-5-5-v1:0"),
        ("bedrock", "us.anthropic.claude-opus-5-5-v1:0", "us.anthropic.claude-opus-5-5-v1:0"),
        ("vertex", "claude-haiku-5-5", "claude-haiku-5-5"),
        ("vertex", "claude-opus-4-5@20251101", "claude-opus-4-5@20251101"),
    ],
)
def test_cloud_model_ids(cloud: Cloud, model: str, sent: str) -> None:
    assert cloud_model_id(cloud, model) == sent


def test_a_cloud_model_is_named_and_priced_as_its_claude_model() -> None:
    model = make_cloud_model("bedrock", "claude-opus-5-5", {"AWS_REGION": "us-east-1"})
    assert model.name == "claude-opus-5-5" and model.price == price_for("claude-opus-5-5")
    assert cloud_provider({"DEVAGENT_PROVIDER": "Vertex"}) == "vertex"
    assert cloud_provider({}) is None and cloud_provider({"DEVAGENT_PROVIDER": "anthropic"}) is None


def test_nested_requests_stay_with_a_profile_model_unless_haiku_is_mapped(tmp_path: Path) -> None:
    from devagent.runtime import small_model_for
    from devagent.settings import load_settings

    loaded = load_settings(tmp_path, tmp_path, mode=None, allowed=(), disallowed=(), trusted=True)
    providers = Providers()
    assert small_model_for("ollama:qwen3", loaded, providers) == "ollama:qwen3"
    assert small_model_for("claude-opus-5-5", loaded, providers) == "claude-haiku-5-5"
    mapped = dataclasses.replace(loaded, model_aliases={"haiku": "ollama:small"})
    assert small_model_for("ollama:qwen3", mapped, providers) == "ollama:small"
