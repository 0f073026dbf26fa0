"""Typed configuration: where user state lives, model aliases, prices, and run limits.

Precedence for a setting: built-in default < ``$DEVAGENT_HOME/settings.json`` < project
settings < environment < command-line flags. This module only knows the defaults and the
environment; settings files are merged by the caller.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from devagent.messages import Usage

DEFAULT_MODEL = "sonnet"
# ``PROFILE:MODEL``: a provider profile's model (``devagent.llm.providers``).
PROFILE_SPEC = re.compile(r"[A-Za-z][A-Za-z0-9_-]*:\S.*", re.DOTALL)
SMALL_MODEL_ALIAS = "haiku"

# One table maps aliases to current model ids; settings may override it ("modelAliases").
MODEL_ALIASES: dict[str, str] = {
    "sonnet": "claude-sonnet-5-5",
    "opus": "claude-opus-5-5",
    "haiku": "claude-haiku-5-5",
}


@dataclass(frozen=True)
class Price:
    """US dollars per million tokens (cache writes at the 5-minute rate)."""

    input: float
    output: float
    cache_write: float
    cache_read: float


# Published list prices, keyed by model-id prefix; the longest matching prefix wins.
PRICES: dict[str, Price] = {
    "claude-fable-5": Price(10.0, 50.0, 12.5, 1.0),
    "claude-opus-5-5": Price(4.0, 20.0, 5.0, 0.2),
    "claude-opus-5": Price(5.0, 25.0, 6.25, 0.5),
    "claude-opus-4-5": Price(5.0, 25.0, 6.25, 0.5),
    "claude-opus-4": Price(15.0, 75.0, 18.75, 1.5),
    "claude-sonnet-5-5": Price(2.0, 10.0, 2.5, 0.1),
    "claude-sonnet-5": Price(2.0, 10.0, 2.5, 0.2),
    "claude-sonnet-4": Price(3.0, 15.0, 3.75, 0.3),
    "claude-haiku-5-5": Price(0.1, 0.5, 0.125, 0.01),
    "claude-haiku-4-5": Price(1.0, 5.0, 1.25, 0.1),
}
FALLBACK_PRICE = Price(2.0, 10.0, 2.5, 0.2)
# The API's server-side web search: US dollars per 1,000 searches, on any model.
WEB_SEARCH_PRICE_PER_1K = 10.0


def cost_of(model: str, usage: Usage) -> float:
    """What ``usage`` costs on ``model`` at list price, web searches included."""
    return cost_at(price_for(model), usage)


def cost_at(price: Price, usage: Usage) -> float:
    """What ``usage`` costs at ``price``, web searches included."""
    tokens = (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_creation_input_tokens * price.cache_write
        + usage.cache_read_input_tokens * price.cache_read
    ) / 1_000_000
    return tokens + usage.web_search_requests * WEB_SEARCH_PRICE_PER_1K / 1000


def cost_text(cost_usd: float, unpriced: bool = False) -> str:
    """A cost as the user reads it: ``$0.0123``; ``unknown`` when some usage had no known
    price and nothing was priced, ``$0.0123 + unknown`` when only part of it was. Never a
    made-up ``$0``."""
    if not unpriced:
        return f"${cost_usd:.4f}"
    return f"${cost_usd:.4f} + unknown" if cost_usd > 0 else "unknown"


def price_for(model: str) -> Price:
    matches = [prefix for prefix in PRICES if model.startswith(prefix)]
    return PRICES[max(matches, key=len)] if matches else FALLBACK_PRICE


def resolve_model(name: str, aliases: Mapping[str, str] | None = None) -> str:
    """Map an alias (``sonnet``) to a model id; anything else is taken as an id."""
    table = {**MODEL_ALIASES, **(aliases or {})}
    return table.get(name, name)


def small_model(aliases: Mapping[str, str] | None = None) -> str:
    """The model of nested requests (WebFetch reading a page, WebSearch): the ``haiku`` alias,
    which settings may map to another model (``"modelAliases": {"haiku": ...}``)."""
    return resolve_model(SMALL_MODEL_ALIAS, aliases)


def closest_alias(name: str, aliases: Mapping[str, str] | None = None) -> str | None:
    """The alias ``name`` was most likely meant to be (``sonet`` → ``sonnet``), if any."""
    import difflib

    table = {**MODEL_ALIASES, **(aliases or {})}
    close = difflib.get_close_matches(name.lower(), list(table), n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_model_message(name: str, aliases: Mapping[str, str] | None = None) -> str:
    """What to tell someone whose model name the API does not know."""
    names = ", ".join(sorted({**MODEL_ALIASES, **(aliases or {})}))
    guess = closest_alias(name, aliases)
    hint = f"Did you mean {guess}? " if guess else ""
    return (
        f"The API does not know the model {name!r} (HTTP 404). {hint}"
        f"Use --model with an alias ({names}) or a full model id."
    )


def is_known_model(name: str, aliases: Mapping[str, str] | None = None) -> bool:
    """True for an alias, ``inherit``, an id that looks like a Claude model id, or a
    ``PROFILE:MODEL`` name (whether the profile exists is checked when the model is made)."""
    table = {**MODEL_ALIASES, **(aliases or {})}
    if name == "inherit" or name in table or name.startswith("claude-"):
        return True
    return PROFILE_SPEC.fullmatch(name) is not None


def devagent_home(env: Mapping[str, str] | None = None) -> Path:
    """The one folder for all user state: ``$DEVAGENT_HOME`` or the platform config dir."""
    env = os.environ if env is None else env
    explicit = env.get("DEVAGENT_HOME")
    if explicit:
        return Path(explicit).expanduser()
    import platformdirs  # deferred: only needed when no override is set

    return Path(platformdirs.user_config_dir("devagent"))


def default_model(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return resolve_model(env.get("DEVAGENT_MODEL") or DEFAULT_MODEL)


ANTHROPIC_KEY_VARIABLES = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")


def anthropic_credential(env: Mapping[str, str]) -> tuple[str, str] | None:
    """The Anthropic API credential and the variable it came from: ``ANTHROPIC_API_KEY``, else
    ``ANTHROPIC_AUTH_TOKEN`` (Claude Code's variable for a gateway's bearer token; both are sent
    as ``Authorization: Bearer``). None when neither is set."""
    for name in ANTHROPIC_KEY_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            return value, name
    return None
