"""What a one-shot run reports about itself in Claude Code's keys, so scripts written against
``claude -p --output-format json|stream-json`` read devagent's output unchanged.

The result object adds ``stop_reason``, ``duration_api_ms``, ``uuid`` and ``modelUsage`` (per
model: ``inputTokens``, ``outputTokens``, ``cacheReadInputTokens``,
``cacheCreationInputTokens``, ``costUSD`` (null when the model's price is unknown),
``webSearchRequests``, ``contextWindow`` (a profile's from settings, else the default for
the id); this process's requests) to the keys devagent always
printed. The stream-json init line adds ``cwd``, ``permissionMode``,
``mcp_servers``, ``slash_commands``, ``agents``, ``skills``, ``apiKeySource``,
``devagent_version`` and ``uuid``. tests/schemas/ holds the JSON Schema of both.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from devagent import __version__
from devagent.agent import ModelSpend, Spend
from devagent.compaction import context_window
from devagent.config import anthropic_credential
from devagent.personas import Catalog
from devagent.skills import SkillCatalog


def model_usage(by_model: Mapping[str, ModelSpend]) -> dict[str, dict[str, Any]]:
    """``modelUsage``: what each model used, in Claude Code's camel-case keys."""
    return {
        model: {
            "inputTokens": spent.usage.input_tokens,
            "outputTokens": spent.usage.output_tokens,
            "cacheReadInputTokens": spent.usage.cache_read_input_tokens,
            "cacheCreationInputTokens": spent.usage.cache_creation_input_tokens,
            "webSearchRequests": spent.usage.web_search_requests,
            "costUSD": None if spent.unpriced else round(spent.cost_usd, 6),
            "contextWindow": spent.context_window or context_window(model),
        }
        for model, spent in by_model.items()
    }


def result_extras(spend: Spend | None, stop_reason: str | None) -> dict[str, Any]:
    """The result object's keys beyond the ones devagent always printed; ``stop_reason`` is the
    last reply's (None when no reply came)."""
    return {
        "stop_reason": stop_reason,
        "duration_api_ms": spend.api_ms if spend is not None else 0,
        "uuid": str(uuid.uuid4()),
        "modelUsage": model_usage(spend.by_model if spend is not None else {}),
    }


def api_key_source(env: Mapping[str, str]) -> str:
    """Where the API key came from, as Claude Code says it: the variable, or ``none``."""
    found = anthropic_credential(env)
    return found[1] if found is not None else "none"


def init_extras(
    *,
    cwd: Path,
    permission_mode: str,
    mcp_servers: list[dict[str, str]],
    agents: Catalog,
    skills: SkillCatalog,
    env: Mapping[str, str],
    sandbox: Mapping[str, Any],
) -> dict[str, Any]:
    """The init line's keys beyond ``session_id``, ``model``, ``agent`` and ``tools``.

    ``mcp_servers`` are the configured servers' names and statuses
    (``devagent.mcp.McpServers.init_statuses``); ``slash_commands`` are the skills
    ``-p "/NAME ARGS"`` runs; ``skills`` every skill found; ``sandbox`` where Bash runs
    (``mode`` as configured, ``active`` whether that sandbox really confines commands here).
    """
    return {
        "cwd": str(cwd),
        "permissionMode": permission_mode,
        "mcp_servers": mcp_servers,
        "slash_commands": [s.name for s in skills.for_user()],
        "agents": agents.names(),
        "skills": [s.name for s in skills],
        "apiKeySource": api_key_source(env),
        "devagent_version": __version__,
        "sandbox": dict(sandbox),
        "uuid": str(uuid.uuid4()),
    }
